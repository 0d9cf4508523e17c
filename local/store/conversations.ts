import type { LocalDb } from "../db.js";

/** Tables of the conversations namespace; part of migration 3 in local/db.ts. */
export const CONVERSATIONS_SCHEMA = "";

/** The conversations namespace's data per org and workspace. */
export class ConversationsStore {
  /** Creates a store on the platform database. */
  constructor(readonly db: LocalDb) {}
}
