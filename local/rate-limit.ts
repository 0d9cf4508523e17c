import type { FastifyReply, FastifyRequest } from "fastify";
import type { Clock } from "../src/container/clock.js";
import { identityOf } from "./auth.js";
import { envelope } from "./errors.js";

/** A per-token rate limit of the local platform: a token bucket for each token's subject, org and workspace. */
export interface RateLimitOptions {
  /** Requests per second a token may make once its burst is spent; may be fractional, e.g. 0.5. */
  requestsPerSecond: number;
  /** Requests a token may make at once after a quiet spell (the bucket's size). @default `requestsPerSecond` rounded up, at least 1 */
  burst?: number | undefined;
}

/** A checked {@link RateLimitOptions}, `burst` filled in. */
export interface RateLimit {
  /** Requests per second once the burst is spent. */
  requestsPerSecond: number;
  /** Size of each bucket. */
  burst: number;
}

/** Highest `requestsPerSecond` and `burst` accepted. */
export const MAX_RATE = 1_000_000;
// Buckets that would be full again are dropped once there are this many, so a stream of fresh
// tokens does not grow the map without end.
const PRUNE_AT = 10_000;

/**
 * Checks a {@link RateLimitOptions} and fills in `burst`.
 * @throws {RangeError} naming the bad field.
 */
export function checkRateLimit(options: unknown): RateLimit {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new RangeError(`flow-local: rateLimit must be an object { requestsPerSecond, burst? }, got ${options === null ? "null" : typeof options}`);
  }
  const { requestsPerSecond, burst } = options as { requestsPerSecond?: unknown; burst?: unknown };
  if (typeof requestsPerSecond !== "number" || !Number.isFinite(requestsPerSecond) || requestsPerSecond <= 0 || requestsPerSecond > MAX_RATE) {
    throw new RangeError(`flow-local: rateLimit.requestsPerSecond must be a number over 0 and at most ${MAX_RATE}, got ${String(requestsPerSecond)}`);
  }
  const size = burst ?? Math.max(1, Math.ceil(requestsPerSecond));
  if (typeof size !== "number" || !Number.isInteger(size) || size < 1 || size > MAX_RATE) {
    throw new RangeError(`flow-local: rateLimit.burst must be a whole number from 1 to ${MAX_RATE}, got ${String(size)}`);
  }
  return { requestsPerSecond, burst: size };
}

/** Token buckets keyed by a string, refilled on a {@link Clock}. */
export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #perMs: number;

  /** Creates a limiter; `options` must have passed {@link checkRateLimit}. */
  constructor(
    readonly options: RateLimit,
    private readonly clock: Clock,
  ) {
    this.#perMs = options.requestsPerSecond / 1000;
  }

  /** Takes one request from `key`'s bucket: undefined when allowed, else the milliseconds until one is. */
  take(key: string): number | undefined {
    const now = this.clock.now();
    if (this.#buckets.size >= PRUNE_AT) this.#prune(now);
    const bucket = this.#buckets.get(key) ?? { tokens: this.options.burst, at: now };
    // A clock set back (the system clock may be) refills nothing rather than draining the bucket.
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + Math.max(0, now - bucket.at) * this.#perMs);
    bucket.at = now;
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    return (1 - bucket.tokens) / this.#perMs;
  }

  #prune(now: number): void {
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens + (now - bucket.at) * this.#perMs >= this.options.burst) this.#buckets.delete(key);
    }
  }
}

/**
 * onRequest hook, after `authenticate`: one request from the bucket of the token's subject, org
 * and workspace, or `429 rate_limited` with `Retry-After` in whole seconds (at least 1), before
 * any work and before an idempotent answer is claimed or replayed.
 */
export function rateLimitHook(limiter: RateLimiter): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  const { requestsPerSecond, burst } = limiter.options;
  return async (request, reply) => {
    const { subject, orgId, workspaceId } = identityOf(request);
    const waitMs = limiter.take(JSON.stringify([subject, orgId, workspaceId]));
    if (waitMs === undefined) return undefined;
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    return reply
      .status(429)
      .header("retry-after", String(seconds))
      .send(envelope("rate_limited", `Over this platform's rate limit of ${requestsPerSecond} requests per second (burst ${burst}) for this token; retry after ${seconds} s`));
  };
}
