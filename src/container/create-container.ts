import { container as rootContainer, instanceCachingFactory, Lifecycle as Scope, type DependencyContainer, type InjectionToken } from "tsyringe";
import { RequestContextStore } from "../context/request-context.js";
import { FlowConfigError } from "../errors.js";
import { createHttpAgents, destroyHttpAgents } from "../http/agents.js";
import { createHttpClient } from "../http/create-http-client.js";
import { fileTokenProvider, TokenManager, type TokenProvider } from "../http/token-manager.js";
import { silentLogger, type FlowLogger } from "../logging/logger.js";
import { Redactor } from "../logging/redactor.js";
import { levelLogger, stderrLogger } from "../logging/level.js";
import { redactingLogger } from "../logging/safe-logger.js";
import { WorkspaceClient } from "../internal/workspace-client.js";
import { BUILTIN_NAMESPACES } from "../namespaces/index.js";
import type { FlowPlugin, FlowProvider, NamespaceClass } from "../plugins/define-plugin.js";
import { systemClock } from "./clock.js";
import { resolveConfig, type ConfigOptions, type FlowConfig } from "./config.js";
import { Lifecycle } from "./lifecycle.js";
import { TOKENS } from "./tokens.js";
import { SERVICE_TOKEN_PREFIX } from "../dto/service-tokens.js";

/** Everything `FlowSDK.create()` accepts. */
export interface FlowOptions<P extends readonly FlowPlugin[] = readonly FlowPlugin[]> extends ConfigOptions {
  /** Asked for a fresh token before the current one expires and after a 401; wins over `AUTH_TOKEN_FILE`. */
  tokenProvider?: TokenProvider | undefined;
  /** Plugins: namespaces to add and providers to override, applied in order. */
  plugins?: P | undefined;
  /** Provider overrides, applied last (after plugins): for tests and advanced use. */
  providers?: readonly FlowProvider[] | undefined;
  /**
   * Where the SDK logs; every line is redacted first.
   * @default silent
   */
  logger?: FlowLogger | undefined;
}

/** A facade property added by a plugin, and the token its class is registered under. */
export interface PluginNamespaceEntry {
  /** Property name on the facade. */
  name: string;
  /** The namespace class, its own injection token. */
  token: InjectionToken<object>;
}

/** The built container and what the facade needs to expose. */
export interface BuiltContainer {
  /** The instance's child container. */
  container: DependencyContainer;
  /** Namespaces added or replaced by plugins. */
  pluginNamespaces: PluginNamespaceEntry[];
}

/**
 * Builds the child container of one FlowSDK instance. Read top to bottom, it lists everything the
 * SDK is made of: configuration, lifecycle, logging, auth, context, HTTP, namespaces; then plugins;
 * then overrides. Nothing is constructed until first use, except the configuration, which is
 * validated here so that `create()` fails fast.
 *
 * @throws {FlowConfigError} for invalid configuration or a plugin namespace name collision.
 */
export function createFlowContainer(options: FlowOptions, reservedNames: ReadonlySet<string>): BuiltContainer {
  const { config, authToken } = resolveConfig(options, process.env);
  const c = rootContainer.createChildContainer();
  const lifecycle = new Lifecycle();
  const redactor = new Redactor();
  redactor.add(authToken); // known from the start, not only once the first request builds the TokenManager
  const cached = <T>(factory: (c: DependencyContainer) => T) => ({ useFactory: instanceCachingFactory(factory) });
  const log = (c: DependencyContainer) => c.resolve(TOKENS.Logger);

  c.register(TOKENS.Config, { useValue: config });
  c.register(TOKENS.Clock, { useValue: systemClock });
  c.register(TOKENS.Lifecycle, { useValue: lifecycle });
  c.register(TOKENS.Redactor, { useValue: redactor });
  // TOKENS.Logger always resolves to a redacting logger, so plugin code that logs through it is
  // redacted too; a `providers` entry for TOKENS.Logger replaces the sink behind it.
  // FLOW_LOG (option logLevel) set and no logger given: lines go to standard error, from that level up.
  const level = config.logLevel;
  c.register(LOG_SINK, { useValue: options.logger ?? (level !== undefined && level !== "off" ? stderrLogger() : silentLogger) });
  c.register(
    TOKENS.Logger,
    cached((c) => {
      const sink = c.resolve(LOG_SINK);
      if (sink === silentLogger || level === "off") return silentLogger; // nothing to redact for no one
      const redacted = redactingLogger(sink, c.resolve(TOKENS.Redactor));
      return level === undefined ? redacted : levelLogger(redacted, level);
    }),
  );
  const contextStore = new RequestContextStore();
  lifecycle.onClose(() => contextStore.close());
  c.register(TOKENS.RequestContext, { useValue: contextStore });
  // A service token (`fst_…`) is the identity it was given to act as: it is never refreshed from
  // AUTH_TOKEN_FILE (which a platform-started process also gets), or a revoked service token would
  // quietly become the file's token, with its subject and scopes, at the first 401.
  const fileProvider = config.authTokenFile && !authToken?.startsWith(SERVICE_TOKEN_PREFIX) ? fileTokenProvider(config.authTokenFile) : null;
  registerValue<TokenProvider | null>(c, TOKENS.TokenProvider, options.tokenProvider ?? fileProvider);
  c.register(
    TOKENS.TokenManager,
    cached((c) => new TokenManager(authToken, c.resolve(TOKENS.TokenProvider), c.resolve(TOKENS.Redactor), log(c), c.resolve(TOKENS.Config).timeoutMs, c.resolve(TOKENS.Clock))),
  );
  // The instance's undici dispatcher (a keep-alive pool per origin), made at its first request.
  c.register(
    TOKENS.HttpAgents,
    cached(() => {
      const agents = createHttpAgents();
      lifecycle.onClose(() => destroyHttpAgents(agents));
      return agents;
    }),
  );
  const http = (baseURL: (config: FlowConfig) => string, baseURLSetting: string) =>
    cached((c) => {
      const cfg = c.resolve(TOKENS.Config);
      return createHttpClient({
        baseURL: baseURL(cfg),
        baseURLSetting,
        config: cfg,
        tokens: c.resolve(TOKENS.TokenManager),
        context: c.resolve(TOKENS.RequestContext),
        lifecycle: c.resolve(TOKENS.Lifecycle),
        logger: log(c),
        redactor: c.resolve(TOKENS.Redactor),
        agents: c.resolve(TOKENS.HttpAgents),
      });
    });
  c.register(TOKENS.PlatformHttp, http((cfg) => cfg.platformUrl, "PLATFORM_API_URL"));
  c.register(TOKENS.GatewayHttp, http((cfg) => cfg.gatewayUrl, "GATEWAY_URL"));
  // The namespaces' one client of the platform API (src/internal): built on PlatformHttp.
  registerClass(c, WorkspaceClient);
  for (const namespace of Object.values(BUILTIN_NAMESPACES) as NamespaceClass[]) registerClass(c, namespace);

  const pluginNamespaces = registerPlugins(c, options.plugins ?? [], reservedNames);
  for (const provider of options.providers ?? []) registerProvider(c, provider, "providers");
  return { container: c, pluginNamespaces };
}

