// Every public method of connectors, serviceTokens, services and service (info and heartbeat:
// the request-binding helpers are synchronous and have their own properties in
// bad-input-services.test.ts), with good and bad arbitraries per argument.
import fc from "fast-check";
import {
  badInt,
  badKey,
  badListParams,
  badMetadata,
  badName,
  badParams,
  badStringArg,
  badHeaders,
  goodPage,
  notArray,
  notJson,
  notObject,
  notString,
  notStringNorNullish,
  requestOptions as options,
  tooLong,
  withControlChar,
  withField,
  withLoneSurrogate,
  withOwnProtoKey,
  withUnknownKey,
} from "./arbitraries.js";
import { CANARY, method, type MethodUnderTest } from "./harness.js";

/** A manifest id (a connector): a letter or digit, then letters, digits, `_ . -`, up to 128. */
const resourceId = { good: fc.constantFrom("tracker", "crm-2", "0.v_2"), bad: badStringArg(badName(128, ["_underscore-first", "x".repeat(129)])) };

// ---- connectors ----

/** An action name: 1 to 64 letters, digits, `_` or `-`. */
const actionName = {
  good: fc.constantFrom("createIssue", "list_all", "get-1", "x".repeat(64)),
  bad: badStringArg(fc.oneof(fc.constantFrom("", "has space", "a.b", "a/b", "a:b", "é", "😀", "x".repeat(65), `${CANARY}!`, `${CANARY}/x`), withControlChar, withLoneSurrogate)),
};

/** Parameters of an action: any plain object of JSON values, a property set to undefined left out; `__proto__` and `constructor` are parameter names like any other. */
const goodConnectorParams = fc.oneof(
  fc.constantFrom<unknown>(undefined, {}, { project: "web", title: "Broken link" }, { owner: "é 😀 %", n: 1.5, tags: ["a", "b"], nested: { deep: [null, true] }, gone: undefined }),
  fc.constant(null).map(() => JSON.parse('{"__proto__":{"a":1},"constructor":"c","id":"x"}') as unknown),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
);

/** Parameters that are not a plain object of JSON values under 8 MiB (null is refused, not read as none). */
const badConnectorParams = fc.oneof(
  notObject,
  fc.constant(null),
  fc.tuple(fc.stringMatching(/^[a-z]{1,6}$/), notJson).map(([name, value]) => ({ project: "web", [name]: value })),
  notJson.filter((value) => typeof value === "object" && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype),
  fc.constant(null).map(() => ({ body: "x".repeat(8 * 1024 * 1024) })),
  fc.constant({ list: [1, undefined, 3] }),
);

const connectors: MethodUnderTest[] = [
  method("connectors.list", "page", (f, a) => f.connectors.list(a[0] as never, a[1] as never), { good: goodPage, bad: badListParams() }, options),
  method("connectors.get", "promise", (f, a) => f.connectors.get(a[0] as string, a[1] as never), resourceId, options),
  method(
    "connectors.invoke",
    "promise",
    (f, a) => f.connectors.invoke(a[0] as string, a[1] as string, a[2] as never, a[3] as never),
    resourceId,
    actionName,
    { good: goodConnectorParams, bad: badConnectorParams },
    options,
  ),
];

// ---- serviceTokens ----

const goodToken = { name: "nightly-export", scopes: ["state:read"] };

/** Scopes that are not 1 to 100 of `*` or `<area>:<action>`. */
const badScopes = fc.oneof(
  notArray,
  fc.constantFrom<unknown>(
    [],
    [""],
    ["state"],
    ["state:"],
    [":read"],
    ["*:*"],
    ["state:READ"],
    ["state:read "],
    [" state:read"],
    ["state:read:all"],
    ["1state:read"],
    ["state:r-ead"],
    ["é:read"],
    [CANARY],
    [`state:${CANARY}`],
    [null],
    [5],
    [["state:read"]],
    [{ scope: "state:read" }],
    ["state:read", undefined],
    [`${"a".repeat(65)}:read`],
    [`state:${"r".repeat(64)}`],
  ),
  fc.constant(Array.from({ length: 101 }, () => "state:read")),
  fc.tuple(fc.nat({ max: 3 }), fc.oneof(notStringNorNullish, withControlChar, withLoneSurrogate)).map(([at, bad]) => {
    const scopes: unknown[] = ["state:read", "*", "state:*"];
    scopes.splice(at, 0, bad);
    return scopes;
  }),
);

/** A token id: a platform id (1 to 256 characters, no control characters, well-formed, not `.` or `..`) that is not a secret (`fst_…`). */
const tokenId = {
  good: fc.constantFrom("stk_0123456789abcdef01234567", "tok é %", "fst", "FST_upper"),
  bad: badStringArg(fc.oneof(badKey(256), fc.constantFrom("fst_", `fst_${CANARY}`), fc.string({ maxLength: 16 }).map((rest) => `fst_${rest}`))),
};

