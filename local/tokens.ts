import { randomBytes } from "node:crypto";
import { SignJWT, errors as joseErrors, jwtVerify } from "jose";
import { ensureMeta, type LocalDb } from "./db.js";
import { HttpError } from "./errors.js";
import { isServiceToken, ServiceTokensStore } from "./store/service-tokens.js";
import { systemClock, type Clock } from "../src/container/clock.js";
import type { Identity } from "../src/namespaces/auth.js";

/** Org every token gets unless told otherwise. */
export const DEFAULT_ORG_ID = "org_local";
/** Workspace every token gets unless told otherwise. */
export const DEFAULT_WORKSPACE_ID = "ws_local";
/** Subject (`sub`) every token gets unless told otherwise. */
export const DEFAULT_SUBJECT = "local-user";
/** Token lifetime unless told otherwise: one hour. */
export const DEFAULT_TTL_SECONDS = 3600;

const ISSUER = "flow-local";
const ALGORITHM = "HS256";

/** Who a verified token speaks for: the wire type of `GET /v1/auth/whoami`, shared with the SDK. */
export type { Identity };

/** What to put in a new token; anything left out takes the defaults. */
export interface MintOptions {
  /** Org claim. @default "org_local" */
  orgId?: string | undefined;
  /** Workspace claim. @default "ws_local" */
  workspaceId?: string | undefined;
  /** Scopes, e.g. `["state:read"]`. @default ["*"] */
  scopes?: readonly string[] | undefined;
  /** Lifetime in seconds, at least: `exp` is rounded up to the next second. @default the platform's `tokenTtlSeconds` */
  ttlSeconds?: number | undefined;
  /** Subject claim: who the token speaks for. @default "local-user" */
  subject?: string | undefined;
}

/** A freshly signed token. */
export interface MintedToken {
  /** The JWT. */
  token: string;
  /** When it expires, ISO 8601. */
  expiresAt: string;
}

/**
 * Signs and checks the local platform's HS256 tokens, and checks its service tokens (opaque
 * `fst_…` tokens, looked up by their SHA-256 on every request).
 */
export class TokenService {
  /**
   * Creates a service signing with `secret`; tokens live `defaultTtlSeconds` unless told otherwise,
   * and `clock` dates them and judges their expiry. Without `serviceTokens`, a service token is
   * refused as `invalid_token`.
   */
  constructor(
    private readonly secret: Uint8Array,
    readonly defaultTtlSeconds: number = DEFAULT_TTL_SECONDS,
    private readonly clock: Clock = systemClock,
    private readonly serviceTokens?: ServiceTokensStore,
  ) {}

  /**
   * A service whose secret is kept in the database, so tokens survive a restart on the same data
   * dir, and which checks the service tokens stored there.
   */
  static fromDatabase(db: LocalDb, defaultTtlSeconds?: number, clock?: Clock): TokenService {
    const secret = ensureMeta(db, "signing_secret", () => randomBytes(32).toString("base64url"));
    return new TokenService(Buffer.from(secret, "base64url"), defaultTtlSeconds, clock, new ServiceTokensStore(db, clock));
  }

  /** Signs a token with the given claims; it lives at least `ttlSeconds` from now. */
  async mint(options: MintOptions = {}): Promise<MintedToken> {
    const nowMs = this.clock.now();
    // JWT times are whole seconds: iat rounded down, exp rounded up, so the token lives at least
    // its TTL (rounding exp down from a floored iat would cut up to a second off it).
    const iat = Math.floor(nowMs / 1000);
    const exp = Math.ceil((nowMs + (options.ttlSeconds ?? this.defaultTtlSeconds) * 1000) / 1000);
    const token = await new SignJWT({
      org: options.orgId ?? DEFAULT_ORG_ID,
      ws: options.workspaceId ?? DEFAULT_WORKSPACE_ID,
      scopes: [...(options.scopes ?? ["*"])],
    })
      .setProtectedHeader({ alg: ALGORITHM, typ: "JWT" })
      .setSubject(options.subject ?? DEFAULT_SUBJECT)
      .setIssuer(ISSUER)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.secret);
    return { token, expiresAt: new Date(exp * 1000).toISOString() };
  }

  /**
   * Checks a token: a service token (`fst_…`) by its stored SHA-256 (revoked: `invalid_token`;
   * expired: `token_expired`), recording its use; a JWT by its signature, issuer, expiry and
   * claims, and, when it was signed on a service token's behalf (subject `serviceToken:<id>`),
   * that this service token is still neither revoked nor expired.
   * @throws {HttpError} 401 `token_expired` or `invalid_token`.
   */
  async verify(token: string): Promise<Identity> {
    if (isServiceToken(token)) {
      if (!this.serviceTokens) throw new HttpError(401, "invalid_token", "This platform does not accept service tokens");
      return this.serviceTokens.authenticate(token);
    }
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.secret, { algorithms: [ALGORITHM], issuer: ISSUER, currentDate: new Date(this.clock.now()) }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) {
        throw new HttpError(401, "token_expired", "The token has expired; mint a new one (flow-sdk-local token) or let the SDK refresh it");
      }
      throw new HttpError(401, "invalid_token", "The token is not a valid flow-sdk-local token (bad signature, issuer or format)");
    }
    const { sub, org, ws, scopes, exp } = payload;
    if (typeof sub !== "string" || typeof org !== "string" || typeof ws !== "string" || !isStringArray(scopes)) {
      throw new HttpError(401, "invalid_token", "The token lacks the sub, org, ws or scopes claim");
    }
    this.serviceTokens?.checkSubject(sub);
    return {
      subject: sub,
      orgId: org,
      workspaceId: ws,
      scopes,
      expiresAt: typeof exp === "number" ? new Date(exp * 1000).toISOString() : null,
    };
  }
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((s) => typeof s === "string");
}
