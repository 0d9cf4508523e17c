import { randomBytes } from "node:crypto";
import type { ConversationCreateInput, ConversationUpdateInput, MessageAddInput, MessageListInput, PageQuery } from "../../src/dto/index.js";
import type { Conversation, ConversationMessage, MessageRole } from "../../src/namespaces/conversations.js";
import { systemClock, type Clock } from "../../src/container/clock.js";
import { tenantParams, type Tenant } from "../auth.js";
import type { LocalDb } from "../db.js";
import { HttpError } from "../errors.js";
import { DEFAULT_LIMIT, decodeCursor, encodeCursor, toPage, type Page } from "../pagination.js";

interface ConversationRow {
  seq: number;
  id: string;
  title: string | null;
  metadata: string;
  created_at: number;
  updated_at: number;
}

interface MessageRow {
  conversation_id: string;
  seq: number;
  id: string;
  role: MessageRole;
  content: string;
  metadata: string;
  created_at: number;
}

const CONVERSATION_COLUMNS = "seq, id, title, metadata, created_at, updated_at";
const MESSAGE_COLUMNS = "conversation_id, seq, id, role, content, metadata, created_at";

/** The conversations namespace's data per org and workspace. */
export class ConversationsStore {
  private readonly insertConversation;
  private readonly selectConversation;
  private readonly selectConversations;
  private readonly updateConversation;
  private readonly deleteConversation;
  private readonly deleteMessages;
  private readonly nextMessageSeq;
  private readonly insertMessage;
  private readonly selectMessagesAsc;
  private readonly selectMessagesDesc;

  /** Creates a store on the platform database, reading the time from `clock`. */
  constructor(
    private readonly db: LocalDb,
    private readonly clock: Clock = systemClock,
  ) {
    const tenant = "org = @org AND ws = @ws";
    this.insertConversation = db.prepare(
      `INSERT INTO conversations (org, ws, id, title, metadata, created_at, updated_at) VALUES (@org, @ws, @id, @title, @metadata, @now, @now)
       RETURNING ${CONVERSATION_COLUMNS}`,
    );
    this.selectConversation = db.prepare(`SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE ${tenant} AND id = @id`);
    this.selectConversations = db.prepare(
      `SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE ${tenant} AND (@before IS NULL OR seq < @before) ORDER BY seq DESC LIMIT @take`,
    );
    this.updateConversation = db.prepare(
      `UPDATE conversations SET
         title = CASE WHEN @setTitle THEN @title ELSE title END,
         metadata = COALESCE(@metadata, metadata), updated_at = @now
       WHERE ${tenant} AND id = @id RETURNING ${CONVERSATION_COLUMNS}`,
    );
    this.deleteConversation = db.prepare(`DELETE FROM conversations WHERE ${tenant} AND id = @id`);
    this.deleteMessages = db.prepare(`DELETE FROM conversation_messages WHERE ${tenant} AND conversation_id = @id`);
    this.nextMessageSeq = db.prepare(
      `UPDATE conversations SET last_message_seq = last_message_seq + 1, updated_at = @now WHERE ${tenant} AND id = @id RETURNING last_message_seq`,
    );
    this.insertMessage = db.prepare(
      `INSERT INTO conversation_messages (org, ws, conversation_id, seq, id, role, content, metadata, created_at)
       VALUES (@org, @ws, @conversationId, @seq, @id, @role, @content, @metadata, @now)`,
    );
    const messages = (direction: "ASC" | "DESC", after: string) =>
      db.prepare(
        `SELECT ${MESSAGE_COLUMNS} FROM conversation_messages
         WHERE ${tenant} AND conversation_id = @conversationId AND (@after IS NULL OR seq ${after} @after)
         ORDER BY seq ${direction} LIMIT @take`,
      );
    this.selectMessagesAsc = messages("ASC", ">");
    this.selectMessagesDesc = messages("DESC", "<");
  }

  /** Creates an empty conversation with a new id. */
  create(tenant: Tenant, input: ConversationCreateInput): Conversation {
    const row = this.insertConversation.get({
      ...tenantParams(tenant),
      id: newId("conv"),
      title: input.title ?? null,
      metadata: JSON.stringify(input.metadata ?? {}),
      now: this.clock.now(),
    }) as ConversationRow;
    return toConversation(row);
  }

