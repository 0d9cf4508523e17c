import type { FastifyInstance } from "fastify";
import {
  ConversationCreateInput,
  ConversationIdInput,
  ConversationListInput,
  ConversationUpdateInput,
  MessageAddInput,
  MessageListInput,
  validateInput,
} from "../../src/dto/index.js";
import type { Clock } from "../../src/container/clock.js";
import { needs, tenantOf } from "../auth.js";
import type { LocalDb } from "../db.js";
import { queryInput } from "../pagination.js";
import { withPath } from "./with-path.js";
import { ConversationsStore } from "../store/conversations.js";

interface IdRoute {
  Params: { id: string };
  Body: unknown;
}

/** Conversations routes of docs/protocol.md, relative to the workspace prefix; `needs` declares each one's scope. */
export function conversationsRoutes(app: FastifyInstance, db: LocalDb, clock: Clock): void {
  const store = new ConversationsStore(db, clock);

  app.post("/conversations", needs("conversations:write"), async (request, reply) => {
    const input = validateInput(ConversationCreateInput, request.body ?? {}, "POST conversations");
    return reply.status(201).send(store.create(tenantOf(request), input));
  });

  app.get("/conversations", needs("conversations:read"), async (request) => {
    const input = validateInput(ConversationListInput, queryInput(request.query), "GET conversations");
    return store.list(tenantOf(request), input);
  });

  app.get<IdRoute>("/conversations/:id", needs("conversations:read"), async (request) => {
    const { id } = validateInput(ConversationIdInput, { id: request.params.id }, "GET conversations/:id");
    return store.get(tenantOf(request), id);
  });

  app.patch<IdRoute>("/conversations/:id", needs("conversations:write"), (request) => {
    const input = validateInput(ConversationUpdateInput, withPath(request.body ?? {}, { id: request.params.id }), "PATCH conversations/:id");
    return store.update(tenantOf(request), input);
  });

  app.delete<IdRoute>("/conversations/:id", needs("conversations:write"), (request) => {
    const { id } = validateInput(ConversationIdInput, { id: request.params.id }, "DELETE conversations/:id");
    return { deleted: store.delete(tenantOf(request), id) };
  });

  app.post<IdRoute>("/conversations/:id/messages", needs("conversations:write"), async (request, reply) => {
    const input = validateInput(MessageAddInput, withPath(request.body, { conversationId: request.params.id }), "POST conversations/:id/messages");
    return reply.status(201).send(store.addMessage(tenantOf(request), input));
  });

  app.get<IdRoute>("/conversations/:id/messages", needs("conversations:read"), async (request) => {
    const input = validateInput(MessageListInput, { ...queryInput(request.query), conversationId: request.params.id }, "GET conversations/:id/messages");
    return store.listMessages(tenantOf(request), input);
  });
}
