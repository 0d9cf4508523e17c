import type { Agent, Dispatcher, EnvHttpProxyAgent } from "undici";
import { sourceRequire } from "./source-require.js";

/**
 * The connection pools of one FlowSDK instance, shared by its platform and gateway clients: an
 * undici dispatcher with a bounded keep-alive pool per origin. Replace it (a `providers` entry for
 * `TOKENS.HttpAgents`) to send the SDK's requests elsewhere, e.g. through undici's `MockAgent`.
 */
export interface HttpAgents {
  /** The undici dispatcher every request of this instance goes through; created at the first request. */
  readonly dispatcher: Dispatcher;
}

/** Most connections to one origin; more requests wait in the pool's queue. */
export const MAX_CONNECTIONS_PER_ORIGIN = 128;

/** Longest a TCP (and TLS) connect may take, undici's default: a call's `timeoutMs` ends its wait sooner. */
export const CONNECT_TIMEOUT_MS = 10_000;

/**
 * The pool's options. No headers or body timeout of undici's own: `timeoutMs` bounds each attempt
 * (undici-adapter.ts), and a stream being read (a download, events) has no limit but the caller's,
 * as with Node's http module before. A connect keeps undici's own limit: a call that timed out
 * or was aborted no longer waits for it, but an endless connect (a listener whose backlog is
 * full) would keep its socket, and so the process, alive.
 */
const POOL_OPTIONS = {
  connections: MAX_CONNECTIONS_PER_ORIGIN,
  pipelining: 1,
  headersTimeout: 0,
  bodyTimeout: 0,
  connect: { timeout: CONNECT_TIMEOUT_MS },
} satisfies Agent.Options;

/**
 * An instance's own pools, made at the first request (loading undici's pool then, not at import):
 * two instances never share sockets, and `close()` destroys exactly this instance's connections
 * and fails every request still queued for one, so the process can exit at once.
 */
export class InstanceHttpAgents implements HttpAgents {
  #dispatcher: Dispatcher | undefined;
  #closed = false;

  /** The dispatcher, made on first use; after close() one that refuses every request. */
  get dispatcher(): Dispatcher {
    if (this.#dispatcher === undefined) {
      this.#dispatcher = createDispatcher(process.env);
      if (this.#closed) this.#dispatcher.destroy(closedError()).catch(() => undefined);
    }
    return this.#dispatcher;
  }

  /**
   * Destroys every connection and fails every request in flight or queued, at once (undici does
   * that synchronously); the promise of the sockets' closing is not waited for, as Node's
   * `Agent.destroy()` was not: `close()` resolves no later than before.
   */
  destroy(): void {
    this.#closed = true;
    this.#dispatcher?.destroy(closedError()).catch(() => undefined);
  }
}

/** Creates an instance's pools (nothing is loaded or connected until the first request). */
export function createHttpAgents(): InstanceHttpAgents {
  return new InstanceHttpAgents();
}

/**
 * Destroys the instance's pools: every connection, every request in flight or still queued for
 * one. A replacement given by the user is theirs to close.
 */
export function destroyHttpAgents(agents: HttpAgents): void {
  if (agents instanceof InstanceHttpAgents) agents.destroy();
}

function closedError(): Error {
  return Object.assign(new Error("the FlowSDK instance was closed"), { code: "ERR_FLOW_CLOSED" });
}

/**
 * The proxy settings of the environment, read as axios' Node build read them (proxy-from-env):
 * `npm_config_<protocol>_proxy`, `<protocol>_proxy`, `npm_config_proxy`, `all_proxy`, then
 * `npm_config_no_proxy` / `no_proxy`, each lower case first, then upper case. A proxy written
 * without a scheme (`host:3128`) gets the target's, as proxy-from-env gave it.
 */
export function proxyFromEnv(env: NodeJS.ProcessEnv): { httpProxy?: string; httpsProxy?: string; noProxy?: string } | undefined {
  const get = (name: string): string | undefined => env[name.toLowerCase()] || env[name.toUpperCase()] || undefined;
  const withScheme = (protocol: string, proxy: string | undefined): string | undefined =>
    proxy === undefined || proxy.includes("://") ? proxy : `${protocol}://${proxy}`;
  const forProtocol = (protocol: string): string | undefined =>
    withScheme(protocol, get(`npm_config_${protocol}_proxy`) ?? get(`${protocol}_proxy`) ?? get("npm_config_proxy") ?? get("all_proxy"));
  const httpProxy = forProtocol("http");
  const httpsProxy = forProtocol("https");
  if (!httpProxy && !httpsProxy) return undefined;
  const noProxy = get("npm_config_no_proxy") ?? get("no_proxy");
  return { ...(httpProxy ? { httpProxy } : {}), ...(httpsProxy ? { httpsProxy } : {}), ...(noProxy ? { noProxy } : {}) };
}

/**
 * An undici Agent, or, when the environment names a proxy, an EnvHttpProxyAgent (which honours
 * NO_PROXY). Without a proxy only undici's Agent module is loaded; with one, all of undici, whose
 * entry adds the `connect()` its proxy code calls. As axios did, an `http:` target goes to an
 * `http:` proxy as a plain request naming the absolute URL, not through a CONNECT tunnel (which
 * many proxies refuse for port 80); `https:` targets are tunnelled.
 */
export function createDispatcher(env: NodeJS.ProcessEnv): Dispatcher {
  const proxy = proxyFromEnv(env);
  if (proxy) {
    const ProxyAgent = loadEnvHttpProxyAgent();
    // NO_PROXY left unset must not fall back to process.env inside undici: "" means none.
    return new ProxyAgent({
      ...POOL_OPTIONS,
      proxyTunnel: false,
      httpProxy: proxy.httpProxy ?? "",
      httpsProxy: proxy.httpsProxy ?? "",
      noProxy: proxy.noProxy ?? "",
    });
  }
  const UndiciAgent = loadAgent();
  return new UndiciAgent(POOL_OPTIONS);
}

// Literal require() calls, so that bundlers (esbuild, webpack) see and include them. The shipped
// build is CommonJS (require exists), and so is every module vitest runs; the ESM source run by
// tsx (the benches) has no require, and resolves undici from the working directory.
function loadAgent(): typeof Agent {
  return typeof require === "function" ? require("undici/lib/dispatcher/agent.js") : sourceRequire("undici/lib/dispatcher/agent.js");
}

function loadEnvHttpProxyAgent(): typeof EnvHttpProxyAgent {
  const undici: { EnvHttpProxyAgent: typeof EnvHttpProxyAgent } = typeof require === "function" ? require("undici") : sourceRequire("undici");
  return undici.EnvHttpProxyAgent;
}

