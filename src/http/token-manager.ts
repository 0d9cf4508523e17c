import { readFile } from "node:fs/promises";
import { FlowConfigError } from "../errors.js";
import type { FlowLogger } from "../logging/logger.js";
import type { Redactor } from "../logging/redactor.js";

/** Returns a fresh token; asked before the current one expires and after a 401. */
export type TokenProvider = () => string | Promise<string>;

/** Refresh a token this long before its `exp`, so it never expires in flight. */
const REFRESH_SKEW_MS = 60_000;
/** After a refresh that did not help, wait this long before asking the provider again. */
const QUIET_MS = 5_000;

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

/**
 * The one holder of this instance's token. Refreshes proactively before expiry and once after a
 * rejection; concurrent callers share a single refresh, so 20 requests meeting one 401 cause
 * exactly one call to the provider.
 */
export class TokenManager {
  #token: string | undefined;
  #expiresAt: number | undefined;
  #inflight: Promise<string> | undefined;
  #quietUntil = 0;
  readonly #provider: TokenProvider | null;
  readonly #redactor: Redactor;
  readonly #logger: FlowLogger;
  readonly #now: () => number;

  /** Starts with `initial` (may be undefined when a provider will supply one). */
  constructor(initial: string | undefined, provider: TokenProvider | null, redactor: Redactor, logger: FlowLogger, now: () => number = Date.now) {
    this.#provider = provider;
    this.#redactor = redactor;
    this.#logger = logger;
    this.#now = now;
    if (initial) this.#store(initial);
  }

  /** True when a provider can supply a fresh token. */
  get canRefresh(): boolean {
    return this.#provider !== null;
  }

  /** Replaces the token; every request from now on uses it. */
  set(token: string): void {
    const trimmed = token.trim();
    if (!trimmed) throw new FlowConfigError("refreshAuthToken(): the new token is empty");
    this.#store(trimmed);
  }

  /**
   * The token to send now: the current one, or a fresh one when it is missing or about to expire.
   *
   * @throws {FlowConfigError} when there is no token and no way to get one.
   */
  async get(): Promise<string> {
    const token = this.#token;
    if (token !== undefined && (!this.#nearExpiry() || this.#now() < this.#quietUntil)) return token;
    if (!this.#provider) {
      if (token !== undefined) return token; // let the platform say it expired
      throw new FlowConfigError(
        "no auth token: set AUTH_TOKEN or AUTH_TOKEN_FILE, or pass authToken or tokenProvider to FlowSDK.create()",
      );
    }
    try {
      return await this.#refresh("token missing or about to expire");
    } catch (error) {
      // A token that has not expired yet is still worth sending when the refresh failed.
      if (token !== undefined && (this.#expiresAt ?? Infinity) > this.#now()) {
        this.#logger.warn("token refresh failed; using the current token until it expires", { error: String(error) });
        return token;
      }
      throw error;
    }
  }

  /**
   * Called after the platform rejected `rejected` with a 401. Resolves to true when a different
   * token is now available to retry with.
   */
  async refreshAfterRejection(rejected: string): Promise<boolean> {
    if (this.#token !== undefined && this.#token !== rejected) return true;
    if (!this.#provider) return false;
    const fresh = await this.#refresh("token rejected");
    return fresh !== rejected;
  }

  #refresh(reason: string): Promise<string> {
    this.#inflight ??= (async () => {
      try {
        this.#logger.info("refreshing auth token", { reason });
        const fresh = (await this.#provider!())?.trim();
        if (!fresh) throw new FlowConfigError("tokenProvider returned an empty token");
        this.#store(fresh);
        // A provider that hands back a token that is still about to expire is not asked again
        // on every request; a 401 still refreshes at once.
        if (this.#nearExpiry()) this.#quietUntil = this.#now() + QUIET_MS;
        return fresh;
      } finally {
        this.#inflight = undefined;
      }
    })();
    return this.#inflight;
  }

  #nearExpiry(): boolean {
    return this.#expiresAt !== undefined && this.#expiresAt - this.#now() < REFRESH_SKEW_MS;
  }

  #store(token: string): void {
    this.#redactor.add(token);
    this.#token = token;
    this.#expiresAt = tokenExpiry(token);
  }

  /** Never shows the token. */
  toJSON(): string {
    return "TokenManager([REDACTED])";
  }
}
