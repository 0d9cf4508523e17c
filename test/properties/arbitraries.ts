// Arbitraries of bad (and a few good) argument values shared by the bad-input properties. A "bad"
// arbitrary yields only values the SDK documents as invalid for that argument, so every one of
// them must be refused before a request. Many strings carry the canary token, so that an error
// quoting the caller's input is caught if it does not redact it.
import fc from "fast-check";
import { CANARY } from "./harness.js";

// ---- values of the wrong type ----

/** Symbols, a fresh one per value. */
const symbols = fc.string({ maxLength: 4 }).map((description) => Symbol(description));

/** Functions of several kinds. */
const functions = fc.constantFrom<unknown>(
  () => "value",
  async () => "value",
  function* generator() {
    yield 1;
  },
  class Thing {},
);

/** Objects that are not plain: class instances, collections, a date, a pattern, a URL, a Buffer. */
const nonPlainObjects = fc.constantFrom<unknown>(new Map([["a", 1]]), new Set([1]), new Date(0), /pattern/, new (class Point {
  x = 1;
})(), new URL("http://127.0.0.1/"), Buffer.from("x"));

/** Numbers JSON cannot carry. */
export const nonFinite = fc.constantFrom(NaN, Infinity, -Infinity);

/** Any number, NaN and the infinities included. */
const numbers = fc.oneof(fc.integer(), fc.double(), nonFinite, fc.constantFrom(0, -0, 1.5, Number.MAX_SAFE_INTEGER + 2));

/** Values that are neither strings, nor `null`, nor `undefined`. */
export const notStringNorNullish: fc.Arbitrary<unknown> = fc.oneof(
  numbers,
  fc.bigInt(),
  fc.boolean(),
  symbols,
  functions,
  fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }),
  fc.object({ maxDepth: 1, maxKeys: 3 }),
  nonPlainObjects,
);

/** Anything but a string, for a required string argument (`null` and `undefined` too). */
export const notString: fc.Arbitrary<unknown> = fc.oneof(notStringNorNullish, fc.constantFrom(null, undefined));

/** Values that are not numbers, nor `null`/`undefined` (which an optional number reads as "not given"). */
export const notNumberNorNullish: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom("5", "", "1e3", " 7 "),
  fc.bigInt(),
  fc.boolean(),
  symbols,
  functions,
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.object({ maxDepth: 1, maxKeys: 3 }),
  nonPlainObjects,
);

/** A string of a million characters, where a parameters object belongs: one issue, not one per character. */
export const HUGE_STRING = CANARY.repeat(Math.ceil(1_000_000 / CANARY.length)).slice(0, 1_000_000);

/**
 * Values that are not a plain object, for a parameters object that may be left out (so not
 * `undefined`): `null`, arrays, a string of a million characters, and objects that are not plain
 * (a Map, a Date, a class instance).
 */
export const notObject: fc.Arbitrary<unknown> = fc.oneof(
  numbers,
  fc.string({ maxLength: 8 }),
  fc.constant(HUGE_STRING),
  fc.bigInt(),
  fc.boolean(),
  symbols,
  functions,
  fc.array(fc.anything({ maxDepth: 1 }), { maxLength: 3 }),
  fc.constant(null),
  nonPlainObjects,
);

/** Anything but an array. */
export const notArray: fc.Arbitrary<unknown> = fc.oneof(numbers, fc.string({ maxLength: 8 }), fc.bigInt(), fc.boolean(), symbols, functions, fc.object({ maxDepth: 1 }), fc.constantFrom(null, undefined), nonPlainObjects);

/** A whole number outside `min` to `max` (no upper bound when `max` is left out), a fraction, or not a number at all. */
export function badInt(min: number, max?: number): fc.Arbitrary<unknown> {
  const upper = max === undefined ? [] : [fc.integer({ min: max + 1, max: Number.MAX_SAFE_INTEGER }), fc.constant(max + 1)];
  return fc.oneof(
    fc.integer({ min: Number.MIN_SAFE_INTEGER, max: min - 1 }),
    ...upper,
    fc.double({ min, max: max ?? min + 1_000_000, noNaN: true }).filter((x) => !Number.isInteger(x)),
    fc.constantFrom(min - 1, min + 0.5, NaN, Infinity, -Infinity),
    notNumberNorNullish,
  );
}

