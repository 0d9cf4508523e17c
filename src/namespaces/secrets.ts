// flow.secrets: read the secrets configured for the workspace, with a short in-memory cache.
import { inspect } from "node:util";
import { inject, injectable } from "tsyringe";
import type { Clock } from "../container/clock.js";
import type { FlowConfig } from "../container/config.js";
import type { Lifecycle } from "../container/lifecycle.js";
import { TOKENS } from "../container/tokens.js";
import { SecretNameInput, SecretsBatchGetInput, SecretsListInput, SecretsReadParamsInput, validateInput } from "../dto/index.js";
import { FlowAbortError, FlowError } from "../errors.js";
import { untilAborted } from "../http/abort.js";
import type { RequestOptions } from "../http/request-options.js";
import { WorkspaceClient } from "../internal/workspace-client.js";
import type { Redactor } from "../logging/redactor.js";
import type { PagePromise } from "../pagination.js";

/** A secret as listed: its name and dates, never its value (read that with `get`). */
export interface Secret {
  /** The secret's name, e.g. `STRIPE_API_KEY`. */
  name: string;
  /** When the secret was created, as an ISO 8601 timestamp. */
  createdAt: string;
  /** When the value last changed, as an ISO 8601 timestamp. */
  updatedAt: string;
}

/** Parameters of `secrets.get`. */
export interface SecretsGetParams {
  /**
   * Skip the in-memory cache and read the current value from the platform (the cache then holds it).
   * @default false
   */
  fresh?: boolean | undefined;
}

/** Parameters of `secrets.getMany`. */
export type SecretsGetManyParams = SecretsGetParams;

/** Parameters of `secrets.list`. */
export interface SecretsListParams {
  /** Only secrets whose name starts with this prefix. */
  prefix?: string | undefined;
  /** Items per page, 1 to 1000. */
  limit?: number | undefined;
  /** The `nextCursor` of the previous page. */
  cursor?: string | undefined;
}

/** What `GET W/secrets/:name` answers. */
interface SecretValueBody {
  name: string;
  value: unknown;
}

interface Cached {
  value: string;
  expiresAt: number;
  /** Which read produced it: a read that started earlier never replaces it. */
  read: number;
}

/** Most values the cache holds; past it, expired entries go first, then the least recently stored. */
export const MAX_CACHED_SECRETS = 1000;

/**
 * Reads workspace secrets. Values are cached in memory for `secretsCacheTtlMs` (default 60 s, at
 * most {@link MAX_CACHED_SECRETS} values), concurrent reads of one name share one request, and
 * `close()` empties the cache. Every value
 * read is handed to the instance's redactor, so it never appears in an error, a log line or
 * `inspect` output.
 */
@injectable()
export class SecretsNamespace {
  // Private fields: util.inspect does not show them, and the custom inspect below shows counts only.
  readonly #cache = new Map<string, Cached>();
  readonly #inFlight = new Map<string, Promise<string>>();
  // Numbers reads in the order they start, so a slow old read cannot overwrite a fresher value.
  #reads = 0;

  /** Built by the container; registers the cache with `close()`. */
  constructor(
    @inject(WorkspaceClient) private readonly client: WorkspaceClient,
    @inject(TOKENS.Config) private readonly config: FlowConfig,
    @inject(TOKENS.Lifecycle) private readonly lifecycle: Lifecycle,
    @inject(TOKENS.Redactor) private readonly redactor: Redactor,
    @inject(TOKENS.Clock) private readonly clock: Clock,
  ) {
    lifecycle.onClose(() => {
      this.#cache.clear();
      this.#inFlight.clear();
    });
  }

  /**
   * Resolves to the value of the secret `name`, from the cache when it was read less than
   * `secretsCacheTtlMs` ago (unless `fresh`). Concurrent calls for one name share one request;
   * each caller's `signal` ends only its own wait.
   *
   * @example const key = await flow.secrets.get("STRIPE_API_KEY");
   * @throws {FlowNotFoundError} when the workspace has no secret `name` (the message names it).
   * @throws {FlowValidationError} for an invalid name, before any request.
   */
  async get(name: string, params: SecretsGetParams = {}, options?: RequestOptions): Promise<string> {
    const input = validateInput(SecretNameInput, { name }, "secrets.get");
    const fresh = validateInput(SecretsReadParamsInput, params, "secrets.get").fresh === true;
    this.client.checkOptions(options); // even when the cache answers
    this.lifecycle.assertOpen();
    // A caller that has already given up gets no value and starts no shared read.
    if (options?.signal?.aborted) throw abortError(`secrets.get ${input.name}`);
    if (!fresh) {
      const cached = this.#cached(input.name);
      if (cached !== undefined) return cached;
    }
    let pending = fresh ? undefined : this.#inFlight.get(input.name);
    if (pending === undefined) {
      // The shared request carries no caller's signal: one caller giving up must not fail the others.
      const { signal: _signal, ...shared } = options ?? {};
      pending = this.#fetchOne(input.name, ++this.#reads, shared);
      this.#inFlight.set(input.name, pending);
      const settled = pending;
      void settled.then(
        () => this.#forget(input.name, settled),
        () => this.#forget(input.name, settled),
      );
    }
    return waitFor(pending, options?.signal, `secrets.get ${input.name}`);
  }

