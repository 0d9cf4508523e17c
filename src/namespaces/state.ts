import { inject, injectable } from "tsyringe";
import { paramsObject, StateIncrementInput, StateKeyInput, StateListInput, StateSetInput, validateInput } from "../dto/index.js";
import type { RequestOptions } from "../http/request-options.js";
import { WorkspaceClient } from "../internal/workspace-client.js";
import type { PagePromise } from "../pagination.js";

/** A stored key with its value and bookkeeping. */
export interface StateEntry<T = unknown> {
  /** The key. */
  key: string;
  /** The JSON value. */
  value: T;
  /** Starts at 1 and goes up by one on every write; pass it as `ifVersion` for optimistic locking. */
  version: number;
  /** When the key expires (ISO 8601), or `null` when it does not. */
  expiresAt: string | null;
  /** When the key was last written (ISO 8601). */
  updatedAt: string;
}

/** Parameters of `state.set`. */
export interface StateSetParams {
  /** Seconds until the key expires; without it the key never expires (and any earlier TTL is cleared). */
  ttlSeconds?: number;
  /** Write only if the stored version equals this (0: only if the key does not exist); else `FlowConflictError`. */
  ifVersion?: number;
}

/** Parameters of `state.increment`. */
export interface StateIncrementParams {
  /** Seconds until the key expires, set by this write; without it the key keeps its TTL. */
  ttlSeconds?: number;
}

/** Parameters of `state.list`. */
export interface StateListParams {
  /** Only keys that start with this. */
  prefix?: string;
  /** Entries per page (1–1000, default 100). */
  limit?: number;
  /** Start after this cursor (a page's `nextCursor`). */
  cursor?: string;
}

/** Durable key-value state with JSON values, versions and TTLs, scoped to the workspace. */
@injectable()
export class StateNamespace {
  /** Built by the container. */
  constructor(@inject(WorkspaceClient) private readonly client: WorkspaceClient) {}

  /**
   * The value stored at `key`, or `undefined` when it is missing or expired.
   *
   * @throws {FlowValidationError} for an invalid key, before any request.
   */
  async get<T = unknown>(key: string, options?: RequestOptions): Promise<T | undefined> {
    return (await this.#entry<T>(key, options, "state.get"))?.value;
  }

  /** The entry at `key` with its version, or `undefined` when it is missing or expired. */
  async getWithVersion<T = unknown>(key: string, options?: RequestOptions): Promise<StateEntry<T> | undefined> {
    return this.#entry<T>(key, options, "state.getWithVersion");
  }

  async #entry<T>(key: string, options: RequestOptions | undefined, what: string): Promise<StateEntry<T> | undefined> {
    const input = validateInput(StateKeyInput, { key }, what);
    return this.client.find<StateEntry<T>>(this.#path(input.key), options);
  }

  /**
   * Stores `value` (any JSON value) at `key` and returns the new entry.
   *
   * @example await flow.state.set("cart:42", { items: [] }, { ttlSeconds: 3600 });
   * @throws {FlowConflictError} when `ifVersion` does not match the stored version.
   * @throws {FlowValidationError} for an invalid key, value or parameter, before any request.
   */
  async set<T = unknown>(key: string, value: T, params: StateSetParams = {}, options?: RequestOptions): Promise<StateEntry<T>> {
    const input = validateInput(StateSetInput, { ...paramsObject(params, "state.set", ["key", "value"]), key, value }, "state.set");
    const { key: _key, ...body } = input;
    return this.client.put<StateEntry<T>>(this.#path(input.key), body, options);
  }

  /** Deletes `key`; resolves to true when it existed. */
  async delete(key: string, options?: RequestOptions): Promise<boolean> {
    const input = validateInput(StateKeyInput, { key }, "state.delete");
    return this.client.deleted(this.#path(input.key), options);
  }

  /**
   * Adds `by` (default 1) to the number at `key` atomically and resolves to the new number; a
   * missing key counts as 0.
   *
   * @throws {FlowConflictError} when the stored value is not a number.
   */
  async increment(key: string, by = 1, params: StateIncrementParams = {}, options?: RequestOptions): Promise<number> {
    const input = validateInput(StateIncrementInput, { ...paramsObject(params, "state.increment", ["key", "by"]), key, by }, "state.increment");
    const { key: _key, ...body } = input;
    return (await this.client.post<StateEntry<number>>(`${this.#path(input.key)}/increment`, body, options)).value;
  }

  /**
   * Entries in key order; await for the first page or `for await` over every entry.
   *
   * @example for await (const entry of flow.state.list({ prefix: "cart:" })) keys.push(entry.key);
   */
  list<T = unknown>(params: StateListParams = {}, options?: RequestOptions): PagePromise<StateEntry<T>> {
    return this.client.list(() => ({ path: this.client.path("state"), query: validateInput(StateListInput, params, "state.list") }), options);
  }

  #path(key: string): string {
    return this.client.path("state", key);
  }
}