/** A number outside `min` to `max` (fractions allowed), or not a finite number. */
export function badNumber(min: number, max: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.double({ max: min, maxExcluded: true, noNaN: true, noDefaultInfinity: true }),
    fc.double({ min: max, minExcluded: true, noNaN: true, noDefaultInfinity: true }),
    nonFinite,
    notNumberNorNullish,
  );
}

// ---- strings that break a rule ----

/** A character that must never appear in a key: a control character (NUL included) or DEL. */
const controlChar = fc.oneof(fc.integer({ min: 0, max: 0x1f }).map((code) => String.fromCharCode(code)), fc.constant("\u007f"));

/** Half of a surrogate pair, alone: not well-formed Unicode, and no URL can carry it. */
export const loneSurrogate = fc.constantFrom("\ud800", "\udbff", "\udc00", "\udfff");

/** Printable ASCII around a defect, sometimes with the canary in it. */
function around(defect: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const side = fc.oneof(fc.string({ maxLength: 8 }), fc.constant(CANARY));
  return fc.tuple(side, defect, side).map(([before, bad, after]) => `${before}${bad}${after}`);
}

/** A string with a control character somewhere. */
export const withControlChar = around(controlChar);

/** A string with a lone surrogate somewhere. */
export const withLoneSurrogate = around(loneSurrogate);

/** A string with a character that cannot go into an HTTP header value: CR, LF, NUL, another control character, DEL, a C1 control, or one above U+00FF. */
export const badHeaderValue = fc.oneof(
  fc.constantFrom("a\r\nx-injected: 1", "a\nb", "a\rb", "a\u0000b", "\u007f", "\u0085", "\u009f", "\u0100", "€", "😀", "\ud800"),
  around(fc.oneof(controlChar.filter((c) => c !== "\t"), fc.constantFrom("\u0080", "\u2028", "\ufeff"), loneSurrogate)),
);

/** A string that is not an HTTP header name (RFC 9110 token): empty, or with a space, separator, non-ASCII or control character. */
export const badHeaderName = fc.oneof(
  fc.constantFrom("", " ", "x test", " x-test", "x-test ", "x:y", "x;y", "(x)", "x/y", "x@y", "x=y", "\"x\"", "é", "x\u0000", "x\r\n", `${CANARY} x`),
  around(fc.constantFrom(" ", ":", ",", "\t", "\n", "é", "\ud800")),
);

