import type { LocalDb } from "../db.js";

/** Tables of the memory namespace; part of migration 3 in local/db.ts. */
export const MEMORY_SCHEMA = "";

/** The memory namespace's data per org and workspace. */
export class MemoryStore {
  /** Creates a store on the platform database. */
  constructor(readonly db: LocalDb) {}
}
