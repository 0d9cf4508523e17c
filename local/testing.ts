/**
 * `@flow-sdk/sdk/testing`: test your own code blocks against a real local platform started in-process,
 * without writing mocks. Each test platform is in memory and listens on a free loopback port.
 *
 * @example
 * const platform = await startTestPlatform();
 * const flow = platform.createFlow();
 * await myBlock(flow);
 * expect(await flow.state.get("visits")).toBe(1);
 * await platform.close(); // also closes every FlowSDK it created
 *
 * @example
 * const clock = new ManualClock();
 * const platform = await startTestPlatform({ clock });
 * await platform.createFlow().state.set("k", 1, { ttlSeconds: 60 });
 * clock.advance(60_000); // the key has expired, without sleeping
 */
import "./cli/peers-guard.js"; // first: a missing peer is one line saying what to install
import { TOKENS } from "../src/container/tokens.js";
import { FlowSDK } from "../src/flow-sdk.js";
import type { FlowOptions } from "../src/container/create-container.js";
import type { FlowPlugin, PluginNamespaces } from "../src/plugins/define-plugin.js";
import { startLocalPlatform, type LocalPlatform, type LocalPlatformOptions } from "./platform.js";

/** A local platform for tests, which also builds FlowSDK instances pointed at itself. */
export interface TestPlatform extends LocalPlatform {
  /**
   * A FlowSDK on this platform's default org and workspace; `options` (plugins, providers,
   * tokens, ids) win over the platform's environment. It reads the time from the platform's
   * `clock`, when one was given. Closed by {@link TestPlatform.close}.
   */
  createFlow<const P extends readonly FlowPlugin[] = []>(options?: FlowOptions<P>): FlowSDK & PluginNamespaces<P>;
}

/** Starts an in-memory local platform for a test (or a test file). */
export async function startTestPlatform(options: LocalPlatformOptions = {}): Promise<TestPlatform> {
  const platform = await startLocalPlatform(options);
  const flows = new Set<FlowSDK>();
  return {
    get url() {
      return platform.url;
    },
    get env() {
      return platform.env;
    },
    mintToken: (claims) => platform.mintToken(claims),
    reloadManifest: (manifest) => platform.reloadManifest(manifest),
    createFlow<const P extends readonly FlowPlugin[] = []>(flowOptions: FlowOptions<P> = {}) {
      // The platform's clock is the SDK's too (token expiry, the secrets cache), unless the test sets its own.
      const providers = options.clock ? [{ provide: TOKENS.Clock, useValue: options.clock }, ...(flowOptions.providers ?? [])] : flowOptions.providers;
      const flow = FlowSDK.create<P>({ ...flowOptions, providers, env: { ...platform.env, ...flowOptions.env } });
      flows.add(flow);
      return flow;
    },
    async close() {
      // Every flow and the platform are closed even when one of them fails; the first failure is rethrown.
      const results = await Promise.allSettled([...flows].map((flow) => flow.close()));
      flows.clear();
      results.push(...(await Promise.allSettled([platform.close()])));
      const failed = results.find((result) => result.status === "rejected");
      if (failed) throw failed.reason;
    },
  };
}

export { startLocalPlatform, type LocalPlatform, type LocalPlatformOptions } from "./platform.js";
export { ManualClock, type Clock } from "../src/container/clock.js";