  /**
   * Resolves to the values of several secrets, keyed by name (typed by the names given). Names not
   * in the cache (or all of them with `fresh`) are read in one request.
   *
   * @example const { DB_USER, DB_PASSWORD } = await flow.secrets.getMany(["DB_USER", "DB_PASSWORD"]);
   * @throws {FlowNotFoundError} when any name is missing; the message names every missing one.
   * @throws {FlowValidationError} for an invalid name or more than 100 names, before any request.
   */
  async getMany<const N extends string>(names: readonly N[], params: SecretsGetManyParams = {}, options?: RequestOptions): Promise<Record<N, string>> {
    const input = validateInput(SecretsBatchGetInput, { names: Array.isArray(names) ? [...names] : names }, "secrets.getMany");
    const fresh = validateInput(SecretsReadParamsInput, params, "secrets.getMany").fresh === true;
    this.client.checkOptions(options);
    this.lifecycle.assertOpen();
    if (options?.signal?.aborted) throw abortError("secrets.getMany");
    // No prototype: a secret may be named `__proto__` or `constructor`.
    const values = Object.create(null) as Record<string, string>;
    const wanted: string[] = [];
    for (const name of new Set(input.names)) {
      const cached = fresh ? undefined : this.#cached(name);
      if (cached === undefined) wanted.push(name);
      else values[name] = cached;
    }
    if (wanted.length > 0) {
      const read = ++this.#reads;
      const answered = (await this.client.post<{ values: unknown }>(`${this.client.path("secrets")}:batchGet`, { names: wanted }, options)).values;
      for (const name of wanted) {
        const value = typeof answered === "object" && answered !== null && Object.hasOwn(answered, name) ? (answered as Record<string, unknown>)[name] : undefined;
        values[name] = this.#remember(name, value, read, "POST secrets:batchGet");
      }
    }
    // Same order as asked, whatever came from the cache.
    return Object.fromEntries(input.names.map((name) => [name, values[name] as string])) as Record<N, string>;
  }

  /**
   * Lists the workspace's secrets by name (in name order), never with their values.
   *
   * @example for await (const secret of flow.secrets.list({ prefix: "STRIPE_" })) console.log(secret.name);
   */
  list(params: SecretsListParams = {}, options?: RequestOptions): PagePromise<Secret> {
    // Each item is rebuilt from its name and dates: whatever else an answer holds is never handed on.
    return this.client.list<Secret>(
      () => ({ path: this.client.path("secrets"), query: validateInput(SecretsListInput, params, "secrets.list") }),
      options,
      ({ name, createdAt, updatedAt }) => ({ name, createdAt, updatedAt }),
    );
  }

  /** Shows the cache's size and TTL, never a value. */
  [inspect.custom](): string {
    return `SecretsNamespace { cached: ${this.#cache.size}, cacheTtlMs: ${this.config.secretsCacheTtlMs} }`;
  }

  async #fetchOne(name: string, read: number, options: RequestOptions): Promise<string> {
    const answer = await this.client.get<SecretValueBody>(this.client.path("secrets", name), options);
    return this.#remember(name, answer.value, read, "GET secrets/:name");
  }

  /** Hands a value read to the redactor, caches it (unless a later-started read already did), and returns it. */
  #remember(name: string, value: unknown, read: number, route: string): string {
    if (typeof value !== "string") {
      // Never echo what came back: it may be the value in another shape.
      throw new FlowError(`${route} answered without a string value for secret ${name}; check that PLATFORM_API_URL points at the Flow platform`);
    }
    this.redactor.addSecret(value);
    // A read that ends after close() must not refill the emptied cache.
    if (this.config.secretsCacheTtlMs > 0 && !this.lifecycle.closed && (this.#cache.get(name)?.read ?? 0) < read) {
      this.#cache.delete(name); // re-inserted last: the Map's order is the order of storing
      this.#cache.set(name, { value, expiresAt: this.clock.now() + this.config.secretsCacheTtlMs, read });
      if (this.#cache.size > MAX_CACHED_SECRETS) this.#trim();
    }
    return value;
  }

  /** Drops expired entries, then the least recently stored ones, down to {@link MAX_CACHED_SECRETS}. */
  #trim(): void {
    const now = this.clock.now();
    for (const [name, entry] of this.#cache) if (entry.expiresAt <= now) this.#cache.delete(name);
    for (const name of this.#cache.keys()) {
      if (this.#cache.size <= MAX_CACHED_SECRETS) break;
      this.#cache.delete(name);
    }
  }

  #cached(name: string): string | undefined {
    const entry = this.#cache.get(name);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > this.clock.now()) return entry.value;
    this.#cache.delete(name);
    return undefined;
  }

  #forget(name: string, pending: Promise<string>): void {
    if (this.#inFlight.get(name) === pending) this.#inFlight.delete(name);
  }
}

/** Waits for a shared read; the caller's own signal ends only this wait. */
async function waitFor(pending: Promise<string>, signal: AbortSignal | undefined, what: string): Promise<string> {
  if (signal === undefined) return pending;
  try {
    return await untilAborted(pending, [signal]);
  } catch (error) {
    if (signal.aborted && !FlowError.isFlowError(error)) throw abortError(what);
    throw error;
  }
}

function abortError(what: string): FlowAbortError {
  return new FlowAbortError(`${what} was aborted by its signal`);
}
