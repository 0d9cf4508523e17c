import { createHash, randomBytes } from "node:crypto";
import type { PageQuery, ServiceTokenCreateInput } from "../../src/dto/index.js";
import { scopeCovers } from "../../src/dto/scopes.js";
import { SERVICE_TOKEN_PREFIX } from "../../src/dto/service-tokens.js";
import type { CreatedServiceToken, ServiceToken } from "../../src/namespaces/service-tokens.js";
import type { Identity } from "../../src/namespaces/auth.js";
import { systemClock, type Clock } from "../../src/container/clock.js";
import { tenantParams, type Tenant } from "../auth.js";
import type { LocalDb } from "../db.js";
import { HttpError } from "../errors.js";
import { DEFAULT_LIMIT, decodeCursor, encodeCursor, toPage, type Page } from "../pagination.js";

/** Subject (`sub`) of a request made with a service token: `serviceToken:<id>`. */
export const SERVICE_TOKEN_SUBJECT_PREFIX = "serviceToken:";

interface Row {
  seq: number;
  id: string;
  org: string;
  ws: string;
  name: string;
  scopes: string;
  created_by: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

const COLUMNS = "seq, id, org, ws, name, scopes, created_by, created_at, expires_at, last_used_at, revoked_at";
const CURSOR_KIND = "service-tokens";

/** The SHA-256 (hex) of a token's whole text: all the platform keeps of it. */
export function hashServiceToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** True when `token` has the shape of a service token (`fst_…`) rather than a JWT. */
export function isServiceToken(token: string): boolean {
  return token.startsWith(SERVICE_TOKEN_PREFIX);
}

/**
 * The workspace's service tokens: opaque bearer tokens `fst_<id>_<secret>`, of which only the
 * SHA-256 is stored. Also checks them on every request ({@link ServiceTokensStore.authenticate}).
 */
export class ServiceTokensStore {
  private readonly insert;
  private readonly selectOne;
  private readonly selectById;
  private readonly selectPage;
  private readonly selectByHash;
  private readonly markUsed;
  private readonly markRevoked;

  /** Creates a store on the platform database, reading the time from `clock`. */
  constructor(
    db: LocalDb,
    private readonly clock: Clock = systemClock,
  ) {
    const tenant = "org = @org AND ws = @ws";
    this.insert = db.prepare(
      `INSERT INTO service_tokens (id, org, ws, name, scopes, token_hash, created_by, created_at, expires_at)
       VALUES (@id, @org, @ws, @name, @scopes, @hash, @createdBy, @now, @expiresAt) RETURNING ${COLUMNS}`,
    );
    this.selectOne = db.prepare(`SELECT ${COLUMNS} FROM service_tokens WHERE ${tenant} AND id = @id`);
    this.selectById = db.prepare(`SELECT ${COLUMNS} FROM service_tokens WHERE id = @id`);
    this.selectPage = db.prepare(`SELECT ${COLUMNS} FROM service_tokens WHERE ${tenant} AND (@before IS NULL OR seq < @before) ORDER BY seq DESC LIMIT @take`);
    this.selectByHash = db.prepare(`SELECT ${COLUMNS} FROM service_tokens WHERE token_hash = @hash`);
    this.markUsed = db.prepare(`UPDATE service_tokens SET last_used_at = @now WHERE id = @id`);
    this.markRevoked = db.prepare(`UPDATE service_tokens SET revoked_at = COALESCE(revoked_at, @now) WHERE ${tenant} AND id = @id RETURNING ${COLUMNS}`);
  }

  /**
   * Creates a token in `tenant` for `creator`, with at most the creator's scopes, and returns it
   * with its secret: the only time the secret exists outside the caller's hands.
   * @throws {HttpError} 403 `missing_scope` naming every scope the creator lacks.
   */
  create(tenant: Tenant, input: ServiceTokenCreateInput, creator: Identity): CreatedServiceToken {
    const scopes = [...new Set(input.scopes)];
    const lacking = scopes.filter((scope) => !scopeCovers(creator.scopes, scope));
    if (lacking.length > 0) {
      const list = lacking.join(", ");
      throw new HttpError(
        403,
        "missing_scope",
        `The token lacks the scope${lacking.length > 1 ? "s" : ""} ${list}, so it cannot give ${lacking.length > 1 ? "them" : "it"} to a service token; create the service token with a token that holds ${list}, or ask for fewer scopes`,
        { scopes: lacking },
      );
    }
    const id = `stk_${randomBytes(12).toString("hex")}`;
    const token = `${SERVICE_TOKEN_PREFIX}${id}_${randomBytes(32).toString("base64url")}`;
    const now = this.clock.now();
    const row = this.insert.get({
      ...tenantParams(tenant),
      id,
      name: input.name,
      scopes: JSON.stringify(scopes),
      hash: hashServiceToken(token),
      createdBy: creator.subject,
      now,
      expiresAt: input.expiresInSeconds === undefined ? null : now + input.expiresInSeconds * 1000,
    }) as Row;
    return { ...toServiceToken(row), token };
  }

