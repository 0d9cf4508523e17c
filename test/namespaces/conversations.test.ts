import { describe, expect, it } from "vitest";
import { openDatabase } from "../../local/db.js";
import { ConversationsStore } from "../../local/store/conversations.js";
import {
  FlowConnectionError,
  FlowNotFoundError,
  FlowPermissionError,
  FlowValidationError,
  type Conversation,
  type ConversationMessage,
  type MessageRole,
} from "../../src/index.js";
import { caught, expectCursorRefused, flowWithToken, sharedPlatform } from "../helpers/flows.js";

const { platform, flow, offline } = await sharedPlatform();

async function allMessages(id: string, params: { order?: "asc" | "desc"; limit?: number } = {}): Promise<ConversationMessage[]> {
  const messages: ConversationMessage[] = [];
  for await (const message of flow.conversations.listMessages(id, params)) messages.push(message);
  return messages;
}

describe("conversations: create, get, update, delete", () => {
  it("create returns the stored conversation, and get finds it", async () => {
    const created = await flow.conversations.create({ title: "Support", metadata: { customerId: "c_42", tags: ["vip"] } });
    expect(created).toMatchObject({ title: "Support", metadata: { customerId: "c_42", tags: ["vip"] } });
    expect(created.id).toMatch(/^conv_/);
    expect(Number.isNaN(Date.parse(created.createdAt))).toBe(false);
    expect(await flow.conversations.get(created.id)).toEqual(created);
  });

  it("create without parameters gives a null title and empty metadata", async () => {
    const created = await flow.conversations.create();
    expect(created).toMatchObject({ title: null, metadata: {} });
  });

  it("metadata can be typed by the caller", async () => {
    interface Ticket extends Record<string, unknown> {
      ticket: number;
    }
    const created = await flow.conversations.create<Ticket>({ metadata: { ticket: 7 } });
    const read = await flow.conversations.get<Ticket>(created.id);
    const ticket: number = read.metadata.ticket;
    expect(ticket).toBe(7);
  });

  it("update changes the title, removes it with null, and replaces metadata as a whole", async () => {
    const { id } = await flow.conversations.create({ title: "old", metadata: { a: 1 } });
    expect(await flow.conversations.update(id, { title: "new" })).toMatchObject({ title: "new", metadata: { a: 1 } });
    expect(await flow.conversations.update(id, { metadata: { b: 2 } })).toMatchObject({ title: "new", metadata: { b: 2 } });
    expect(await flow.conversations.update(id, { title: null })).toMatchObject({ title: null, metadata: { b: 2 } });
  });

  it("delete removes the conversation and its messages; get, addMessage and listMessages are then FlowNotFoundError", async () => {
    const { id } = await flow.conversations.create({ title: "to delete" });
    await flow.conversations.addMessage(id, { role: "user", content: "hello" });
    expect(await flow.conversations.delete(id)).toBe(true);
    expect(await flow.conversations.delete(id)).toBe(false);
    for (const call of [() => flow.conversations.get(id), () => flow.conversations.addMessage(id, { role: "user", content: "x" }), () => flow.conversations.listMessages(id)]) {
      const error = await caught(call);
      expect(error).toBeInstanceOf(FlowNotFoundError);
      expect(error).toMatchObject({ status: 404, code: "not_found" });
      expect((error as Error).message).toContain(id);
    }
  });

  it("delete removes the message rows too, and only that conversation's", async () => {
    const db = openDatabase();
    try {
      const store = new ConversationsStore(db);
      const tenant = { orgId: "org_local", workspaceId: "ws_local" };
      const other = { orgId: "org_local", workspaceId: "ws_other" };
      const doomed = store.create(tenant, {});
      const kept = store.create(tenant, {});
      for (const conversation of [doomed, kept]) for (let i = 0; i < 3; i++) store.addMessage(tenant, { conversationId: conversation.id, role: "user", content: `m${i}` });
      const count = (id: string): unknown => (db.prepare("SELECT count(*) AS n FROM conversation_messages WHERE conversation_id = ?").get(id) as { n: number }).n;
      expect(store.delete(other, doomed.id)).toBe(false); // another workspace cannot delete it
      expect(count(doomed.id)).toBe(3);
      expect(store.delete(tenant, doomed.id)).toBe(true);
      expect(count(doomed.id)).toBe(0);
      expect(count(kept.id)).toBe(3);
    } finally {
      db.close();
    }
  });

  it("addMessage to a conversation that never existed is FlowNotFoundError, and update too", async () => {
    expect(await caught(() => flow.conversations.addMessage("conv_missing", { role: "user", content: "hi" }))).toBeInstanceOf(FlowNotFoundError);
    expect(await caught(() => flow.conversations.update("conv_missing", { title: "x" }))).toBeInstanceOf(FlowNotFoundError);
  });
});