const serviceTokens: MethodUnderTest[] = [
  method(
    "serviceTokens.create",
    "promise",
    (f, a) => f.serviceTokens.create(a[0] as never, a[1] as never),
    {
      good: fc.constantFrom<unknown>(
        goodToken,
        { name: "é 😀 %", scopes: ["*", "state:*", "gateway:invoke", "codeBlocks:write"], expiresInSeconds: 31_536_000 },
        { name: "n".repeat(200), scopes: Array.from({ length: 100 }, () => "state:read"), expiresInSeconds: 1 },
        { ...goodToken, expiresInSeconds: undefined },
      ),
      bad: badParams(
        goodToken,
        {
          name: fc.oneof(notString, fc.constant(""), tooLong(200), withControlChar, withLoneSurrogate),
          scopes: badScopes,
          expiresInSeconds: badInt(1, 31_536_000),
        },
        { missing: ["name", "scopes"] },
      ),
    },
    options,
  ),
  method("serviceTokens.list", "page", (f, a) => f.serviceTokens.list(a[0] as never, a[1] as never), { good: goodPage, bad: badListParams() }, options),
  method("serviceTokens.get", "promise", (f, a) => f.serviceTokens.get(a[0] as string, a[1] as never), tokenId, options),
  method("serviceTokens.revoke", "promise", (f, a) => f.serviceTokens.revoke(a[0] as string, a[1] as never), tokenId, options),
];

// ---- services ----

/** A service's id or name: 1 to 1000 characters, no control characters, well-formed, not `.` or `..`. */
const serviceIdOrName = { good: fc.constantFrom("orders", "svc_0123456789abcdef", "Order service é %"), bad: badStringArg(badKey(1000)) };

const goodCall = { path: "/orders/42" };

/** A query value that is not a string, finite number, boolean or undefined. */
const badQueryValue = fc.oneof(
  fc.constantFrom<unknown>(null, NaN, Infinity, { nested: 1 }, [1, 2], new Date(0)),
  fc.bigInt(),
  fc.constant(() => "x"),
  fc.string({ maxLength: 4 }).map((d) => Symbol(d)),
);

const badCallParams = fc.oneof(
  notObject,
  fc.constant({}),
  fc.record({
    path: fc.oneof(
      notString,
      fc.constantFrom("", "orders", CANARY, `//${CANARY}.example/x`, "//evil.example/x", `https://evil.example/${CANARY}`, " /x", "/\\host", "/a\\b"),
      // Dot segments (also percent-encoded) would leave the service; a fragment would cut the path.
      fc.constantFrom("/..", "/../secrets/X", "/a/./b", "/a/%2e%2E/b", "/%2e", "/x#frag"),
      withControlChar.map((text) => `/${text}`),
      withLoneSurrogate.map((text) => `/${text}`),
    ),
  }),
  badParams(
    goodCall,
    {
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
      responseType: fc.oneof(fc.constantFrom<unknown>("json", "TEXT", "arraybuffer", "", null), notStringNorNullish),
    },
    { reserved: ["idOrName"] },
  ),
);

const services: MethodUnderTest[] = [
  method(
    "services.list",
    "page",
    (f, a) => f.services.list(a[0] as never, a[1] as never),
    {
      good: fc.constantFrom(undefined, {}, { limit: 1 }, { status: "running" }, { status: "stopped", limit: 1000, cursor: "c" }),
      bad: badListParams({ status: fc.oneof(fc.constantFrom("up", "RUNNING", "crashed", ""), notStringNorNullish) }),
    },
    options,
  ),
  method("services.get", "promise", (f, a) => f.services.get(a[0] as string, a[1] as never), serviceIdOrName, options),
  method(
    "services.call",
    "promise",
    (f, a) => f.services.call(a[0] as string, a[1] as never, a[2] as never),
    serviceIdOrName,
    {
      good: fc.constantFrom<unknown>(
        goodCall,
        { method: "post", path: "/orders", body: { item: "é 😀", n: 1, gone: undefined }, query: { q: "x", n: 1, b: true, u: undefined }, headers: { "x-test": "1" } },
        { method: "PUT", path: "/notes/1?x=1", body: "plain text", responseType: "text" },
        { method: "GET", path: "/v1.2/a..b/.well-known?next=../x" },
        { method: "DELETE", path: "/", body: null, responseType: "buffer" },
        { method: "POST", path: "/bytes", body: Buffer.from("bytes"), responseType: "auto" },
        { method: "options", path: "/é 😀%20" },
      ),
      bad: badCallParams,
    },
    options,
  ),
];

// ---- service ----

const service: MethodUnderTest[] = [
  method("service.info", "promise", (f, a) => f.service.info(a[0] as never), options),
  method(
    "service.heartbeat",
    "promise",
    (f, a) => f.service.heartbeat(a[0] as never, a[1] as never),
    {
      good: fc.constantFrom<unknown>(undefined, {}, { status: "running" }, { status: "degraded", details: { queue: 3, note: "é 😀" } }, { details: {} }),
      bad: fc.oneof(
        badParams(
          {},
          { status: fc.oneof(fc.constantFrom("stopped", "starting", "RUNNING", "up", ""), notStringNorNullish), details: badMetadata },
          { reserved: ["id"] },
        ),
        withUnknownKey(fc.constant({ status: "running" })),
        withOwnProtoKey(fc.constant({ status: "running" })),
        withField(fc.constant({ status: "running" }), "details", fc.constant({ big: "x".repeat(70 * 1024) })),
      ),
    },
    options,
  ),
];

/** Every connectors and serviceTokens method under test. */
export const CONNECTOR_AND_TOKEN_METHODS: readonly MethodUnderTest[] = [...connectors, ...serviceTokens];

/** Every services method and service's info and heartbeat under test. */
export const SERVICE_METHODS: readonly MethodUnderTest[] = [...services, ...service];