/** Headers that are refused: not a plain object (a Map, a fetch Headers, a function, a string, an array), a bad name, or a value that is not a string or holds a bad character. */
export const badHeaders: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>("x-test: 1", 5, true, null, [["x-test", "1"]], new Map([["x-test", "1"]]), new Headers({ "x-test": "1" }), () => ({ "x-test": "1" }), new (class Bag {
    "x-test" = "1";
  })()),
  fc.dictionary(fc.stringMatching(/^x-[a-z]{1,6}$/), fc.oneof(notStringNorNullish, fc.constant(null)), { minKeys: 1, maxKeys: 3 }),
  fc.tuple(badHeaderName, fc.constantFrom("1", "")).map(([name, value]) => ({ "x-good": "ok", [name]: value })),
  fc.tuple(fc.stringMatching(/^x-[a-z]{1,6}$/), badHeaderValue).map(([name, value]) => ({ [name]: value })),
  // Too many, a name too long, a value too long.
  fc.constantFrom(101, 8_000).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-h${i}`, "v"]))),
  fc.constant({ ["x".repeat(257)]: "1" }),
  fc.constant({ "x-long": "v".repeat(8193) }),
);

/** A string longer than `max` characters: just over, or far over. */
export function tooLong(max: number): fc.Arbitrary<string> {
  return fc.oneof(
    fc.integer({ min: max + 1, max: max + 64 }).map((n) => CANARY.repeat(Math.ceil(n / CANARY.length)).slice(0, n)),
    fc.constant("k".repeat(Math.max(100_000, max * 4))),
  );
}

/** A key-like string that is not one: empty, `.`/`..`, a control character, a lone surrogate, or too long. */
export function badKey(max: number, { dots = true, surrogates = true } = {}): fc.Arbitrary<string> {
  return fc.oneof(fc.constantFrom("", ...(dots ? [".", ".."] : [])), withControlChar, ...(surrogates ? [withLoneSurrogate] : []), tooLong(max));
}

/** A name restricted to letters, digits, `_ . -` (and a first character of a narrower set) that breaks the rule. */
export function badName(max: number, extra: readonly string[] = []): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom("", ".", "..", ".hidden", "-dash", "with space", "a/b", "a%b", "a\\b", "é", "😀", "a:b", `${CANARY}!`, `${CANARY}/..`, ...extra),
    withControlChar,
    withLoneSurrogate,
    tooLong(max),
  );
}

/** A required string argument given as anything but a string, or as a bad string. */
export function badStringArg(bad: fc.Arbitrary<string>): fc.Arbitrary<unknown> {
  return fc.oneof(notString, bad);
}

// ---- JSON ----

/** Arrays nested `depth` levels deep. */
function nested(depth: number): unknown {
  let value: unknown = "bottom";
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/** Objects nested `depth` levels deep. */
function nestedObjects(depth: number): unknown {
  let value: unknown = { bottom: CANARY };
  for (let i = 0; i < depth; i++) value = { inner: value };
  return value;
}

/** Arrays and objects nested 100,000 levels deep (built once): a recursive walk would overflow the stack. */
export const DEEP_VALUES: readonly unknown[] = [nested(100_000), nestedObjects(100_000)];

/** An object of 100,000 unknown keys (built once): refused with at most 20 issues, quickly. */
export const MANY_KEYS: Readonly<Record<string, number>> = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`x_${i}`, i]));

/** An object that refers to itself. */
const cycle = fc.constant(null).map(() => {
  const node: Record<string, unknown> = { name: CANARY };
  node["self"] = node;
  return node;
});

/** Values JSON cannot carry as they are (at the top level, `undefined` aside). */
const notJsonLeaf: fc.Arbitrary<unknown> = fc.oneof(nonFinite, fc.bigInt(), symbols, functions, nonPlainObjects.filter((v) => !(v instanceof Date)), fc.constant(new Date(NaN)));

/** A value that is not JSON: a bad leaf at the top or inside good JSON, a cycle, `undefined` in an array, or nesting deeper than 100 levels. */
export const notJson: fc.Arbitrary<unknown> = fc.oneof(
  notJsonLeaf,
  fc.tuple(fc.jsonValue({ maxDepth: 1 }), notJsonLeaf).map(([good, bad]) => ({ good, inner: { list: [1, bad] } })),
  fc.tuple(fc.jsonValue({ maxDepth: 1 }), notJsonLeaf).map(([good, bad]) => [good, bad]),
  cycle,
  fc.constant([1, undefined, 3]),
  fc.integer({ min: 101, max: 300 }).map(nested),
  fc.constantFrom(...DEEP_VALUES),
);

/** Free-form `metadata` that is not a plain object of JSON values of at most 64 KiB. */
export const badMetadata: fc.Arbitrary<unknown> = fc.oneof(
  fc.oneof(numbers, fc.string({ maxLength: 8 }), fc.boolean(), fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }), symbols, functions, nonPlainObjects),
  notJsonLeaf.map((bad) => ({ [CANARY]: bad })),
  cycle,
  fc.constant({ big: "x".repeat(70 * 1024) }),
  fc.integer({ min: 101, max: 150 }).map((depth) => ({ deep: nested(depth) })),
);

// ---- filters (datasets.query, vector.query, memory.search) ----

/** A filter that breaks the grammar of src/dto/filter.ts. */
export const badFilter: fc.Arbitrary<unknown> = fc.oneof(
  // null is not "no filter" (leave it out for that): the platform answered it with a 500.
  fc.constant(null),
  fc.oneof(numbers, fc.string({ maxLength: 8 }), fc.boolean(), fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 2 }), nonPlainObjects),
  fc.constantFrom<unknown>(
    { "1starts-with-digit": 1 },
    { "$unknown": 1 },
    { [CANARY]: { $regex: "x" } },
    { [`${CANARY} space`]: 1 },
    { field: {} },
    { field: { $gt: true } },
    { field: { $lte: null } },
    { field: { $in: "x" } },
    { field: { $nin: [{}] } },
    { field: { $exists: "yes" } },
    { field: { $eq: [1] } },
    { field: { $eq: { nested: 1 } } },
    { field: NaN },
    { field: Infinity },
    { field: [1, 2] },
    { field: undefined },
    { $and: [] },
    { $or: {} },
    { $and: [5] },
    { $or: [{ $or: [{ $or: [{ $or: [{ $or: [{ $or: [{ a: 1 }] }] }] }] }] }] },
    { field: { $in: Array.from({ length: 1001 }, (_, i) => i) } },
    Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`f${i}`, i])),
    { ["x".repeat(129)]: 1 },
  ),
  fc.tuple(fc.stringMatching(/^[a-z]{1,6}$/), notJsonLeaf).map(([field, bad]) => ({ [field]: bad })),
);

// ---- parameters objects ----

/** A misspelt or made-up key, sometimes the canary itself (the refusal names the key). */
export const unknownKey = fc.oneof(
  fc.constant(CANARY),
  fc.constantFrom("timeoutMS", "timeout", "retries", "idempotency_key", "Limit", "extra"),
  fc.stringMatching(/^[a-z]{1,8}$/).map((k) => `x_${k}`),
);

/** `good` with one key added that the method does not know. */
export function withUnknownKey(good: fc.Arbitrary<object>): fc.Arbitrary<object> {
  return fc.tuple(good, unknownKey, fc.jsonValue({ maxDepth: 1 })).map(([params, key, value]) => ({ ...params, [key]: value }));
}

/** A value of an own `__proto__` or `constructor` key: an object (which assigned would become a prototype), a primitive (which assigned would vanish), `null`. */
const ownKeyValue = fc.constantFrom<unknown>(null, 1, "x", true, {}, [], { limit: 5 }, { timeoutMs: 1 }, { [CANARY]: 1 });

/**
 * `good` with an own `__proto__` or `constructor` key, as JSON.parse makes them (a data property,
 * not the prototype): `{ ...params, __proto__: x }` in a literal would set the prototype instead.
 */
export function withOwnProtoKey(good: fc.Arbitrary<object>): fc.Arbitrary<object> {
  return fc.tuple(good, fc.constantFrom("__proto__", "constructor"), ownKeyValue).map(([params, key, value]) => {
    const out: Record<string, unknown> = { ...params };
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    return out;
  });
}

/** `good` with the field `key` set to a value of `bad`. */
export function withField(good: fc.Arbitrary<object>, key: string, bad: fc.Arbitrary<unknown>): fc.Arbitrary<object> {
  return fc.tuple(good, bad).map(([params, value]) => ({ ...params, [key]: value }));
}

/** `good` without the field `key`. */
export function without(good: object, key: string): object {
  const { [key]: _gone, ...rest } = good as Record<string, unknown>;
  return rest;
}

/** Page parameters that break a rule: a `limit` outside 1 to `maxLimit`, a cursor that is not 1 to 8192 characters of well-formed Unicode. */
export function badPage(maxLimit = 1000): fc.Arbitrary<object> {
  return fc.oneof(
    fc.record({ limit: badInt(1, maxLimit) }),
    fc.record({ cursor: fc.oneof(notStringNorNullish, fc.constant(""), tooLong(8192), withLoneSurrogate) }),
  );
}

/**
 * A list's parameters that break a rule: not an object, a bad page field, an unknown key (or 100,000), a key
 * that names one of the method's own arguments (`reserved`), or one of `fields` (each a bad field value).
 */
export function badListParams(fields: Record<string, fc.Arbitrary<unknown>> = {}, maxLimit = 1000, { reserved = [] as string[] } = {}): fc.Arbitrary<unknown> {
  return fc.oneof(
    notObject,
    badPage(maxLimit),
    withUnknownKey(fc.constant({})),
    fc.constant(MANY_KEYS),
    withOwnProtoKey(fc.constantFrom({}, { limit: 5 })),
    ...reserved.map((key) => withField(fc.constant({}), key, fc.jsonValue({ maxDepth: 1 }))),
    ...Object.entries(fields).map(([key, bad]) => withField(fc.constant({}), key, bad)),
  );
}

// ---- request options ----

/** `RequestOptions` (and `{ timeoutMs, signal }` of a wait) field values that are refused. */
const badTimeoutMs = fc.oneof(fc.constantFrom(0, -1, 1.5, NaN, Infinity, -Infinity, 3_600_001), fc.integer({ max: 0 }), notNumberNorNullish);
const notAnAbortSignal = fc.oneof(
  fc.constantFrom<unknown>({}, { aborted: false, reason: undefined, addEventListener() {}, removeEventListener() {} }, new AbortController(), new EventTarget(), "signal", 1, true),
  fc.string({ maxLength: 4 }),
);

/** `RequestOptions` that are refused: not an object, a bad timeout, signal, header (or too many) or idempotency key, or an unknown key (or 100,000). */
export const badOptions: fc.Arbitrary<unknown> = fc.oneof(
  fc.oneof(numbers, fc.string({ maxLength: 8 }), fc.bigInt(), fc.boolean(), symbols, functions, fc.array(fc.anything({ maxDepth: 1 }), { maxLength: 2 }), fc.constant(null)),
  fc.record({ timeoutMs: badTimeoutMs }),
  fc.record({ signal: notAnAbortSignal }),
  fc.record({ headers: badHeaders.filter((headers) => headers !== null) }),
  fc.record({
    idempotencyKey: fc.oneof(
      fc.constantFrom("", "has space", "tab\there", "line\nbreak", "ünïcode", `${CANARY} x`, "k".repeat(256), "\u0000"),
      notStringNorNullish,
    ),
  }),
  withUnknownKey(fc.constant({})),
  fc.constant(MANY_KEYS),
  withOwnProtoKey(fc.constantFrom({}, { timeoutMs: 5_000 })),
);

/** `RequestOptions` that are accepted. */
export const goodOptions: fc.Arbitrary<unknown> = fc.constantFrom(
  undefined,
  {},
  { timeoutMs: 5_000 },
  { timeoutMs: 3_600_000 },
  { idempotencyKey: "retry-safe-1" },
  { headers: { "x-test": "yes" } },
  { headers: { "X-Unusual_Name!#$%&'*+.^`|~0": "visible ASCII, spaces,\ttabs and Latin-1: café ÿ", "x-empty": "" } },
  { signal: new AbortController().signal },
);

