import { chmodSync, mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";

/** The local platform's SQLite handle. */
export type LocalDb = Database.Database;

/**
 * How long a write waits for another process's write lock, in milliseconds. SQLite's busy wait
 * blocks the whole event loop (every tenant, /v1/health), so it is short: a database still busy
 * after it answers 503 database_busy with Retry-After, which the SDK retries.
 */
export const BUSY_TIMEOUT_MS = 100;

/** Busy wait while migrating at open: a second process opening a fresh data dir waits for the first's steps. */
const MIGRATION_BUSY_TIMEOUT_MS = 5000;

/** Name of the database file inside a data dir. */
export const DB_FILE = "flow-local.sqlite";

// Each entry runs once, in order; PRAGMA user_version records how many have run, so a data dir
// made by an older flow-local is upgraded in place instead of rebuilt.
/** The schema steps, oldest first; exported so tests can build a data dir of an older version. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE state (
    org TEXT NOT NULL, ws TEXT NOT NULL, key TEXT NOT NULL,
    value TEXT NOT NULL, version INTEGER NOT NULL,
    expires_at INTEGER, updated_at INTEGER NOT NULL,
    PRIMARY KEY (org, ws, key)
  ) WITHOUT ROWID;
  CREATE INDEX state_expiry ON state (expires_at) WHERE expires_at IS NOT NULL;
  CREATE TABLE audit_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
    org TEXT NOT NULL, ws TEXT NOT NULL,
    action TEXT NOT NULL, resource_type TEXT NOT NULL, resource_id TEXT NOT NULL,
    details TEXT NOT NULL, actor TEXT NOT NULL,
    request_id TEXT, execution_id TEXT, created_at INTEGER NOT NULL
  );
  CREATE INDEX audit_by_tenant ON audit_events (org, ws, seq);
  CREATE TABLE idempotency (
    org TEXT NOT NULL, ws TEXT NOT NULL, key TEXT NOT NULL,
    method TEXT NOT NULL, path TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (org, ws, key)
  );
  CREATE TABLE secrets (
    org TEXT NOT NULL, ws TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (org, ws, name)
  );
  `,
  // Idempotency keys are bound to the token subject and to a fingerprint of the request. The
  // table is a 24-hour cache of answers, so it is dropped and recreated rather than converted:
  // a retry of a call made before the upgrade does its work again.
  `
  DROP TABLE IF EXISTS idempotency;
  CREATE TABLE idempotency (
    org TEXT NOT NULL, ws TEXT NOT NULL, subject TEXT NOT NULL, key TEXT NOT NULL,
    method TEXT NOT NULL, path TEXT NOT NULL, fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL, body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (org, ws, subject, key)
  );
  CREATE INDEX idempotency_expiry ON idempotency (created_at);
  `,
  // The data namespaces: secrets gain dates; storage, datasets, vector, memory, conversations.
  `
  -- Secrets seeded before this step get its time as both dates.
  ALTER TABLE secrets ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE secrets ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
  UPDATE secrets SET created_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000, updated_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000;

  CREATE TABLE storage_objects (
    org TEXT NOT NULL, ws TEXT NOT NULL, path TEXT NOT NULL,
    size INTEGER NOT NULL, content_type TEXT NOT NULL, etag TEXT NOT NULL,
    metadata TEXT NOT NULL, updated_at INTEGER NOT NULL,
    PRIMARY KEY (org, ws, path)
  ) WITHOUT ROWID;

  -- A dataset row is one JSON document holding every column (missing nullable ones as null);
  -- seq orders rows by insertion and breaks ties in every sort.
  CREATE TABLE datasets (
    org TEXT NOT NULL, ws TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL,
    description TEXT, schema TEXT NOT NULL, row_count INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
    PRIMARY KEY (org, ws, id), UNIQUE (org, ws, name)
  );
  CREATE TABLE dataset_rows (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    org TEXT NOT NULL, ws TEXT NOT NULL, dataset_id TEXT NOT NULL, data TEXT NOT NULL
  );
  CREATE INDEX dataset_rows_by_dataset ON dataset_rows (org, ws, dataset_id, seq);

  CREATE TABLE vector_collections (
    org TEXT NOT NULL, ws TEXT NOT NULL, name TEXT NOT NULL,
    dimensions INTEGER NOT NULL, metric TEXT NOT NULL, created_at INTEGER NOT NULL,
    PRIMARY KEY (org, ws, name)
  ) WITHOUT ROWID;
  CREATE TABLE vector_items (
    org TEXT NOT NULL, ws TEXT NOT NULL, collection TEXT NOT NULL, id TEXT NOT NULL,
    vector BLOB NOT NULL, metadata TEXT NOT NULL, updated_at INTEGER NOT NULL,
    PRIMARY KEY (org, ws, collection, id)
  );

  CREATE TABLE memories (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
    org TEXT NOT NULL, ws TEXT NOT NULL, scope TEXT NOT NULL,
    content TEXT NOT NULL, metadata TEXT NOT NULL,
    model TEXT NOT NULL, embedding BLOB NOT NULL, created_at INTEGER NOT NULL
  );
  CREATE INDEX memories_by_scope ON memories (org, ws, scope, seq);

  -- A conversation's seq orders the list (newest first); a message's seq is its place in the
  -- conversation, handed out from last_message_seq inside the insert's transaction.
  CREATE TABLE conversations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    org TEXT NOT NULL, ws TEXT NOT NULL, id TEXT NOT NULL,
    title TEXT, metadata TEXT NOT NULL,
    last_message_seq INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
    UNIQUE (org, ws, id)
  );
  CREATE INDEX conversations_by_tenant ON conversations (org, ws, seq);
  CREATE TABLE conversation_messages (
    org TEXT NOT NULL, ws TEXT NOT NULL, conversation_id TEXT NOT NULL, seq INTEGER NOT NULL,
    id TEXT NOT NULL, role TEXT NOT NULL, content TEXT NOT NULL, metadata TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (org, ws, conversation_id, seq)
  ) WITHOUT ROWID;
  `,
  // Compute: executions of code blocks, the job queue, workflow runs and their steps. Each row
  // carries who caused it (subject and scopes, JSON) and the request it came in (request id and
  // trace context), so work done later, by the platform, acts as that caller and propagates it.
  `
  CREATE TABLE executions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
    org TEXT NOT NULL, ws TEXT NOT NULL, code_block_id TEXT NOT NULL,
    status TEXT NOT NULL, input TEXT NOT NULL, output TEXT, error TEXT,
    stdout TEXT NOT NULL DEFAULT '', stderr TEXT NOT NULL DEFAULT '', logs_truncated INTEGER NOT NULL DEFAULT 0,
    subject TEXT NOT NULL, scopes TEXT NOT NULL,
    request_id TEXT NOT NULL, traceparent TEXT, tracestate TEXT, parent_execution_id TEXT,
    job_id TEXT, workflow_run_id TEXT, step_id TEXT, attempt INTEGER,
    timeout_seconds INTEGER NOT NULL, pid INTEGER,
    created_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER
  );
  CREATE INDEX executions_by_tenant ON executions (org, ws, seq);
  CREATE INDEX executions_unfinished ON executions (status) WHERE status IN ('queued', 'running');

  -- status is queued (due at run_at, or waiting for a retry), running, succeeded, failed or
  -- cancelled; "scheduled" is a queued job whose run_at is still ahead, worked out when read.
  CREATE TABLE jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
    org TEXT NOT NULL, ws TEXT NOT NULL, type TEXT NOT NULL,
    status TEXT NOT NULL, payload TEXT NOT NULL, result TEXT, error TEXT,
    progress_percent REAL, progress_message TEXT,
    attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL,
    run_at INTEGER NOT NULL, cancel_requested INTEGER NOT NULL DEFAULT 0,
    execution_id TEXT,
    subject TEXT NOT NULL, scopes TEXT NOT NULL,
    request_id TEXT NOT NULL, traceparent TEXT, tracestate TEXT,
    idempotency_key TEXT, idempotency_fingerprint TEXT,
    created_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER, updated_at INTEGER NOT NULL
  );
  CREATE INDEX jobs_by_tenant ON jobs (org, ws, seq);
  CREATE INDEX jobs_due ON jobs (status, run_at, seq);
  CREATE UNIQUE INDEX jobs_idempotency ON jobs (org, ws, subject, idempotency_key) WHERE idempotency_key IS NOT NULL;

  -- A run keeps the steps it was started with (JSON), so a manifest reloaded meanwhile cannot
  -- change a run under way.
  CREATE TABLE workflow_runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
    org TEXT NOT NULL, ws TEXT NOT NULL, workflow_id TEXT NOT NULL,
    status TEXT NOT NULL, input TEXT NOT NULL, output TEXT, error TEXT,
    definition TEXT NOT NULL, cancel_requested INTEGER NOT NULL DEFAULT 0,
    subject TEXT NOT NULL, scopes TEXT NOT NULL,
    request_id TEXT NOT NULL, traceparent TEXT, tracestate TEXT,
    created_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER, updated_at INTEGER NOT NULL
  );
  CREATE INDEX workflow_runs_by_workflow ON workflow_runs (org, ws, workflow_id, seq);
  CREATE INDEX workflow_runs_unfinished ON workflow_runs (status) WHERE status IN ('queued', 'running');
  CREATE TABLE workflow_steps (
    run_id TEXT NOT NULL, idx INTEGER NOT NULL, step_id TEXT NOT NULL, code_block_id TEXT NOT NULL,
    status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL,
    output TEXT, error TEXT, execution_id TEXT, next_attempt_at INTEGER,
    started_at INTEGER, finished_at INTEGER,
    PRIMARY KEY (run_id, idx)
  ) WITHOUT ROWID;
  `,
  // Agents: runs of the loop model → tool calls → model. A run keeps the agent it started with
  // (JSON), each model call is a step, and each tool call a step asked for is a row of its own,
  // written as it moves. A run is never resumed: one a killed platform left running fails at the
  // next start (platform_restarted).
  `
  CREATE TABLE agent_runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
    org TEXT NOT NULL, ws TEXT NOT NULL, agent_id TEXT NOT NULL, conversation_id TEXT,
    status TEXT NOT NULL, input TEXT NOT NULL, output TEXT, error TEXT, metadata TEXT NOT NULL,
    definition TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL DEFAULT 0, completion_tokens INTEGER NOT NULL DEFAULT 0, total_tokens INTEGER NOT NULL DEFAULT 0,
    subject TEXT NOT NULL, scopes TEXT NOT NULL,
    request_id TEXT NOT NULL, traceparent TEXT, tracestate TEXT,
    created_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER, updated_at INTEGER NOT NULL
  );
  CREATE INDEX agent_runs_by_agent ON agent_runs (org, ws, agent_id, seq);
  CREATE INDEX agent_runs_unfinished ON agent_runs (status) WHERE status IN ('queued', 'running');
  CREATE TABLE agent_steps (
    run_id TEXT NOT NULL, idx INTEGER NOT NULL,
    text TEXT, finish_reason TEXT, started_at INTEGER NOT NULL, finished_at INTEGER,
    PRIMARY KEY (run_id, idx)
  ) WITHOUT ROWID;
  -- arguments: the parsed object as JSON ({} when the model's text was not a JSON object).
  CREATE TABLE agent_tool_calls (
    run_id TEXT NOT NULL, step_idx INTEGER NOT NULL, idx INTEGER NOT NULL,
    call_id TEXT NOT NULL, name TEXT NOT NULL, arguments TEXT NOT NULL,
    status TEXT NOT NULL, execution_id TEXT, output TEXT, error TEXT,
    PRIMARY KEY (run_id, step_idx, idx)
  ) WITHOUT ROWID;
  `,
  // Service tokens: opaque bearer tokens of a workspace. Only the SHA-256 of the token is kept;
  // each request looks it up, so a revoked one fails at its next call.
  `
  CREATE TABLE service_tokens (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
    org TEXT NOT NULL, ws TEXT NOT NULL, name TEXT NOT NULL, scopes TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE, created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL, expires_at INTEGER, last_used_at INTEGER, revoked_at INTEGER
  );
  CREATE INDEX service_tokens_by_ws ON service_tokens (org, ws, seq);
  `,
  // Services: the last heartbeat each service of a workspace sent (the services themselves are
  // the manifest's; their processes live in memory).
  `
  CREATE TABLE service_heartbeats (
    org TEXT NOT NULL, ws TEXT NOT NULL, service_id TEXT NOT NULL,
    status TEXT NOT NULL, details TEXT NOT NULL, at INTEGER NOT NULL,
    PRIMARY KEY (org, ws, service_id)
  ) WITHOUT ROWID;
  `,
];

/** Opens `<dataDir>/flow-local.sqlite` (created if needed), or an in-memory database without a dataDir. */
export function openDatabase(dataDir?: string): LocalDb {
  let file = ":memory:";
  if (dataDir !== undefined) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    file = path.join(dataDir, DB_FILE);
  }
  const db = new Database(file);
  // The file holds the signing secret and secret values; SQLite gives its WAL files the same mode.
  if (dataDir !== undefined) chmodSync(file, 0o600);
  // WAL lets `flow-sdk-local token` and a running server share the file without lock errors.
  db.pragma("journal_mode = WAL");
  // FULL: every COMMIT syncs the WAL, so an answered write (and its stored idempotency answer)
  // survives a power loss, not only a kill -9 (which NORMAL survives too). About 0.3 ms per write
  // transaction on an SSD; see docs/protocol.md, "Durability".
  db.pragma("synchronous = FULL");
  db.pragma(`busy_timeout = ${MIGRATION_BUSY_TIMEOUT_MS}`);
  migrate(db);
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  return db;
}

