import type { LocalDb } from "../db.js";

/** Tables of the datasets namespace; part of migration 3 in local/db.ts. */
export const DATASETS_SCHEMA = "";

/** The datasets namespace's data per org and workspace. */
export class DatasetsStore {
  /** Creates a store on the platform database. */
  constructor(readonly db: LocalDb) {}
}
