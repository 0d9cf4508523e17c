import "reflect-metadata";
import type { DependencyContainer, InjectionToken } from "tsyringe";
import type { FlowConfig } from "./container/config.js";
import { createFlowContainer, type FlowOptions } from "./container/create-container.js";
import type { Lifecycle } from "./container/lifecycle.js";
import { TOKENS } from "./container/tokens.js";
import type { RequestContext, RequestContextInput, RequestContextStore, RequestContextToken } from "./context/request-context.js";
import type { RequestOptions } from "./http/request-options.js";
import type { AgentsNamespace } from "./namespaces/agents.js";
import type { AuditEvent, AuditNamespace } from "./namespaces/audit.js";
import type { AuthNamespace } from "./namespaces/auth.js";
import type { CodeBlocksNamespace } from "./namespaces/code-blocks.js";
import type { ConnectorsNamespace } from "./namespaces/connectors.js";
import type { ConversationsNamespace } from "./namespaces/conversations.js";
import type { DatasetsNamespace } from "./namespaces/datasets.js";
import type { GatewayNamespace } from "./namespaces/gateway.js";
import { BUILTIN_NAMESPACES } from "./namespaces/index.js";
import type { JobsNamespace } from "./namespaces/jobs.js";
import type { MemoryNamespace } from "./namespaces/memory.js";
import type { SecretsNamespace } from "./namespaces/secrets.js";
import type { ServiceTokensNamespace } from "./namespaces/service-tokens.js";
import type { ServiceNamespace } from "./namespaces/service.js";
import type { ServicesNamespace } from "./namespaces/services.js";
import type { StateNamespace } from "./namespaces/state.js";
import type { StorageNamespace } from "./namespaces/storage.js";
import type { VectorNamespace } from "./namespaces/vector.js";
import type { WorkflowsNamespace } from "./namespaces/workflows.js";
import type { FlowPlugin, PluginNamespaces } from "./plugins/define-plugin.js";

/**
 * The one object a code block talks to the platform through. Each instance owns a tsyringe child
 * container: its configuration, token, sockets and request context are its own.
 *
 * @example
 * const flow = FlowSDK.create();
 * const visits = await flow.state.increment("visits");
 * await flow.log("visit", "page", "home", { visits });
 * await flow.close();
 */
export class FlowSDK implements AsyncDisposable {
  readonly #container: DependencyContainer;
  readonly #lifecycle: Lifecycle;

  private constructor(container: DependencyContainer) {
    this.#container = container;
    this.#lifecycle = container.resolve(TOKENS.Lifecycle);
  }

