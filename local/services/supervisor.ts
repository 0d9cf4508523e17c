// Services: the manifest's long-running HTTP servers. One given by `url` is only called; one given
// by `file` is started by the platform (with `PORT`, `SERVICE_ID` and the platform environment),
// waited for until its port accepts connections, restarted with backoff when it exits, and
// stopped with the platform. See docs/protocol.md, "Services".
import type { Clock } from "../../src/container/clock.js";
import type { LocalDb } from "../db.js";
import type { Manifest } from "../manifest.js";
import type { TokenService } from "../tokens.js";

/** What the supervisor is built from. */
export interface ServiceSupervisorDeps {
  /** The platform database (heartbeats). */
  db: LocalDb;
  /** Dates of record. */
  clock: Clock;
  /** Signs the tokens service processes get. */
  tokens: TokenService;
  /** The manifest now (it may be reloaded). */
  manifest: () => Manifest;
  /** Where unexpected errors go. */
  report: (error: unknown) => void;
}

/** Starts, watches and stops the manifest's file services. */
export class ServiceSupervisor {
  /** Builds it; nothing starts before {@link ServiceSupervisor.start}. */
  constructor(readonly deps: ServiceSupervisorDeps) {}

  /** Starts the file services; `baseUrl` is where they reach the platform. */
  start(_baseUrl: string): void {}

  /** Applies a reloaded manifest: services added start, removed ones stop, changed ones restart. */
  reload(): void {}

  /** Stops every service process; resolves once they are gone. */
  async close(): Promise<void> {}
}