function registerPlugins(c: DependencyContainer, plugins: readonly FlowPlugin[], reserved: ReadonlySet<string>): PluginNamespaceEntry[] {
  const owners = new Map<string, string>(Object.keys(BUILTIN_NAMESPACES).map((name) => [name, "the built-in namespaces"]));
  const entries = new Map<string, PluginNamespaceEntry>();
  const pluginNames = new Set<string>();
  for (const plugin of plugins) {
    if (pluginNames.has(plugin.name)) throw new FlowConfigError(`plugin "${plugin.name}" is given twice`);
    pluginNames.add(plugin.name);
    for (const [name, token] of Object.entries(plugin.namespaces ?? {})) {
      if (reserved.has(name)) {
        throw new FlowConfigError(`plugin "${plugin.name}": "${name}" is a FlowSDK member, not a namespace; choose another name`);
      }
      const owner = owners.get(name);
      const mayOverride = plugin.overrides === true || (Array.isArray(plugin.overrides) && plugin.overrides.includes(name));
      if (owner && !mayOverride) {
        throw new FlowConfigError(
          `plugin "${plugin.name}": namespace "${name}" is already provided by ${owner}; rename it, or list it in the plugin's overrides to replace it`,
        );
      }
      owners.set(name, `plugin "${plugin.name}"`);
      registerClass(c, token);
      entries.set(name, { name, token: token as AnyClass<object> });
    }
    for (const provider of plugin.providers ?? []) registerProvider(c, provider, `plugin "${plugin.name}"`);
  }
  return [...entries.values()];
}

// The logger a user gives (option `logger`, or a provider for TOKENS.Logger); TOKENS.Logger wraps it.
const LOG_SINK: InjectionToken<FlowLogger> = Symbol("flow-sdk.LogSink");

function registerProvider(c: DependencyContainer, provider: FlowProvider, origin: string): void {
  const token = provider.provide === TOKENS.Logger ? LOG_SINK : provider.provide;
  if ("useValue" in provider) registerValue(c, token, provider.useValue);
  else if ("useClass" in provider) registerClass(c, provider.useClass, token);
  else if ("useFactory" in provider) c.register(token, { useFactory: instanceCachingFactory(provider.useFactory) });
  else throw new FlowConfigError(`${origin}: a provider needs useValue, useClass or useFactory`);
}

// tsyringe types classes as `new (...args: any[]) => T`; ours say `never[]` to keep `any` out of
// the public types. Both mean "any constructor", so this cast is the one bridge between them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyClass<T> = new (...args: any[]) => T;

/** Registers a class built once per container, under itself or under `token`. */
function registerClass<T>(c: DependencyContainer, cls: new (...args: never[]) => T, token: InjectionToken<T> = cls as AnyClass<T>): void {
  c.register(token, { useClass: cls as AnyClass<T> }, { lifecycle: Scope.Singleton });
}

/** Registers a value; tsyringe ignores `useValue: null`, so a null value goes in through a factory. */
function registerValue<T>(c: DependencyContainer, token: InjectionToken<T>, value: T): void {
  if (value === null || value === undefined) c.register(token, { useFactory: () => value });
  else c.register(token, { useValue: value });
}
