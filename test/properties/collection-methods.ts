// Every public method of datasets, vector, memory and conversations, with good and bad arbitraries
// per argument.
import fc from "fast-check";
import {
  badFilter,
  badInt,
  badKey,
  badListParams,
  badMetadata,
  badName,
  badNumber,
  badParams,
  badStringArg,
  goodPage,
  nonFinite,
  notArray,
  notJson,
  notNumberNorNullish,
  notObject,
  notString,
  notStringNorNullish,
  requestOptions as options,
  tooLong,
  withControlChar,
  withLoneSurrogate,
} from "./arbitraries.js";
import { CANARY, method, type MethodUnderTest } from "./harness.js";

// ---- datasets ----

const notADatasetObject = (value: unknown): boolean => !(typeof value === "object" && value !== null && typeof (value as { id?: unknown }).id === "string");
const datasetRef = {
  good: fc.constantFrom<unknown>("orders", "ds_0123456789abcdef01234567", { id: "ds_0123456789abcdef01234567" }, "1st_dataset"),
  bad: fc.oneof(
    notString.filter(notADatasetObject),
    fc.constantFrom<unknown>({ id: 5 }, { name: "orders" }, { id: "../x" }),
    badName(128, ["_x".repeat(65)]),
  ),
};
const goodSchema = { columns: { customer: { type: "string" }, total: { type: "number", nullable: true } } };

const datasets: MethodUnderTest[] = [
  method("datasets.list", "page", (f, a) => f.datasets.list(a[0] as never, a[1] as never), { good: goodPage, bad: badListParams() }, options),
  method("datasets.get", "promise", (f, a) => f.datasets.get(a[0] as never, a[1] as never), datasetRef, options),
  method(
    "datasets.create",
    "promise",
    (f, a) => f.datasets.create(a[0] as never, a[1] as never),
    {
      good: fc.constantFrom({ name: "orders", schema: goodSchema }, { name: "orders", schema: goodSchema, description: "" }),
      bad: badParams(
        { name: "orders", schema: goodSchema },
        {
          name: fc.oneof(notString, badName(128), fc.constant("ds_0123456789abcdef01234567")),
          schema: fc.oneof(
            notObject,
            fc.constantFrom<unknown>(
              {},
              { columns: {} },
              { columns: [] },
              { columns: { a: { type: "string" } }, extra: 1 },
              { columns: { "1a": { type: "string" } } },
              { columns: { [`${CANARY}!`]: { type: "string" } } },
              { columns: { __proto__x: { type: "text" } } },
              { columns: { a: { type: "string", nullable: "yes" } } },
              { columns: { a: { type: "string", unique: true } } },
              { columns: { a: "string" } },
              { columns: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`c${i}`, { type: "string" }])) },
            ),
          ),
          description: fc.oneof(notStringNorNullish, tooLong(1000)),
        },
        { missing: ["name", "schema"] },
      ),
    },
    options,
  ),
  method(
    "datasets.insertRows",
    "promise",
    (f, a) => f.datasets.insertRows(a[0] as never, a[1] as never, a[2] as never),
    datasetRef,
    {
      good: fc.constantFrom([{ customer: "ada", total: 42.5 }], [{ customer: "bob" }, { customer: "eve", total: null }]),
      bad: fc.oneof(
        notArray,
        fc.constant([]),
        fc.array(fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.array(fc.integer())), { minLength: 1, maxLength: 3 }),
        notJson.map((bad) => [{ customer: "ada" }, { [CANARY]: bad }]),
        fc.constant(Array.from({ length: 10_001 }, () => ({ customer: "x" }))),
      ),
    },
    options,
  ),
  method(
    "datasets.query",
    "page",
    (f, a) => f.datasets.query(a[0] as never, a[1] as never, a[2] as never),
    datasetRef,
    {
      good: fc.constantFrom(undefined, {}, { filter: { total: { $gte: 40 } }, orderBy: [{ column: "total", direction: "desc" }], limit: 10 }),
      bad: badListParams(
        {
          filter: badFilter,
          orderBy: fc.oneof(
            notObject.filter((value) => value !== null && !(Array.isArray(value) && value.length === 0)),
            fc.constantFrom<unknown>(
              [{}],
              [{ column: "1a" }],
              [{ column: "a", direction: "up" }],
              [{ column: "a" }, { column: "a" }],
              [{ column: "a", extra: 1 }],
              ["a"],
              Array.from({ length: 9 }, (_, i) => ({ column: `c${i}` })),
            ),
          ),
        },
        1000,
        { reserved: ["dataset"] },
      ),
    },
    options,
  ),
  method("datasets.delete", "promise", (f, a) => f.datasets.delete(a[0] as never, a[1] as never), datasetRef, options),
];

