// flow.conversations: chat threads and their messages, e.g. the history an agent answers from.
import { inject, injectable } from "tsyringe";
import {
  ConversationCreateInput,
  ConversationIdInput,
  ConversationListInput,
  ConversationUpdateInput,
  MessageAddInput,
  MessageListInput,
  paramsObject,
  validateInput,
} from "../dto/index.js";
import type { RequestOptions } from "../http/request-options.js";
import { WorkspaceClient } from "../internal/workspace-client.js";
import type { PagePromise } from "../pagination.js";

/** Free-form JSON data stored with a conversation or a message; narrow it with a type argument. */
export type ConversationMetadata = Record<string, unknown>;

/** A chat thread. */
export interface Conversation<M extends ConversationMetadata = ConversationMetadata> {
  /** The conversation's id (`conv_...` on the local platform). */
  id: string;
  /** Title, or `null` when none was given. */
  title: string | null;
  /** Free-form data stored with the conversation; `{}` when none was given. */
  metadata: M;
  /** When the conversation was created, as an ISO 8601 timestamp. */
  createdAt: string;
  /** When it last changed or got a message, as an ISO 8601 timestamp. */
  updatedAt: string;
}

/** Who wrote a message. */
export type MessageRole = "system" | "user" | "assistant" | "tool";

/** One message of a conversation. */
export interface ConversationMessage<M extends ConversationMetadata = ConversationMetadata> {
  /** The message's id (`msg_...` on the local platform). */
  id: string;
  /** The conversation it belongs to. */
  conversationId: string;
  /** Its place in the conversation: 1 for the first message, one more for each next one. */
  seq: number;
  /** Who wrote it. */
  role: MessageRole;
  /** The message text. */
  content: string;
  /** Free-form data stored with the message; `{}` when none was given. */
  metadata: M;
  /** When the message was added, as an ISO 8601 timestamp. */
  createdAt: string;
}

/** Parameters of `conversations.create`. */
export interface ConversationsCreateParams<M extends ConversationMetadata = ConversationMetadata> {
  /** Title of the conversation (at most 1000 characters). */
  title?: string | undefined;
  /** Free-form JSON data stored with the conversation (a plain object, at most 64 KiB as JSON). */
  metadata?: M | undefined;
}

/** Parameters of `conversations.update`; omitted fields are left as they are. */
export interface ConversationsUpdateParams<M extends ConversationMetadata = ConversationMetadata> {
  /** New title; `null` removes it. */
  title?: string | null | undefined;
  /** New metadata, replacing the old as a whole. */
  metadata?: M | undefined;
}

/** Parameters of `conversations.list`. */
export interface ConversationsListParams {
  /** Items per page, 1 to 1000. */
  limit?: number | undefined;
  /** The `nextCursor` of the previous page. */
  cursor?: string | undefined;
}

/** Parameters of `conversations.addMessage`. */
export interface ConversationsAddMessageParams<M extends ConversationMetadata = ConversationMetadata> {
  /** Who wrote the message. */
  role: MessageRole;
  /** The message text (may be empty; at most 1,000,000 characters). */
  content: string;
  /** Free-form JSON data stored with the message (a plain object, at most 64 KiB as JSON). */
  metadata?: M | undefined;
}

/** Parameters of `conversations.listMessages`. */
export interface ConversationsListMessagesParams {
  /**
   * Oldest first (`asc`, by `seq`) or newest first (`desc`).
   * @default "asc"
   */
  order?: "asc" | "desc" | undefined;
  /** Items per page, 1 to 1000. */
  limit?: number | undefined;
  /** The `nextCursor` of the previous page. */
  cursor?: string | undefined;
}

/** Stores chat threads and their messages, scoped to the workspace. */
@injectable()
export class ConversationsNamespace {
  /** Built by the container. */
  constructor(@inject(WorkspaceClient) private readonly client: WorkspaceClient) {}