  /**
   * The conversation `id`.
   * @throws {HttpError} 404 `not_found`.
   */
  get(tenant: Tenant, id: string): Conversation {
    return toConversation(this.row(tenant, id));
  }

  /** A page of conversations, newest first (by creation). */
  list(tenant: Tenant, input: PageQuery): Page<Conversation> {
    const limit = input.limit ?? DEFAULT_LIMIT;
    const before = input.cursor === undefined ? null : decodeCursor("conversations", input.cursor, "number");
    const rows = this.selectConversations.all({ ...tenantParams(tenant), before, take: limit + 1 }) as ConversationRow[];
    return toPage(rows, limit, toConversation, (row) => encodeCursor("conversations", row.seq));
  }

  /**
   * Changes the title (`null` removes it) and/or replaces the metadata.
   * @throws {HttpError} 404 `not_found`.
   */
  update(tenant: Tenant, input: ConversationUpdateInput): Conversation {
    const row = this.updateConversation.get({
      ...tenantParams(tenant),
      id: input.id,
      setTitle: input.title !== undefined ? 1 : 0,
      title: input.title ?? null,
      metadata: input.metadata === undefined ? null : JSON.stringify(input.metadata ?? {}),
      now: this.clock.now(),
    }) as ConversationRow | undefined;
    if (!row) throw notFound(input.id);
    return toConversation(row);
  }

  /** Deletes the conversation and its messages; true when it existed. */
  delete(tenant: Tenant, id: string): boolean {
    return this.db.transaction(() => {
      this.deleteMessages.run({ ...tenantParams(tenant), id });
      return this.deleteConversation.run({ ...tenantParams(tenant), id }).changes > 0;
    })();
  }

  /**
   * Appends a message; its `seq` is one more than the conversation's last, so concurrent adds
   * each get their own place.
   * @throws {HttpError} 404 `not_found` when the conversation does not exist.
   */
  addMessage(tenant: Tenant, input: MessageAddInput): ConversationMessage {
    return this.db.transaction(() => {
      const now = this.clock.now();
      const next = this.nextMessageSeq.get({ ...tenantParams(tenant), id: input.conversationId, now }) as { last_message_seq: number } | undefined;
      if (!next) throw notFound(input.conversationId);
      const row: MessageRow = {
        conversation_id: input.conversationId,
        seq: next.last_message_seq,
        id: newId("msg"),
        role: input.role,
        content: input.content,
        metadata: JSON.stringify(input.metadata ?? {}),
        created_at: now,
      };
      this.insertMessage.run({ ...tenantParams(tenant), conversationId: row.conversation_id, seq: row.seq, id: row.id, role: row.role, content: row.content, metadata: row.metadata, now });
      return toMessage(row);
    }).immediate();
  }

  /**
   * A page of the conversation's messages by `seq`, oldest first unless `order` is `desc`.
   * @throws {HttpError} 404 `not_found` when the conversation does not exist.
   */
  listMessages(tenant: Tenant, input: MessageListInput): Page<ConversationMessage> {
    this.row(tenant, input.conversationId);
    const limit = input.limit ?? DEFAULT_LIMIT;
    const order = input.order ?? "asc";
    const kind = `messages:${order}:${input.conversationId}`;
    const after = input.cursor === undefined ? null : decodeCursor(kind, input.cursor, "number");
    const select = order === "asc" ? this.selectMessagesAsc : this.selectMessagesDesc;
    const rows = select.all({ ...tenantParams(tenant), conversationId: input.conversationId, after, take: limit + 1 }) as MessageRow[];
    return toPage(rows, limit, toMessage, (row) => encodeCursor(kind, row.seq));
  }

  private row(tenant: Tenant, id: string): ConversationRow {
    const row = this.selectConversation.get({ ...tenantParams(tenant), id }) as ConversationRow | undefined;
    if (!row) throw notFound(id);
    return row;
  }
}


function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString("hex")}`;
}

function notFound(id: string): HttpError {
  return new HttpError(404, "not_found", `Conversation ${JSON.stringify(id)} does not exist (or was deleted)`);
}

function toConversation(row: ConversationRow): Conversation {
  return {
    id: row.id,
    title: row.title,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

function toMessage(row: MessageRow): ConversationMessage {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    seq: row.seq,
    role: row.role,
    content: row.content,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    createdAt: new Date(row.created_at).toISOString(),
  };
}
