import type { LocalDb } from "../db.js";

/** Tables of the storage namespace; part of migration 3 in local/db.ts. */
export const STORAGE_SCHEMA = "";

/** The storage namespace's data per org and workspace. */
export class StorageStore {
  /** Creates a store on the platform database. */
  constructor(readonly db: LocalDb) {}
}
