import { readFile } from "node:fs/promises";
import { systemClock, type Clock } from "../container/clock.js";
import { FlowConfigError, FlowTimeoutError } from "../errors.js";
import type { FlowLogger } from "../logging/logger.js";
import type { Redactor } from "../logging/redactor.js";
import { untilAborted } from "./abort.js";

/** Returns a fresh token; asked before the current one expires and after a 401. */
export type TokenProvider = () => string | Promise<string>;

/** Refresh a token this long before its `exp`, so it never expires in flight. */
const REFRESH_SKEW_MS = 60_000;
/** After a proactive refresh that failed or did not help, wait this long before asking the provider again. */
const QUIET_MS = 5_000;
/**
 * After a refresh following a 401 failed, further 401s of the same token within this window get
 * the same answer without asking the provider: a burst of concurrent requests makes one call.
 */
const REJECTION_MEMO_MS = 1_000;

/** A provider that re-reads `AUTH_TOKEN_FILE`, so an outside process can rotate the token. */
export function fileTokenProvider(path: string): TokenProvider {
  return async () => {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
      throw new FlowConfigError(`AUTH_TOKEN_FILE ${path} could not be read (${code}); check the path and its permissions`);
    }
    const token = text.trim();
    if (!token) throw new FlowConfigError(`AUTH_TOKEN_FILE ${path} is empty; it must hold the token`);
    return token;
  };
}

/**
 * Reads `exp` from a JWT without verifying it: the SDK cannot verify (the platform holds the key)
 * and only uses `exp` to schedule a refresh, so a hand-rolled decode of one claim is enough and
 * saves a dependency. Anything that is not a JWT has no known expiry.
 */
export function tokenExpiry(token: string): number | undefined {
  const payload = token.split(".")[1];
  if (!payload) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { exp?: unknown }).exp;
    return typeof exp === "number" && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** The token to send, with the generation it belongs to (bumped on every change). */
export interface CurrentToken {
  /** The bearer token. */
  token: string;
  /** Changes whenever the token does; a 401 names the generation it rejected. */
  generation: number;
}

/**
 * The one holder of this instance's token. Refreshes proactively before expiry and once after a
 * rejection; concurrent callers share a single refresh, so 20 requests meeting one 401 cause
 * exactly one call to the provider.
 */
export class TokenManager {
  #token: string | undefined;
  #expiresAt: number | undefined;
  #generation = 0;
  #inflight: Promise<string> | undefined;
  #quietUntil = 0;
  /** How the last refresh after a rejection went, reused for 401s of the same generation for a while. */
  #lastRejection: { generation: number; until: number; failure: unknown } | undefined;
  readonly #refreshTimeoutMs: number;
  readonly #provider: TokenProvider | null;
  readonly #redactor: Redactor;
  readonly #logger: FlowLogger;
  readonly #clock: Clock;

  /**
   * Starts with `initial` (may be undefined when a provider will supply one); a provider call that
   * takes longer than `refreshTimeoutMs` fails, so the next request asks again.
   */
  constructor(
    initial: string | undefined,
    provider: TokenProvider | null,
    redactor: Redactor,
    logger: FlowLogger,
    refreshTimeoutMs = 30_000,
    clock: Clock = systemClock,
  ) {
    this.#refreshTimeoutMs = refreshTimeoutMs;
    this.#provider = provider;
    this.#redactor = redactor;
    this.#logger = logger;
    this.#clock = clock;
    if (initial) this.#store(initial);
  }

  /** True when a provider can supply a fresh token. */
  get canRefresh(): boolean {
    return this.#provider !== null;
  }

  /** Replaces the token; every request from now on uses it, and a refresh already under way is discarded. */
  set(token: string): void {
    const trimmed = token.trim();
    if (!trimmed) throw new FlowConfigError("refreshAuthToken(): the new token is empty");
    this.#store(trimmed);
    this.#inflight = undefined; // a refresh under way is for the old token; a 401 on this one starts afresh
  }