/** The wait bounds of `waitForExecution`, `jobs.wait` and `waitForRun` that are refused: a bad `timeoutMs` or `signal`, or an unknown key (a misspelt `timeoutMS` would wait with no limit). */
export const badWaitParams: fc.Arbitrary<object> = fc.oneof(
  fc.record({ timeoutMs: fc.oneof(fc.constantFrom(0, -1, 1.5, NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER + 2), fc.integer({ max: 0 }), notNumberNorNullish) }),
  fc.record({ signal: notAnAbortSignal }),
  withUnknownKey(fc.constantFrom({}, { timeoutMs: 5_000 })),
  withOwnProtoKey(fc.constantFrom({}, { timeoutMs: 5_000 })),
);

/** Wait bounds that are accepted. */
export const goodWaitParams: fc.Arbitrary<unknown> = fc.constantFrom(undefined, {}, { timeoutMs: 60_000 }, { signal: new AbortController().signal });

// ---- the argument positions shared by every method ----

/** The last argument of every method: good and bad `RequestOptions`. */
export const requestOptions = { good: goodOptions, bad: badOptions };

/** Page parameters of a list that are accepted. */
export const goodPage = fc.constantFrom(undefined, {}, { limit: 1 }, { limit: 1000 }, { cursor: "c" });

/**
 * A parameters object that breaks a rule: not an object, `good` with an unknown key (or 100,000 of them), with a key
 * that names one of the method's own arguments (`reserved`), with one of `fields` set to its bad
 * value, or without one of `missing`.
 */
export function badParams(good: object, fields: Record<string, fc.Arbitrary<unknown>>, { missing = [] as string[], reserved = [] as string[] } = {}): fc.Arbitrary<unknown> {
  return fc.oneof(
    notObject,
    withUnknownKey(fc.constant(good)),
    fc.constant(MANY_KEYS),
    withOwnProtoKey(fc.constant(good)),
    ...reserved.map((key) => withField(fc.constant(good), key, fc.jsonValue({ maxDepth: 1 }))),
    ...Object.entries(fields).map(([key, bad]) => withField(fc.constant(good), key, bad)),
    ...missing.map((key) => fc.constant(without(good, key))),
  );
}
