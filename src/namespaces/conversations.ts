// flow.conversations: chat threads and their messages, e.g. the history an agent answers from.
// Not available yet: the types below are the planned API; every method rejects with
// FlowNotAvailableError.
import { injectable } from "tsyringe";
import type { RequestOptions } from "../http/request-options.js";
import type { PagePromise } from "../pagination.js";
import { notAvailable, notAvailablePage } from "./not-available.js";

/** A chat thread. */
export interface Conversation {
  /** The conversation's id. */
  id: string;
  /** Title, if one was given. */
  title: string | null;
  /** Free-form data stored with the conversation. */
  metadata: Record<string, unknown>;
  /** When the conversation was created, as an ISO 8601 timestamp. */
  createdAt: string;
  /** When it last changed or got a message, as an ISO 8601 timestamp. */
  updatedAt: string;
}

/** Who wrote a message. */
export type MessageRole = "system" | "user" | "assistant" | "tool";

/** One message of a conversation. */
export interface Message {
  /** The message's id. */
  id: string;
  /** The conversation it belongs to. */
  conversationId: string;
  /** Who wrote it. */
  role: MessageRole;
  /** The message text. */
  content: string;
  /** Free-form data stored with the message. */
  metadata: Record<string, unknown>;
  /** When the message was added, as an ISO 8601 timestamp. */
  createdAt: string;
}

/** Parameters of `conversations.create`. */
export interface ConversationsCreateParams {
  /** Title of the conversation. */
  title?: string | undefined;
  /** Free-form data stored with the conversation. */
  metadata?: Record<string, unknown> | undefined;
}

/** Parameters of `conversations.update`; omitted fields are left as they are. */
export type ConversationsUpdateParams = ConversationsCreateParams;

/** Parameters of `conversations.list`. */
export interface ConversationsListParams {
  /** Items per page, 1 to 1000. */
  limit?: number | undefined;
  /** The `nextCursor` of the previous page. */
  cursor?: string | undefined;
}

/** Parameters of `conversations.addMessage`. */
export interface ConversationsAddMessageParams {
  /** Who wrote the message. */
  role: MessageRole;
  /** The message text. */
  content: string;
  /** Free-form data stored with the message. */
  metadata?: Record<string, unknown> | undefined;
}

/** Parameters of `conversations.listMessages`. */
export interface ConversationsListMessagesParams {
  /**
   * Oldest first (`asc`) or newest first (`desc`).
   * @default "asc"
   */
  order?: "asc" | "desc" | undefined;
  /** Items per page, 1 to 1000. */
  limit?: number | undefined;
  /** The `nextCursor` of the previous page. */
  cursor?: string | undefined;
}

/** Stores chat threads and their messages. Not available yet: every method rejects with `FlowNotAvailableError`. */
@injectable()
export class ConversationsNamespace {
  /** Creates an empty conversation. */
  async create(params?: ConversationsCreateParams, options?: RequestOptions): Promise<Conversation> {
    throw notAvailable("conversations.create");
  }

  /** Resolves to the conversation `id`. */
  async get(id: string, options?: RequestOptions): Promise<Conversation> {
    throw notAvailable("conversations.get");
  }

  /** Lists the workspace's conversations, most recently updated first. */
  list(params?: ConversationsListParams, options?: RequestOptions): PagePromise<Conversation> {
    return notAvailablePage<Conversation>("conversations.list");
  }

  /** Changes the title or metadata of the conversation `id`. */
  async update(id: string, params: ConversationsUpdateParams, options?: RequestOptions): Promise<Conversation> {
    throw notAvailable("conversations.update");
  }

  /** Appends a message to the conversation `conversationId`. */
  async addMessage(
    conversationId: string,
    params: ConversationsAddMessageParams,
    options?: RequestOptions,
  ): Promise<Message> {
    throw notAvailable("conversations.addMessage");
  }

  /** Lists the messages of the conversation `conversationId`. */
  listMessages(
    conversationId: string,
    params?: ConversationsListMessagesParams,
    options?: RequestOptions,
  ): PagePromise<Message> {
    return notAvailablePage<Message>("conversations.listMessages");
  }

  /** Deletes the conversation `id` and its messages. */
  async delete(id: string, options?: RequestOptions): Promise<void> {
    throw notAvailable("conversations.delete");
  }
}
