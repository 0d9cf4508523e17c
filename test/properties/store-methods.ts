// Every public method of state, audit, auth, secrets, storage and gateway.request that takes
// caller input, with good and bad arbitraries per argument.
import { Readable } from "node:stream";
import fc from "fast-check";
import {
  badHeaders,
  badInt,
  badKey,
  badListParams,
  badName,
  badParams,
  badStringArg,
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

// ---- state ----

const stateKey = { good: fc.stringMatching(/^[a-z][a-z0-9:_-]{0,15}$/), bad: badStringArg(badKey(512)) };
const ttl = badInt(1, 10 * 365 * 24 * 3600);

const state: MethodUnderTest[] = [
  method("state.get", "promise", (f, a) => f.state.get(a[0] as string, a[1] as never), stateKey, options),
  method("state.getWithVersion", "promise", (f, a) => f.state.getWithVersion(a[0] as string, a[1] as never), stateKey, options),
  method(
    "state.set",
    "promise",
    (f, a) => f.state.set(a[0] as string, a[1], a[2] as never, a[3] as never),
    stateKey,
    { good: fc.jsonValue({ maxDepth: 2 }), bad: fc.oneof(notJson, fc.constant(undefined)) },
    { good: fc.constantFrom(undefined, {}, { ttlSeconds: 60 }, { ifVersion: 0 }), bad: badParams({}, { ttlSeconds: ttl, ifVersion: fc.oneof(badInt(0), fc.constantFrom(null, 2 ** 53, Number.MAX_VALUE)) }, { reserved: ["key", "value"] }) },
    options,
  ),
  method("state.delete", "promise", (f, a) => f.state.delete(a[0] as string, a[1] as never), stateKey, options),
  method(
    "state.increment",
    "promise",
    (f, a) => f.state.increment(a[0] as string, a[1] as never, a[2] as never, a[3] as never),
    stateKey,
    { good: fc.constantFrom(undefined, 1, -2.5, 0), bad: fc.oneof(fc.constantFrom(NaN, Infinity, -Infinity), notNumberNorNullish) },
    { good: fc.constantFrom(undefined, {}, { ttlSeconds: 5 }), bad: badParams({}, { ttlSeconds: ttl }, { reserved: ["key", "by"] }) },
    options,
  ),
  method(
    "state.list",
    "page",
    (f, a) => f.state.list(a[0] as never, a[1] as never),
    { good: fc.constantFrom(undefined, {}, { prefix: "cart:", limit: 10 }, { prefix: "😀 é" }), bad: badListParams({ prefix: fc.oneof(notStringNorNullish, tooLong(512), withLoneSurrogate) }) },
    options,
  ),
];

// ---- audit ----

const goodEvent = { action: "visit", resourceType: "page", resourceId: "home" };

const audit: MethodUnderTest[] = [
  method(
    "audit.log",
    "promise",
    (f, a) => f.audit.log(a[0] as never, a[1] as never),
    {
      good: fc.constantFrom(goodEvent, { ...goodEvent, details: { visits: 1 } }),
      bad: fc.oneof(
        badParams(goodEvent, {
          action: badStringArg(badKey(128, { dots: false })),
          resourceType: badStringArg(badKey(128, { dots: false })),
          resourceId: badStringArg(badKey(512, { dots: false })),
          // null is not "no details"; 64 KiB at most, as metadata elsewhere.
          details: fc.oneof(notJson, fc.constantFrom(5, "details", true, [1, 2], null, { big: "x".repeat(65 * 1024) })),
        }, { missing: ["action", "resourceType", "resourceId"] }),
        fc.constant(undefined),
      ),
    },
    options,
  ),
  method(
    "audit.list",
    "page",
    (f, a) => f.audit.list(a[0] as never, a[1] as never),
    {
      good: fc.constantFrom(undefined, {}, { resourceType: "page", since: "2026-01-31T09:00:00.5+09:00" }, { since: new Date(0) }),
      bad: badListParams({
        resourceType: fc.oneof(notStringNorNullish, badKey(128, { dots: false })),
        resourceId: fc.oneof(notStringNorNullish, badKey(512, { dots: false })),
        since: fc.oneof(
          fc.constantFrom("2026-01-31", "2026-01-31T00:00:00", "2026-W05", "2026-031", "yesterday", "2026-02-30T00:00:00Z", "", CANARY, new Date(NaN)),
          notStringNorNullish.filter((value) => !(value instanceof Date)),
        ),
      }),
    },
    options,
  ),
];

// ---- auth ----

const auth: MethodUnderTest[] = [
  method("auth.whoami", "promise", (f, a) => f.auth.whoami(a[0] as never), options),
  method(
    "auth.hasScope",
    "promise",
    (f, a) => f.auth.hasScope(a[0] as string, a[1] as never),
    { good: fc.constantFrom("state:read", "*", "audit:*"), bad: fc.oneof(notString, fc.constantFrom("", " ", "\t\n")) },
    options,
  ),
];

// ---- secrets ----

const secretName = { good: fc.constantFrom("STRIPE_API_KEY", "_x", "a.b-c"), bad: badStringArg(badName(256, ["1starts-with-digit", "x".repeat(257)])) };
const readParams = { good: fc.constantFrom(undefined, {}, { fresh: true }, { fresh: false }), bad: badParams({}, { fresh: fc.oneof(fc.constantFrom("true", 1, 0, "yes"), notStringNorNullish.filter((v) => typeof v !== "boolean")) }) };

const secrets: MethodUnderTest[] = [
  method("secrets.get", "promise", (f, a) => f.secrets.get(a[0] as string, a[1] as never, a[2] as never), secretName, readParams, options),
  method(
    "secrets.getMany",
    "promise",
    (f, a) => f.secrets.getMany(a[0] as never, a[1] as never, a[2] as never),
    {
      good: fc.constantFrom(["DB_USER"], ["DB_USER", "DB_PASSWORD"]),
      bad: fc.oneof(
        notArray,
        secretName.bad.map((bad) => ["DB_USER", bad]),
        fc.integer({ min: 101, max: 150 }).map((n) => Array.from({ length: n }, (_, i) => `NAME_${i}`)),
      ),
    },
    readParams,
    options,
  ),
  method(
    "secrets.list",
    "page",
    (f, a) => f.secrets.list(a[0] as never, a[1] as never),
    { good: fc.constantFrom(undefined, {}, { prefix: "STRIPE_" }, { prefix: "" }), bad: badListParams({ prefix: fc.oneof(notStringNorNullish, fc.constantFrom("with space", "a/b", "é", "\u0000"), tooLong(256)) }) },
    options,
  ),
];

// ---- storage ----

const storagePath = {
  good: fc.constantFrom("exports/users.csv", "a", "reports/2026/é 1%.txt"),
  bad: badStringArg(
    fc.oneof(
      badKey(1024),
      fc.constantFrom("/leading", "a//b", "trailing/", "a/./b", "a/../b", "./a", "../a", "a/..", "a\\b", "C:/x", "c:x", `${CANARY}/../x`),
    ),
  ),
};
const onProgress = fc.oneof(notStringNorNullish.filter((v) => typeof v !== "function"), fc.string({ maxLength: 4 }));

const storage: MethodUnderTest[] = [
  method(
    "storage.put",
    "promise",
    (f, a) => f.storage.put(a[0] as string, a[1] as never, a[2] as never, a[3] as never),
    storagePath,
    {
      good: fc.constantFrom<unknown>("text", Buffer.from("bytes"), new Uint8Array([1, 2]), () => Readable.from(["a"])),
      bad: fc.oneof(
        fc.oneof(fc.integer(), fc.boolean(), fc.bigInt(), fc.constantFrom(null, undefined), fc.object({ maxDepth: 1 }), fc.array(fc.integer(), { maxLength: 3 })),
        fc.constantFrom<unknown>(() => 5, () => "text", () => null, () => ({ pipe: 1 }), new Date(0), new Map()),
      ),
    },
    {
      good: fc.constantFrom(undefined, {}, { contentType: "text/csv; charset=utf-8" }, { metadata: { owner: "ada" } }, { onProgress: () => {} }, { size: 1 }),
      bad: badParams(
        {},
        {
          contentType: fc.oneof(notStringNorNullish, fc.constantFrom("text", "text/", "/plain", "a b/c", "text/plain\r\nx: y", "x".repeat(256) + "/y")),
          metadata: fc.oneof(
            notObject.filter((value) => value !== null),
            fc.constantFrom<unknown>({ owner: 5 }, { "bad name": "x" }, { "": "x" }, { [`${CANARY} x`]: "v" }, { ["n".repeat(129)]: "v" }, { big: "x".repeat(5000) }, new Map([["a", "b"]])),
          ),
          onProgress,
          size: badInt(0),
        },
        { reserved: ["path"] },
      ),
    },
    options,
  ),
  ...(["get", "getStream"] as const).map((verb) =>
    method(
      `storage.${verb}`,
      "promise",
      (f, a) => f.storage[verb](a[0] as string, a[1] as never, a[2] as never),
      storagePath,
      { good: fc.constantFrom(undefined, {}, { onProgress: () => {} }), bad: badParams({}, { onProgress }, { reserved: ["path"] }) },
      options,
    ),
  ),
  method("storage.head", "promise", (f, a) => f.storage.head(a[0] as string, a[1] as never), storagePath, options),
  method("storage.delete", "promise", (f, a) => f.storage.delete(a[0] as string, a[1] as never), storagePath, options),
  method(
    "storage.list",
    "page",
    (f, a) => f.storage.list(a[0] as never, a[1] as never),
    { good: fc.constantFrom(undefined, {}, { prefix: "reports/" }, { prefix: "é 😀/" }), bad: badListParams({ prefix: fc.oneof(notStringNorNullish, withControlChar, withLoneSurrogate, tooLong(1024)) }) },
    options,
  ),
  method(
    "storage.signedUrl",
    "promise",
    (f, a) => f.storage.signedUrl(a[0] as string, a[1] as never, a[2] as never),
    storagePath,
    {
      good: fc.constantFrom(undefined, {}, { method: "PUT" }, { expiresInSeconds: 604_800 }),
      bad: badParams({}, { method: fc.oneof(fc.constantFrom("get", "POST", "DELETE", ""), notStringNorNullish), expiresInSeconds: badInt(1, 604_800) }, { reserved: ["path"] }),
    },
    options,
  ),
];

// ---- gateway ----

const goodRawRequest = { method: "POST", path: "/v1/things" };

/** A query value that is not a string, finite number, boolean or undefined: null, NaN, an object or array (axios would send a[b]=1), a bigint, a function. */
const badQueryValue = fc.oneof(
  fc.constantFrom<unknown>(null, NaN, Infinity, { nested: 1 }, [1, 2], new Date(0)),
  fc.bigInt(),
  fc.constant(() => "x"),
  fc.string({ maxLength: 4 }).map((d) => Symbol(d)),
);

const gateway: MethodUnderTest[] = [
  method(
    "gateway.request",
    "promise",
    (f, a) => f.gateway.request(a[0] as never, a[1] as never),
    {
      good: fc.constantFrom<unknown>(
        { path: "/v1/models" },
        { method: "POST", path: "/v1/things", body: { a: 1 }, query: { q: "x", n: 1 } },
        { method: "get", path: "/v1/é 😀%20?x=1#f", query: { s: "", b: false, n: -1.5, u: undefined }, headers: { "x-a": "café\tÿ", "x-empty": "" } },
        { method: "PATCH", path: "/v1/things/1", body: [null, "s", 1, { nested: true, gone: undefined }] },
        { method: "delete", path: "/", body: null },
        { method: "POST", path: "/v1/bytes", body: Buffer.from("bytes") },
      ),
      bad: fc.oneof(
        notObject,
        fc.record({
          path: fc.oneof(
            notString,
            fc.constantFrom("", "v1/models", CANARY, `//${CANARY}.example/x`, "//evil.example/v1", `https://evil.example/${CANARY}`, "http://127.0.0.1/x", " /v1", "/\\host", "/\\\\evil.example/x", "/a\\b"),
            withControlChar.map((text) => `/${text}`),
            withLoneSurrogate.map((text) => `/${text}`),
          ),
        }),
        badParams(goodRawRequest, {
          method: fc.oneof(notStringNorNullish, fc.constant(null), fc.constantFrom("CONNECT", "TRACE", "PURGE", "link", "", "GET ", "G ET", "POST\r\n", "po\u017ft", "opt\u0131ons")),
          path: fc.constantFrom(undefined, null),
          query: fc.oneof(
            fc.constantFrom<unknown>(null, "q=1", 5, [["q", "1"]], new Map([["q", "1"]]), new URLSearchParams("q=1")),
            fc.tuple(fc.stringMatching(/^[a-z]{1,6}$/), fc.oneof(badQueryValue, withLoneSurrogate)).map(([name, value]) => ({ ok: "1", [name]: value })),
            withLoneSurrogate.map((name) => ({ [name]: "1" })),
          ),
          headers: badHeaders,
          // Bytes and streams are bodies too, sent as they are.
          body: notJson.filter((value) => !(value instanceof Uint8Array)),
        }),
      ),
    },
    options,
  ),
];

/** Every method of state, audit, auth, secrets, storage and gateway under test. */
export const STORE_METHODS: readonly MethodUnderTest[] = [...state, ...audit, ...auth, ...secrets, ...storage, ...gateway];