  /**
   * Creates an empty conversation.
   *
   * @example const thread = await flow.conversations.create({ title: "Support", metadata: { customerId: "c_42" } });
   * @throws {FlowValidationError} for a bad title or metadata, before any request.
   */
  async create<M extends ConversationMetadata = ConversationMetadata>(params: ConversationsCreateParams<M> = {}, options?: RequestOptions): Promise<Conversation<M>> {
    const input = validateInput(ConversationCreateInput, params, "conversations.create");
    return this.client.post<Conversation<M>>(this.#path(), input, options);
  }

  /**
   * Resolves to the conversation `id`.
   *
   * @example const thread = await flow.conversations.get<{ customerId: string }>(threadId); // thread.metadata.customerId: string
   * @throws {FlowNotFoundError} when there is none (also after `delete`); the message names the id.
   */
  async get<M extends ConversationMetadata = ConversationMetadata>(id: string, options?: RequestOptions): Promise<Conversation<M>> {
    const input = validateInput(ConversationIdInput, { id }, "conversations.get");
    return this.client.get<Conversation<M>>(this.#path(input.id), options);
  }

  /**
   * Lists the workspace's conversations, newest first (by creation, so pages stay stable while
   * messages are added); await for the first page or `for await` over every conversation.
   *
   * @example for await (const thread of flow.conversations.list()) console.log(thread.id, thread.title);
   */
  list<M extends ConversationMetadata = ConversationMetadata>(params: ConversationsListParams = {}, options?: RequestOptions): PagePromise<Conversation<M>> {
    return this.client.list(() => ({ path: this.#path(), query: validateInput(ConversationListInput, params, "conversations.list") }), options);
  }

  /**
   * Changes the title (`null` removes it) or replaces the metadata of the conversation `id`;
   * omitted fields stay as they are.
   *
   * @example await flow.conversations.update(thread.id, { title: "Refund for order 1234" });
   * @throws {FlowNotFoundError} when there is no such conversation.
   */
  async update<M extends ConversationMetadata = ConversationMetadata>(id: string, params: ConversationsUpdateParams<M>, options?: RequestOptions): Promise<Conversation<M>> {
    const { id: validId, ...body } = validateInput(ConversationUpdateInput, { ...paramsObject(params, "conversations.update", ["id"]), id }, "conversations.update");
    return this.client.patch<Conversation<M>>(this.#path(validId), body, options);
  }

  /**
   * Appends a message to the conversation `conversationId`; it gets the next `seq`.
   *
   * @example await flow.conversations.addMessage(thread.id, { role: "user", content: "Where is my order?" });
   * @throws {FlowNotFoundError} when there is no such conversation.
   * @throws {FlowValidationError} for a bad role, content or metadata, before any request.
   */
  async addMessage<M extends ConversationMetadata = ConversationMetadata>(
    conversationId: string,
    params: ConversationsAddMessageParams<M>,
    options?: RequestOptions,
  ): Promise<ConversationMessage<M>> {
    const { conversationId: validId, ...body } = validateInput(MessageAddInput, { ...paramsObject(params, "conversations.addMessage", ["conversationId"]), conversationId }, "conversations.addMessage");
    return this.client.post<ConversationMessage<M>>(`${this.#path(validId)}/messages`, body, options);
  }

  /**
   * Lists the messages of the conversation `conversationId` in `seq` order, oldest first unless
   * `order` is `desc`; await for the first page or `for await` over every message.
   *
   * @example for await (const message of flow.conversations.listMessages(thread.id)) history.push(message);
   * @example const { data: lastTen } = await flow.conversations.listMessages(thread.id, { order: "desc", limit: 10 });
   * @throws {FlowNotFoundError} when there is no such conversation.
   */
  listMessages<M extends ConversationMetadata = ConversationMetadata>(
    conversationId: string,
    params: ConversationsListMessagesParams = {},
    options?: RequestOptions,
  ): PagePromise<ConversationMessage<M>> {
    return this.client.list(() => {
        const { conversationId: validId, ...query } = validateInput(MessageListInput, { ...paramsObject(params, "conversations.listMessages", ["conversationId"]), conversationId }, "conversations.listMessages");
        return { path: `${this.#path(validId)}/messages`, query };
      },
      options,
    );
  }

  /**
   * Deletes the conversation `id` and all its messages; resolves to true when it existed, false
   * when there was none.
   *
   * @example if (!(await flow.conversations.delete(thread.id))) console.log("already gone");
   */
  async delete(id: string, options?: RequestOptions): Promise<boolean> {
    const input = validateInput(ConversationIdInput, { id }, "conversations.delete");
    return this.client.deleted(this.#path(input.id), options);
  }

  #path(id?: string): string {
    return id === undefined ? this.client.path("conversations") : this.client.path("conversations", id);
  }
}
