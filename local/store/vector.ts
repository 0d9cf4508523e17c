import type { LocalDb } from "../db.js";

/** Tables of the vector namespace; part of migration 3 in local/db.ts. */
export const VECTOR_SCHEMA = "";

/** The vector namespace's data per org and workspace. */
export class VectorStore {
  /** Creates a store on the platform database. */
  constructor(readonly db: LocalDb) {}
}