describe("conversations: messages", () => {
  it("addMessage returns the message with the next seq, and every role round-trips", async () => {
    const { id } = await flow.conversations.create();
    const roles: MessageRole[] = ["system", "user", "assistant", "tool"];
    const added: ConversationMessage[] = [];
    for (const role of roles) added.push(await flow.conversations.addMessage(id, { role, content: `${role} says hi`, metadata: { role } }));
    expect(added.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    expect(added[0]).toMatchObject({ conversationId: id, role: "system", content: "system says hi", metadata: { role: "system" } });
    expect(added[0]?.id).toMatch(/^msg_/);
    expect(await allMessages(id)).toEqual(added);
  });

  it("an empty content is allowed (an assistant turn that only called tools)", async () => {
    const { id } = await flow.conversations.create();
    expect(await flow.conversations.addMessage(id, { role: "assistant", content: "", metadata: { toolCalls: [{ name: "search" }] } })).toMatchObject({ content: "", seq: 1 });
  });

  it("unicode title and content (emoji, CJK, combining marks, NUL, newlines) round-trip exactly", async () => {
    const text = "héllo 👋🏽 世界 e\u0301 a\u0000b\r\n\t“quoted” \u{10FFFF}";
    const created = await flow.conversations.create({ title: text, metadata: { text } });
    const added = await flow.conversations.addMessage(created.id, { role: "user", content: text, metadata: { text } });
    expect(added).toMatchObject({ content: text, metadata: { text } });
    expect(await flow.conversations.get(created.id)).toMatchObject({ title: text, metadata: { text } });
    expect((await flow.conversations.listMessages(created.id)).data[0]).toMatchObject({ content: text, metadata: { text } });
  });

  it("adding a message moves the conversation's updatedAt", async () => {
    const created = await flow.conversations.create();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await flow.conversations.addMessage(created.id, { role: "user", content: "later" });
    const read = await flow.conversations.get(created.id);
    expect(Date.parse(read.updatedAt)).toBeGreaterThan(Date.parse(created.updatedAt));
    expect(read.createdAt).toBe(created.createdAt);
  });

  it("concurrent adds each get their own seq, with no gaps, and list in seq order", async () => {
    const { id } = await flow.conversations.create();
    const added = await Promise.all(Array.from({ length: 30 }, (_, i) => flow.conversations.addMessage(id, { role: "user", content: `m${i}` })));
    expect(added.map((m) => m.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const listed = await allMessages(id, { limit: 7 });
    expect(listed.map((m) => m.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(new Set(listed.map((m) => m.id)).size).toBe(30);
    // Each listed message is the one its add returned, and desc is the exact reverse.
    expect(listed).toEqual([...added].sort((a, b) => a.seq - b.seq));
    expect(await allMessages(id, { order: "desc", limit: 4 })).toEqual([...listed].reverse());
  });

  it("concurrent adds to two conversations number each one on its own", async () => {
    const [a, b] = await Promise.all([flow.conversations.create(), flow.conversations.create()]);
    const ids = [a.id, b.id];
    await Promise.all(Array.from({ length: 20 }, (_, i) => flow.conversations.addMessage(ids[i % 2] ?? "", { role: "user", content: `m${i}` })));
    for (const id of ids) expect((await allMessages(id)).map((m) => m.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  });

  it("listMessages pages oldest first by default, newest first with order desc", async () => {
    const { id } = await flow.conversations.create();
    for (let i = 1; i <= 5; i++) await flow.conversations.addMessage(id, { role: "user", content: `m${i}` });

    const first = await flow.conversations.listMessages(id, { limit: 2 });
    expect(first.data.map((m) => m.content)).toEqual(["m1", "m2"]);
    const second = await flow.conversations.listMessages(id, { limit: 2, cursor: first.nextCursor ?? "" });
    expect(second.data.map((m) => m.content)).toEqual(["m3", "m4"]);
    const sizes: number[] = [];
    for await (const page of first.pages()) sizes.push(page.data.length);
    expect(sizes).toEqual([2, 2, 1]);

    expect((await allMessages(id, { order: "desc", limit: 2 })).map((m) => m.content)).toEqual(["m5", "m4", "m3", "m2", "m1"]);
  });

  it("a cursor of one conversation's messages is refused by another's", async () => {
    const a = await flow.conversations.create();
    const b = await flow.conversations.create();
    for (const id of [a.id, b.id]) for (let i = 0; i < 3; i++) await flow.conversations.addMessage(id, { role: "user", content: `m${i}` });
    const page = await flow.conversations.listMessages(a.id, { limit: 1 });
    const error = await caught(() => flow.conversations.listMessages(b.id, { limit: 1, cursor: page.nextCursor ?? "" }));
    expectCursorRefused(error);
    // Nor by the same conversation read in the other order, nor by the list of conversations.
    expectCursorRefused(await caught(() => flow.conversations.listMessages(a.id, { order: "desc", cursor: page.nextCursor ?? "" })));
    expectCursorRefused(await caught(() => flow.conversations.list({ cursor: page.nextCursor ?? "" })));
    const conversations = await flow.conversations.list({ limit: 1 });
    expectCursorRefused(await caught(() => flow.conversations.listMessages(a.id, { cursor: conversations.nextCursor ?? "" })));
  });

  it("a desc cursor continues from where its page ended, even after newer messages arrive", async () => {
    const { id } = await flow.conversations.create();
    for (let i = 1; i <= 4; i++) await flow.conversations.addMessage(id, { role: "user", content: `m${i}` });
    const newest = await flow.conversations.listMessages(id, { order: "desc", limit: 2 });
    expect(newest.data.map((m) => m.seq)).toEqual([4, 3]);
    await flow.conversations.addMessage(id, { role: "user", content: "m5" });
    const older = await flow.conversations.listMessages(id, { order: "desc", limit: 2, cursor: newest.nextCursor ?? "" });
    expect(older.data.map((m) => m.seq)).toEqual([2, 1]);
    expect(older.nextCursor).toBeNull();
    // And an asc page ending exactly at the last message says there is no next page.
    const exact = await flow.conversations.listMessages(id, { limit: 5 });
    expect(exact.data).toHaveLength(5);
    expect(exact.nextCursor).toBeNull();
  });
});

describe("conversations.list", () => {
  it("lists newest first and pages with limit and cursor, every conversation once", async () => {
    // A workspace of its own, so other tests' conversations do not interleave.
    const own = flowWithToken(platform, await platform.mintToken({ workspaceId: "ws_list" }), "ws_list");
    const created: Conversation[] = [];
    for (let i = 0; i < 7; i++) created.push(await own.conversations.create({ title: `c${i}` }));

    const first = await own.conversations.list({ limit: 3 });
    expect(first.data.map((c) => c.title)).toEqual(["c6", "c5", "c4"]);
    const all: Conversation[] = [];
    for await (const conversation of own.conversations.list({ limit: 3 })) all.push(conversation);
    expect(all.map((c) => c.id)).toEqual(created.map((c) => c.id).reverse());

    // A message added while paging does not move a conversation between pages.
    const paging = await own.conversations.list({ limit: 3 });
    await own.conversations.addMessage(created[0]?.id ?? "", { role: "user", content: "bump" });
    const rest: string[] = [];
    for await (const page of paging.pages()) rest.push(...page.data.map((c) => c.title ?? ""));
    expect(rest).toEqual(["c6", "c5", "c4", "c3", "c2", "c1", "c0"]);
  });
});

describe("conversations validation, before any request", () => {
  it("the offline instance used below really fails once a request is sent", async () => {
    expect(await caught(() => offline.conversations.get("conv_x"))).toBeInstanceOf(FlowConnectionError);
  });

  it.each([
    ["a bad role", () => offline.conversations.addMessage("conv_x", { role: "robot" as MessageRole, content: "x" })],
    ["a missing content", () => offline.conversations.addMessage("conv_x", { role: "user" } as never)],
    ["a non-string content", () => offline.conversations.addMessage("conv_x", { role: "user", content: 42 as unknown as string })],
    ["content over 1,000,000 characters", () => offline.conversations.addMessage("conv_x", { role: "user", content: "x".repeat(1_000_001) })],
    ["metadata that is an array", () => offline.conversations.create({ metadata: [1, 2] as unknown as Record<string, unknown> })],
    ["metadata holding a function", () => offline.conversations.create({ metadata: { f: () => 1 } })],
    ["metadata over 64 KiB", () => offline.conversations.create({ metadata: { big: "x".repeat(70_000) } })],
    ["a title over 1000 characters", () => offline.conversations.create({ title: "t".repeat(1001) })],
    ["an unknown parameter", () => offline.conversations.create({ name: "x" } as never)],
    ["an empty id", () => offline.conversations.get("")],
    ["the id ..", () => offline.conversations.delete("..")],
    ["an id with a control character", () => offline.conversations.addMessage("conv\n1", { role: "user", content: "x" })],
    ["a bad order", () => offline.conversations.listMessages("conv_x", { order: "newest" as "asc" })],
    ["content with a lone surrogate", () => offline.conversations.addMessage("conv_x", { role: "user", content: "half \ud83d of an emoji" })],
    ["a title with a lone surrogate", () => offline.conversations.create({ title: "\udc00" })],
    ["an id with a lone surrogate", () => offline.conversations.get("conv_\ud800")],
    ["a list limit of 0", () => offline.conversations.list({ limit: 0 })],
    ["a listMessages limit over 1000", () => offline.conversations.listMessages("conv_x", { limit: 1001 })],
    ["update params that are a number (were dropped, and the update sent)", () => offline.conversations.update("conv_x", 5 as never)],
    ["update params that are null", () => offline.conversations.update("conv_x", null as never)],
    ["update params holding the id argument", () => offline.conversations.update("conv_x", { id: "conv_y", title: "t" } as never)],
    ["listMessages params that are a Map", () => offline.conversations.listMessages("conv_x", new Map() as never)],
  ])("%s is FlowValidationError", async (_label, call) => {
    expect(await caught(call)).toBeInstanceOf(FlowValidationError);
  });

  it("the local platform refuses bad input with the same DTOs (400 validation_error)", async () => {
    const { id } = await flow.conversations.create();
    const path = `/v1/orgs/org_local/workspaces/ws_local/conversations/${id}/messages`;
    const error = await caught(() => flow.gateway.request({ method: "POST", path, body: { role: "robot", content: "x" } }));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as Error).message).toContain("HTTP 400 validation_error");
  });
});

describe("conversations tenancy and scopes", () => {
  it("another workspace cannot see, change or delete ws_local's conversations", async () => {
    const { id } = await flow.conversations.create({ title: "private" });
    const wsB = flowWithToken(platform, await platform.mintToken({ workspaceId: "ws_b" }), "ws_b");
    expect(await caught(() => wsB.conversations.get(id))).toBeInstanceOf(FlowNotFoundError);
    expect(await caught(() => wsB.conversations.addMessage(id, { role: "user", content: "x" }))).toBeInstanceOf(FlowNotFoundError);
    expect(await caught(() => wsB.conversations.listMessages(id))).toBeInstanceOf(FlowNotFoundError);
    expect(await caught(() => wsB.conversations.update(id, { title: "taken" }))).toBeInstanceOf(FlowNotFoundError);
    expect(await wsB.conversations.delete(id)).toBe(false);
    expect((await wsB.conversations.list()).data.map((c) => c.id)).not.toContain(id);
    expect(await flow.conversations.get(id)).toMatchObject({ title: "private" });

    const intruder = flowWithToken(platform, await platform.mintToken({ workspaceId: "ws_b" }), "ws_local");
    const error = await caught(() => intruder.conversations.get(id));
    expect(error).toBeInstanceOf(FlowPermissionError);
    expect(error).toMatchObject({ code: "tenant_mismatch" });
  });

  it("a token with only conversations:read can read but not write (403 missing_scope)", async () => {
    const { id } = await flow.conversations.create();
    await flow.conversations.addMessage(id, { role: "user", content: "hi" });
    const reader = flowWithToken(platform, await platform.mintToken({ scopes: ["conversations:read"] }));
    expect(await reader.conversations.get(id)).toMatchObject({ id });
    expect((await reader.conversations.listMessages(id)).data).toHaveLength(1);
    for (const call of [
      () => reader.conversations.create(),
      () => reader.conversations.addMessage(id, { role: "user", content: "x" }),
      () => reader.conversations.update(id, { title: "x" }),
      () => reader.conversations.delete(id),
    ]) {
      const error = await caught(call);
      expect(error).toBeInstanceOf(FlowPermissionError);
      expect(error).toMatchObject({ code: "missing_scope" });
    }
    const writer = flowWithToken(platform, await platform.mintToken({ scopes: ["conversations:write"] }));
    expect(await caught(() => writer.conversations.get(id))).toMatchObject({ code: "missing_scope" });
  });
});