  /**
   * The token `id` of `tenant`, without its secret.
   * @throws {HttpError} 404 `not_found`.
   */
  get(tenant: Tenant, id: string): ServiceToken {
    const row = this.selectOne.get({ ...tenantParams(tenant), id }) as Row | undefined;
    if (!row) throw notFound(id);
    return toServiceToken(row);
  }

  /** A page of the tenant's tokens, revoked and expired ones included, newest first. */
  list(tenant: Tenant, input: PageQuery): Page<ServiceToken> {
    const limit = input.limit ?? DEFAULT_LIMIT;
    const before = input.cursor === undefined ? null : decodeCursor(CURSOR_KIND, input.cursor, "number");
    const rows = this.selectPage.all({ ...tenantParams(tenant), before, take: limit + 1 }) as Row[];
    return toPage(rows, limit, toServiceToken, (row) => encodeCursor(CURSOR_KIND, row.seq));
  }

  /**
   * Revokes the token `id` of `tenant` now (a token revoked already keeps its first `revokedAt`).
   * @throws {HttpError} 404 `not_found`.
   */
  revoke(tenant: Tenant, id: string): ServiceToken {
    const row = this.markRevoked.get({ ...tenantParams(tenant), id, now: this.clock.now() }) as Row | undefined;
    if (!row) throw notFound(id);
    return toServiceToken(row);
  }

  /**
   * Checks a presented service token by its SHA-256 and records its use: the identity it speaks
   * for (subject `serviceToken:<id>`, its workspace and scopes).
   * @throws {HttpError} 401 `invalid_token` (unknown or revoked) or `token_expired`.
   */
  authenticate(token: string): Identity {
    const row = this.selectByHash.get({ hash: hashServiceToken(token) }) as Row | undefined;
    if (!row) {
      throw new HttpError(401, "invalid_token", "The service token is not known to this platform (never created here, or cut short); create one with serviceTokens.create");
    }
    this.#use(row);
    return {
      subject: `${SERVICE_TOKEN_SUBJECT_PREFIX}${row.id}`,
      orgId: row.org,
      workspaceId: row.ws,
      scopes: parseScopes(row.scopes),
      expiresAt: iso(row.expires_at),
    };
  }

  /**
   * For a short-lived token the platform signed on a service token's behalf (a code block it
   * invoked, a job it submitted): refuses it once that service token is revoked or expired, and
   * records the use. A subject that names no stored token passes.
   * @throws {HttpError} 401 `invalid_token` (revoked) or `token_expired`.
   */
  checkSubject(subject: string): void {
    if (!subject.startsWith(SERVICE_TOKEN_SUBJECT_PREFIX)) return;
    const row = this.selectById.get({ id: subject.slice(SERVICE_TOKEN_SUBJECT_PREFIX.length) }) as Row | undefined;
    if (row) this.#use(row);
  }

  #use(row: Row): void {
    const now = this.clock.now();
    if (row.revoked_at !== null) {
      throw new HttpError(401, "invalid_token", `The service token ${row.id} was revoked at ${iso(row.revoked_at)}; create a new one`);
    }
    if (row.expires_at !== null && now >= row.expires_at) {
      throw new HttpError(401, "token_expired", `The service token ${row.id} expired at ${iso(row.expires_at)}; create a new one`);
    }
    this.markUsed.run({ id: row.id, now });
  }
}

function toServiceToken(row: Row): ServiceToken {
  return {
    id: row.id,
    name: row.name,
    scopes: parseScopes(row.scopes),
    createdAt: new Date(row.created_at).toISOString(),
    expiresAt: iso(row.expires_at),
    lastUsedAt: iso(row.last_used_at),
    revokedAt: iso(row.revoked_at),
    createdBy: row.created_by,
  };
}

function parseScopes(text: string): string[] {
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? parsed.filter((s): s is string => typeof s === "string") : [];
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function notFound(id: string): HttpError {
  return new HttpError(404, "not_found", `Service token ${JSON.stringify(id)} does not exist in this workspace`);
}