function migrate(db: LocalDb): void {
  for (let i = 0; i < MIGRATIONS.length; i++) {
    // IMMEDIATE takes the write lock before user_version is read: another process opening the
    // same fresh data dir waits (busy_timeout) and then sees the step done instead of redoing it.
    db.transaction(() => {
      if ((db.pragma("user_version", { simple: true }) as number) > i) return;
      db.exec(MIGRATIONS[i] ?? "");
      db.pragma(`user_version = ${i + 1}`);
    }).immediate();
  }
}

/**
 * Returns the meta value `name`, creating it with `create()` the first time. Two processes
 * initialising the same data dir agree on one value: the first insert wins, the other is ignored,
 * and both read back the winner.
 */
export function ensureMeta(db: LocalDb, name: string, create: () => string): string {
  const select = db.prepare("SELECT value FROM meta WHERE name = ?");
  const row = select.get(name) as { value: string } | undefined;
  if (row) return row.value;
  db.prepare("INSERT OR IGNORE INTO meta (name, value) VALUES (?, ?)").run(name, create());
  return (select.get(name) as { value: string }).value;
}

/** Name of the lock file inside a data dir: held by the one platform that uses it. */
export const LOCK_FILE = "flow-local.lock";

/**
 * Takes the data dir for this process: an exclusive SQLite lock on `<dataDir>/flow-local.lock`,
 * held until the returned handle is closed, and released by the operating system if the process
 * dies (`kill -9` included). Two platforms on one data dir would each recover the other's running
 * work as if its owner were dead, and both run the job queue.
 *
 * @throws {Error} when another platform holds it.
 */
export function lockDataDir(dataDir: string): LocalDb {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const lock = new Database(path.join(dataDir, LOCK_FILE), { timeout: 0 });
  try {
    lock.pragma("locking_mode = EXCLUSIVE");
    // The first write takes the lock; in exclusive mode it is kept until the connection closes.
    lock.exec("CREATE TABLE IF NOT EXISTS owner (pid INTEGER); DELETE FROM owner;");
    lock.prepare("INSERT INTO owner (pid) VALUES (?)").run(process.pid);
  } catch (error) {
    lock.close();
    if ((error as { code?: unknown }).code === "SQLITE_BUSY") {
      throw new Error(`flow-local: another platform already uses the data dir ${dataDir}; stop it first, or choose another data dir`);
    }
    throw error;
  }
  return lock;
}
