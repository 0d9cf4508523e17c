// A plugin adds a typed namespace to the facade. Its class gets the instance's HTTP client (auth,
// context headers, retries, typed errors included) and config from the container.
// Run: npm run build && npm run -s flow-sdk-local -- run examples/custom-namespace.ts
import type { AxiosInstance } from "axios";
import {
  callConfig,
  definePlugin,
  FlowSDK,
  inject,
  injectable,
  TOKENS,
  workspacePath,
  type FlowConfig,
  type RequestOptions,
} from "@flow-sdk/sdk";

/** Feature flags kept in workspace state under `flag:<name>`. */
@injectable()
class FlagsNamespace {
  constructor(
    @inject(TOKENS.PlatformHttp) private readonly http: AxiosInstance,
    @inject(TOKENS.Config) private readonly config: FlowConfig,
  ) {}

  /** Turns a flag on or off. */
  async set(name: string, on: boolean, options?: RequestOptions): Promise<void> {
    await this.http.put(workspacePath(this.config, "state", `flag:${name}`), { value: on }, callConfig(options));
  }

  /** Whether a flag is on; off when never set. */
  async isOn(name: string, options?: RequestOptions): Promise<boolean> {
    const response = await this.http.get<{ value: boolean } | undefined>(
      workspacePath(this.config, "state", `flag:${name}`),
      callConfig(options, { allowNotFound: true }),
    );
    return response.data?.value === true;
  }
}

const flags = definePlugin({ name: "flags", namespaces: { flags: FlagsNamespace } });

await using flow = FlowSDK.create({ plugins: [flags] });
console.log("new-checkout before:", await flow.flags.isOn("new-checkout"));
await flow.flags.set("new-checkout", true);
console.log("new-checkout after:", await flow.flags.isOn("new-checkout"));
