// Type-level test of plugin typing, checked by `npm run typecheck` (part of `npm test`): every
// expect-error directive below fails the build if the error it expects does not happen.
import type { AxiosInstance } from "axios";
import { definePlugin, FlowSDK, inject, injectable, StateNamespace, TOKENS } from "../../src/index.js";

@injectable()
class BillingNamespace {
  constructor(@inject(TOKENS.PlatformHttp) private readonly http: AxiosInstance) {}
  async charge(cents: number): Promise<{ charged: number }> {
    void this.http;
    return { charged: cents };
  }
}

@injectable()
class ReportsNamespace {
  summary(): string {
    return "ok";
  }
}

const billing = definePlugin({ name: "billing", namespaces: { billing: BillingNamespace } });
const reports = definePlugin({ name: "reports", namespaces: { reports: ReportsNamespace } });
const providersOnly = definePlugin({ name: "quiet", providers: [{ provide: TOKENS.Logger, useValue: console }] });

export async function typed(): Promise<void> {
  const flow = FlowSDK.create({ plugins: [billing, reports, providersOnly] });
  const charged: { charged: number } = await flow.billing.charge(100);
  const summary: string = flow.reports.summary();
  const state: StateNamespace = flow.state;
  void [charged, summary, state];

  // @ts-expect-error charge takes a number
  await flow.billing.charge("100");
  // @ts-expect-error no such namespace without the plugin
  FlowSDK.create().billing;
  // @ts-expect-error no such method on the plugin namespace
  flow.reports.missing();

  const plain = FlowSDK.create();
  const state2: StateNamespace = plain.state;
  void state2;
  const onlyProviders = FlowSDK.create({ plugins: [providersOnly] });
  void onlyProviders.state;
}