// ---- vector ----

const collection = { good: fc.constantFrom("docs", "Docs_2.v-1"), bad: badStringArg(badName(128, ["_underscore-first", "x".repeat(129)])) };
const goodRecord = { id: "a", vector: [0.1, 0.2, 0.3] };
const badVector = fc.oneof(
  notArray,
  fc.constant([]),
  fc.constant(Array.from({ length: 8193 }, () => 1)),
  fc.tuple(fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 3 }), fc.oneof(nonFinite, notNumberNorNullish, fc.constant(null))).map(([good, bad]) => [...good, bad]),
);

const vector: MethodUnderTest[] = [
  method(
    "vector.createCollection",
    "promise",
    (f, a) => f.vector.createCollection(a[0] as never, a[1] as never),
    {
      good: fc.constantFrom({ name: "docs", dimensions: 3 }, { name: "docs", dimensions: 8192, metric: "euclidean" }),
      bad: badParams(
        { name: "docs", dimensions: 3 },
        { name: fc.oneof(notString, collection.bad), dimensions: fc.oneof(badInt(1, 8192), fc.constant(null)), metric: fc.oneof(fc.constantFrom("cos", "COSINE", "manhattan", ""), notStringNorNullish) },
        { missing: ["name", "dimensions"] },
      ),
    },
    options,
  ),
  method("vector.getCollection", "promise", (f, a) => f.vector.getCollection(a[0] as string, a[1] as never), collection, options),
  method("vector.listCollections", "page", (f, a) => f.vector.listCollections(a[0] as never, a[1] as never), { good: goodPage, bad: badListParams() }, options),
  method("vector.deleteCollection", "promise", (f, a) => f.vector.deleteCollection(a[0] as string, a[1] as never), collection, options),
  method(
    "vector.upsert",
    "promise",
    (f, a) => f.vector.upsert(a[0] as string, a[1] as never, a[2] as never),
    collection,
    {
      good: fc.constantFrom([goodRecord], [goodRecord, { id: "b", vector: [1, 2, 3], metadata: { lang: "en" } }]),
      bad: fc.oneof(
        notArray,
        fc.constant([]),
        fc.constant(Array.from({ length: 1001 }, (_, i) => ({ id: `r${i}`, vector: [1] }))),
        fc.constantFrom<unknown>(
          [{}],
          [5],
          [{ ...goodRecord, id: "" }],
          [{ ...goodRecord, id: 5 }],
          [{ ...goodRecord, id: "x".repeat(257) }],
          [{ ...goodRecord, id: `${CANARY}\u0000` }],
          [{ ...goodRecord, id: `${CANARY}\ud800` }],
          [{ ...goodRecord, id: CANARY }, { ...goodRecord, id: CANARY }],
          [goodRecord, { id: "b", vector: [1, 2] }],
          [{ ...goodRecord, extra: 1 }],
        ),
        badVector.map((bad) => [{ id: "a", vector: bad }]),
        badMetadata.map((bad) => [{ ...goodRecord, metadata: bad }]),
      ),
    },
    options,
  ),
  method(
    "vector.query",
    "promise",
    (f, a) => f.vector.query(a[0] as string, a[1] as never, a[2] as never),
    collection,
    {
      good: fc.constantFrom({ vector: [1, 0, 0] }, { vector: [1, 0, 0], topK: 1000, filter: { lang: "en" }, includeVectors: true }),
      bad: badParams(
        { vector: [1, 0, 0] },
        { vector: fc.oneof(badVector, fc.constant(null)), topK: badInt(1, 1000), filter: badFilter, includeVectors: fc.oneof(fc.constantFrom("true", 1, 0), notStringNorNullish.filter((v) => typeof v !== "boolean")) },
        { missing: ["vector"], reserved: ["name"] },
      ),
    },
    options,
  ),
  method(
    "vector.delete",
    "promise",
    (f, a) => f.vector.delete(a[0] as string, a[1] as never, a[2] as never),
    collection,
    {
      good: fc.constantFrom(["a"], ["a", "b c", "é"]),
      bad: fc.oneof(
        notArray,
        fc.constant([]),
        fc.constant(Array.from({ length: 1001 }, (_, i) => `id${i}`)),
        fc.oneof(notString, fc.constant(""), withControlChar, withLoneSurrogate, tooLong(256)).map((bad) => ["a", bad]),
      ),
    },
    options,
  ),
];

// ---- memory ----

const memoryText = fc.oneof(notString, fc.constantFrom("", " ", "\n\t "), tooLong(32_768), withLoneSurrogate);
const memoryScope = fc.oneof(notStringNorNullish, badKey(256, { dots: false }));
const memoryId = { good: fc.constantFrom("mem_0123", "é%x"), bad: badStringArg(badKey(128)) };