  /** The current token when it can be sent as it is (the hot path: no refresh, no await), else undefined. */
  fresh(): CurrentToken | undefined {
    if (this.#token === undefined) return undefined;
    if (!this.#provider || !this.#nearExpiry() || this.#clock.now() < this.#quietUntil) return this.#current();
    return undefined;
  }

  /**
   * The token to send now: the current one, or a fresh one when it is missing or about to expire.
   *
   * @throws {FlowConfigError} when there is no token and no way to get one.
   */
  async get(): Promise<CurrentToken> {
    const token = this.#token;
    const ready = this.fresh();
    if (ready) return ready;
    // Without a provider, fresh() already answered with any token there is (the platform will say
    // when it expired); no token at all is a configuration mistake.
    if (!this.#provider) {
      throw new FlowConfigError("no auth token: set AUTH_TOKEN or AUTH_TOKEN_FILE, or pass authToken or tokenProvider to FlowSDK.create()");
    }
    try {
      await this.#refresh("token missing or about to expire");
    } catch (error) {
      // A token that has not expired yet is still worth sending when the refresh failed; the
      // provider is left alone for a while instead of being asked again on every request.
      if (token === undefined || (this.#expiresAt ?? Infinity) <= this.#clock.now()) throw error;
      this.#quietUntil = this.#clock.now() + QUIET_MS;
      this.#logger.warn("token refresh failed; using the current token until it expires", { error: String(error) });
    }
    return this.#current();
  }

  /**
   * Called after the platform rejected the token of `generation` with a 401. Resolves to true
   * when a different token is now available to retry with.
   *
   * @throws whatever the provider threw, when it failed.
   */
  async refreshAfterRejection(generation: number): Promise<boolean> {
    if (generation !== this.#generation) return true;
    if (!this.#provider) return false;
    // The provider already failed (or gave the same token) for this generation: say so again
    // without asking it once per rejected request.
    const last = this.#lastRejection;
    if (last?.generation === generation && this.#clock.now() < last.until) {
      if (last.failure !== undefined) throw last.failure;
      return false;
    }
    const rejected = this.#token;
    try {
      const fresh = await this.#refresh("token rejected");
      if (fresh !== rejected) return true;
      this.#lastRejection = { generation, until: this.#clock.now() + REJECTION_MEMO_MS, failure: undefined };
      return false;
    } catch (error) {
      if (generation === this.#generation) this.#lastRejection = { generation, until: this.#clock.now() + REJECTION_MEMO_MS, failure: error };
      throw error;
    }
  }

  #current(): CurrentToken {
    return { token: this.#token!, generation: this.#generation };
  }

  #refresh(reason: string): Promise<string> {
    if (this.#inflight) return this.#inflight;
    const started = this.#generation;
    this.#logger.info("refreshing auth token", { reason });
    // Through a resolved promise, so that a provider throwing synchronously is a rejection too;
    // bounded, so that one hung provider call does not hold every later request.
    const asked = Promise.resolve().then(() => this.#provider!());
    const refresh = untilAborted(asked, [AbortSignal.timeout(this.#refreshTimeoutMs)])
      .catch((error: unknown) => {
        if (error instanceof DOMException && error.name === "TimeoutError") {
          throw new FlowTimeoutError(`the token source (tokenProvider or AUTH_TOKEN_FILE) did not answer within ${this.#refreshTimeoutMs} ms`);
        }
        throw error;
      })
      .then((value) => {
        const fresh = typeof value === "string" ? value.trim() : "";
        if (!fresh) throw new FlowConfigError("tokenProvider returned no token (an empty string or not a string)");
        // refreshAuthToken() during the refresh wins: its token is newer than what we asked for.
        if (this.#generation === started) this.#store(fresh);
        if (this.#nearExpiry()) this.#quietUntil = this.#clock.now() + QUIET_MS;
        return this.#token!;
      });
    this.#inflight = refresh;
    const clear = () => {
      if (this.#inflight === refresh) this.#inflight = undefined;
    };
    refresh.then(clear, clear);
    return refresh;
  }

  #nearExpiry(): boolean {
    return this.#expiresAt !== undefined && this.#expiresAt - this.#clock.now() < REFRESH_SKEW_MS;
  }

  #store(token: string): void {
    this.#redactor.add(token);
    if (token !== this.#token) this.#generation += 1;
    this.#token = token;
    this.#expiresAt = tokenExpiry(token);
  }

  /** Never shows the token. */
  toJSON(): string {
    return "TokenManager([REDACTED])";
  }
}