  /**
   * Builds an instance from `options`, then the environment (`options.env`, default
   * `process.env`). Synchronous and cheap: nothing connects until the first call.
   *
   * @throws {FlowConfigError} naming every missing or malformed setting, or a plugin name collision.
   */
  static create<const P extends readonly FlowPlugin[] = []>(options: FlowOptions<P> = {}): FlowSDK & PluginNamespaces<P> {
    const { container, pluginNamespaces } = createFlowContainer(options, RESERVED_NAMES);
    const flow = new FlowSDK(container);
    for (const { name, token } of pluginNamespaces) {
      Object.defineProperty(flow, name, { get: () => flow.#resolve(token), enumerable: true, configurable: false });
    }
    return flow as FlowSDK & PluginNamespaces<P>;
  }

  /** The platform gateway: LLM calls and any raw gateway route (`request`). */
  get gateway(): GatewayNamespace {
    return this.#resolve(BUILTIN_NAMESPACES.gateway);
  }
  /** Other code blocks: list, get, invoke. */
  get codeBlocks(): CodeBlocksNamespace {
    return this.#resolve(BUILTIN_NAMESPACES.codeBlocks);
  }
  /** Platform agents: run and stream. */
  get agents(): AgentsNamespace {
    return this.#resolve(BUILTIN_NAMESPACES.agents);
  }
  /** Workflow runs: start, wait, cancel. */
  get workflows(): WorkflowsNamespace {
    return this.#resolve(BUILTIN_NAMESPACES.workflows);
  }
  /** Tabular datasets: create, insert, query. */
  get datasets(): DatasetsNamespace {
    return this.#resolve(BUILTIN_NAMESPACES.datasets);
  }
  /** Configured integrations: invoke actions. */
  get connectors(): ConnectorsNamespace {
    return this.#resolve(BUILTIN_NAMESPACES.connectors);
  }
  /** Secrets: read values by name. */
  get secrets(): SecretsNamespace {
    return this.#resolve(BUILTIN_NAMESPACES.secrets);
  }
  /** Durable key-value state with versions and TTLs. */
  get state(): StateNamespace {
    return this.#resolve(BUILTIN_NAMESPACES.state);
  }
  /** Chat threads and their messages. */
  get conversations(): ConversationsNamespace {
    return this.#resolve(BUILTIN_NAMESPACES.conversations);
  }
  /** Object storage, streamed both ways. */
  get storage(): StorageNamespace {
    return this.#resolve(BUILTIN_NAMESPACES.storage);
  }
  /** The workspace's audit trail. */
  get audit(): AuditNamespace {
    return this.#resolve(BUILTIN_NAMESPACES.audit);
  }
  /** Identity: who the SDK acts as, and the auth of the request being served. */
  get auth(): AuthNamespace {
    return this.#resolve(BUILTIN_NAMESPACES.auth);
  }
  /** Vector collections: upsert and similarity search. */
  get vector(): VectorNamespace {
    return this.#resolve(BUILTIN_NAMESPACES.vector);
  }
  /** Long-term memory for agents: add text, recall by meaning. */
  get memory(): MemoryNamespace {
    return this.#resolve(BUILTIN_NAMESPACES.memory);
  }
  /** The running service and the request it is serving. */
  get service(): ServiceNamespace {
    return this.#resolve(BUILTIN_NAMESPACES.service);
  }
  /** Other services: call them with context propagated. */
  get services(): ServicesNamespace {
    return this.#resolve(BUILTIN_NAMESPACES.services);
  }
  /** Background jobs: submit, wait, report progress. */
  get jobs(): JobsNamespace {
    return this.#resolve(BUILTIN_NAMESPACES.jobs);
  }
  /** Machine tokens: create, list, revoke. */
  get serviceTokens(): ServiceTokensNamespace {
    return this.#resolve(BUILTIN_NAMESPACES.serviceTokens);
  }

  /** The resolved configuration, read-only; it never holds the token. */
  get config(): FlowConfig {
    return this.#container.resolve(TOKENS.Config);
  }

  /** This instance's tsyringe child container, for advanced use. */
  get container(): DependencyContainer {
    return this.#container;
  }

  /** The request context bound now (read-only), or an empty one. */
  get requestContext(): RequestContext {
    return this.#context().current();
  }

  /**
   * Records an audit event; shorthand for `audit.log({ action, resourceType, resourceId, details })`.
   *
   * @example await flow.log("visit", "page", "home", { visits: 3 });
   */
  log(action: string, resourceType: string, resourceId: string, details?: Record<string, unknown>, options?: RequestOptions): Promise<AuditEvent> {
    return this.audit.log({ action, resourceType, resourceId, details }, options);
  }

  /**
   * Binds a request context for the rest of the current async execution and returns a token for
   * {@link FlowSDK.resetRequestContext}: the Python-style form, for one flow of work (bind at the
   * top, calls, reset in `finally`). Header names are trimmed and lower-cased, empty names
   * dropped, values stringified. Prefer {@link FlowSDK.runWithRequestContext}, which cannot leak:
   * a bind inside a task started alongside others (`Promise.all`) is seen by its caller and by the
   * tasks started after it until its reset; after the reset, nobody sees it any more.
   */
  bindRequestContext(context: RequestContextInput = {}): RequestContextToken {
    return this.#context().bind(context);
  }

  /**
   * Restores the context that was bound before the `bindRequestContext` call that returned `token`,
   * in this async execution and in every other one that picked that binding up; a binding once
   * reset is never seen again.
   */
  resetRequestContext(token: RequestContextToken): void {
    this.#context().reset(token);
  }

  /**
   * Runs `fn` with `context` bound (also across its awaits) and restores the previous context
   * afterwards; resolves or returns what `fn` does. The safe form: the binding is visible only to
   * `fn` and what it starts, never to the caller or to sibling tasks.
   *
   * @example await flow.runWithRequestContext({ headers: req.headers }, () => handle(req));
   */
  runWithRequestContext<T>(context: RequestContextInput, fn: () => T): T {
    return this.#context().run(context, fn);
  }

  /** Replaces the auth token; every client of this instance sends it from the next request on. */
  async refreshAuthToken(newToken: string): Promise<void> {
    this.#lifecycle.assertOpen();
    this.#container.resolve(TOKENS.TokenManager).set(newToken);
  }

  /**
   * Closes the instance: destroys its sockets and releases what it holds. Idempotent; afterwards
   * every call fails with `FlowClosedError`.
   */
  async close(): Promise<void> {
    await this.#lifecycle.close();
  }

  /** `await using flow = FlowSDK.create()` closes the instance at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #context(): RequestContextStore {
    this.#lifecycle.assertOpen();
    return this.#container.resolve(TOKENS.RequestContext);
  }

  #resolve<T>(token: InjectionToken<T>): T {
    return this.#container.resolve(token);
  }
}

/** Names a plugin namespace may not take: the facade's own members, and `then` (it would make the facade thenable). */
const RESERVED_NAMES: ReadonlySet<string> = new Set([
  ...Object.getOwnPropertyNames(FlowSDK.prototype).filter((name) => !(name in BUILTIN_NAMESPACES)),
  "then",
  "__proto__",
  "prototype",
]);