const memory: MethodUnderTest[] = [
  method(
    "memory.add",
    "promise",
    (f, a) => f.memory.add(a[0] as never, a[1] as never),
    {
      good: fc.constantFrom({ content: "The user prefers dark mode" }, { content: "x", scope: "user:42 😀", metadata: { a: 1 } }),
      bad: badParams({ content: "remember me" }, { content: memoryText, scope: memoryScope, metadata: badMetadata }, { missing: ["content"] }),
    },
    options,
  ),
  method(
    "memory.search",
    "promise",
    (f, a) => f.memory.search(a[0] as string, a[1] as never, a[2] as never),
    { good: fc.constantFrom("which mode?"), bad: memoryText },
    {
      good: fc.constantFrom(undefined, {}, { limit: 100, scope: "user:42", minScore: 0, filter: { a: 1 } }),
      bad: badParams({}, { limit: badInt(1, 100), scope: memoryScope, filter: badFilter, minScore: badNumber(0, 1) }, { reserved: ["query"] }),
    },
    options,
  ),
  method("memory.get", "promise", (f, a) => f.memory.get(a[0] as string, a[1] as never), memoryId, options),
  method(
    "memory.list",
    "page",
    (f, a) => f.memory.list(a[0] as never, a[1] as never),
    { good: fc.constantFrom(undefined, {}, { scope: "user:42", limit: 5 }), bad: badListParams({ scope: memoryScope }) },
    options,
  ),
  method("memory.delete", "promise", (f, a) => f.memory.delete(a[0] as string, a[1] as never), memoryId, options),
  method(
    "memory.clear",
    "promise",
    (f, a) => f.memory.clear(a[0] as string, a[1] as never),
    { good: fc.constantFrom("default", "user:42", "user:42 😀"), bad: fc.oneof(notString, badKey(256, { dots: false })) },
    options,
  ),
];

// ---- conversations ----

const conversationId = { good: fc.constantFrom("conv_0123", "é %"), bad: badStringArg(badKey(256)) };
const title = fc.oneof(notStringNorNullish, tooLong(1000), withLoneSurrogate);
const conversationFields = { title, metadata: badMetadata };

const conversations: MethodUnderTest[] = [
  method(
    "conversations.create",
    "promise",
    (f, a) => f.conversations.create(a[0] as never, a[1] as never),
    { good: fc.constantFrom(undefined, {}, { title: "Support", metadata: { a: 1 } }, { title: "" }), bad: badParams({}, conversationFields) },
    options,
  ),
  method("conversations.get", "promise", (f, a) => f.conversations.get(a[0] as string, a[1] as never), conversationId, options),
  method("conversations.list", "page", (f, a) => f.conversations.list(a[0] as never, a[1] as never), { good: goodPage, bad: badListParams() }, options),
  method(
    "conversations.update",
    "promise",
    (f, a) => f.conversations.update(a[0] as string, a[1] as never, a[2] as never),
    conversationId,
    { good: fc.constantFrom({}, { title: null }, { title: "Renamed", metadata: {} }), bad: badParams({}, conversationFields, { reserved: ["id"] }) },
    options,
  ),
  method(
    "conversations.addMessage",
    "promise",
    (f, a) => f.conversations.addMessage(a[0] as string, a[1] as never, a[2] as never),
    conversationId,
    {
      good: fc.constantFrom({ role: "user", content: "Where is my order?" }, { role: "tool", content: "", metadata: { a: 1 } }),
      bad: badParams(
        { role: "user", content: "hi" },
        {
          role: fc.oneof(fc.constantFrom("User", "bot", "", "function"), notString),
          content: fc.oneof(notString, withLoneSurrogate, fc.constant("x".repeat(1_000_001))),
          metadata: badMetadata,
        },
        { missing: ["role", "content"], reserved: ["conversationId"] },
      ),
    },
    options,
  ),
  method(
    "conversations.listMessages",
    "page",
    (f, a) => f.conversations.listMessages(a[0] as string, a[1] as never, a[2] as never),
    conversationId,
    { good: fc.constantFrom(undefined, {}, { order: "desc", limit: 5 }), bad: badListParams({ order: fc.oneof(fc.constantFrom("ASC", "newest", ""), notStringNorNullish) }, 1000, { reserved: ["conversationId"] }) },
    options,
  ),
  method("conversations.delete", "promise", (f, a) => f.conversations.delete(a[0] as string, a[1] as never), conversationId, options),
];

/** Every method of datasets, vector, memory and conversations under test. */
export const COLLECTION_METHODS: readonly MethodUnderTest[] = [...datasets, ...vector, ...memory, ...conversations];
