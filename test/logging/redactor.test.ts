import { describe, expect, it } from "vitest";
import { REDACTED, Redactor } from "../../src/logging/redactor.js";
import { redactingLogger } from "../../src/logging/safe-logger.js";
import type { FlowLogger } from "../../src/index.js";

describe("Redactor", () => {
  it("replaces every known value, bearer credential and JWT-shaped string", () => {
    const redactor = new Redactor();
    redactor.add("sk_live_canary_42");
    const text = redactor.text("key sk_live_canary_42 and Bearer abc.def-ghi and eyJhbGciOi.eyJzdWIiOi.sig_part");
    expect(text).toBe(`key ${REDACTED} and Bearer ${REDACTED} and ${REDACTED}`);
  });

  it("redacts nested values and credential-named fields", () => {
    const redactor = new Redactor();
    redactor.add("canary-value");
    expect(redactor.value({ a: ["x canary-value y"], nested: { authToken: "whatever", n: 1 } })).toEqual({
      a: [`x ${REDACTED} y`],
      nested: { authToken: REDACTED, n: 1 },
    });
  });

  it("ignores values too short to redact safely and never serialises what it knows", () => {
    const redactor = new Redactor();
    redactor.add("ab");
    redactor.add("canary-value");
    expect(redactor.text("ab cd")).toBe("ab cd");
    expect(JSON.stringify(redactor)).not.toContain("canary");
  });

  it("filters every log line and survives a throwing logger", () => {
    const lines: string[] = [];
    const target: FlowLogger = {
      debug: (m, f) => lines.push(m + JSON.stringify(f ?? {})),
      info: (m, f) => lines.push(m + JSON.stringify(f ?? {})),
      warn: () => {
        throw new Error("broken logger");
      },
      error: (m, f) => lines.push(m + JSON.stringify(f ?? {})),
    };
    const redactor = new Redactor();
    redactor.add("canary-value");
    const logger = redactingLogger(target, redactor);
    logger.info("token canary-value", { header: "Bearer canary-value" });
    logger.error("plain");
    expect(() => logger.warn("x")).not.toThrow();
    expect(lines.join("\n")).not.toContain("canary-value");
    expect(lines).toHaveLength(2);
  });
});

describe("Redactor depth", () => {
  it("truncates values nested too deep instead of passing them on unredacted", () => {
    const redactor = new Redactor();
    redactor.add("canary-value");
    let deep: unknown = "canary-value";
    for (let i = 0; i < 12; i++) deep = { next: deep };
    expect(JSON.stringify(redactor.value(deep))).not.toContain("canary-value");
    expect(JSON.stringify(redactor.value(deep))).toContain("[Truncated]");
  });
});

describe("Redactor secrets", () => {
  it("never forgets a secret value, however many tokens come after it", () => {
    const redactor = new Redactor();
    redactor.addSecret("secret-canary-value");
    redactor.add("token-canary-first");
    for (let i = 0; i < 200; i++) redactor.add(`token-${i}-padding`);
    expect(redactor.text("a secret-canary-value b")).toBe(`a ${REDACTED} b`);
    // Tokens are still bounded: the oldest one is gone.
    expect(redactor.text("token-canary-first")).toBe("token-canary-first");
  });

  it("also knows a secret in its JSON-escaped and URL-encoded forms", () => {
    const redactor = new Redactor();
    const pem = '-----BEGIN KEY-----\nabc "def"/ghi\n-----END KEY-----';
    redactor.addSecret(pem);
    expect(redactor.text(`raw ${pem}`)).toBe(`raw ${REDACTED}`);
    expect(redactor.text(`json ${JSON.stringify({ key: pem })}`)).not.toContain("abc");
    expect(redactor.text(`url /x/${encodeURIComponent(pem)}`)).toBe(`url /x/${REDACTED}`);
  });

  it("knows a secret with slashes in a storage path (each segment encoded) and in a raw path (encodeURI)", () => {
    const redactor = new Redactor();
    const key = "q8+Zx/Lm9w== a#b";
    redactor.addSecret(key);
    const storagePath = key.split("/").map(encodeURIComponent).join("/");
    expect(redactor.text(`GET /v1/objects/cache/${storagePath}`)).toBe(`GET /v1/objects/cache/${REDACTED}`);
    expect(redactor.text(`GET /x/${encodeURI(key)}`)).toBe(`GET /x/${REDACTED}`);
  });

  it("takes a secret holding a lone surrogate without throwing, and still hides its raw form", () => {
    const redactor = new Redactor();
    expect(() => redactor.addSecret("half \ud83d of a pair")).not.toThrow();
    expect(redactor.text("x half \ud83d of a pair y")).toBe(`x ${REDACTED} y`);
  });

  it("hides a value another live instance read, so one instance's log never shows another's secret", () => {
    const reader = new Redactor();
    const other = new Redactor();
    reader.addSecret("cross-instance-canary-42");
    expect(other.text("url /x/cross-instance-canary-42")).toBe(`url /x/${REDACTED}`);
  });

  it("replaces a value whole when another live instance knows a shorter value inside it", () => {
    const short = new Redactor();
    const long = new Redactor();
    short.addSecret("wxyz");
    long.addSecret("wxyz-and-the-rest-of-it");
    expect(short.text("x wxyz-and-the-rest-of-it y")).toBe(`x ${REDACTED} y`);
    expect(long.text("x wxyz-and-the-rest-of-it y")).toBe(`x ${REDACTED} y`);
  });

  it("replaces a value that contains another one whole, not just the shorter part", () => {
    const redactor = new Redactor();
    redactor.addSecret("abcd");
    redactor.addSecret("abcd-longer-secret");
    expect(redactor.text("x abcd-longer-secret y")).toBe(`x ${REDACTED} y`);
  });
});

describe("Redactor secrets in every shape a log line can hold", () => {
  const value = "sk canary:$,value/+&=[x]";

  it("knows the query-string forms axios and URLSearchParams write", () => {
    const redactor = new Redactor();
    redactor.addSecret(value);
    const axiosForm = new URL(`http://x/?${new URLSearchParams({ q: value })}`).search; // URLSearchParams form
    expect(redactor.text(`GET /list${axiosForm}`)).toBe(`GET /list?q=${REDACTED}`);
    const axiosParams = "sk+canary:$,value%2F%2B%26%3D%5Bx%5D"; // what axios' params serializer sends
    expect(redactor.text(`GET /list?q=${axiosParams}`)).toBe(`GET /list?q=${REDACTED}`);
  });

  it("redacts property names as well as values", () => {
    const redactor = new Redactor();
    redactor.addSecret(value);
    expect(JSON.stringify(redactor.value({ [value]: 1, nested: { [`k ${value}`]: value } }))).not.toContain("canary");
  });

  it("filters a pinned secret at every log level", () => {
    const lines: string[] = [];
    const record = (level: string) => (message: string, fields?: Record<string, unknown>) => lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
    const redactor = new Redactor();
    redactor.addSecret(value);
    const logger = redactingLogger({ debug: record("debug"), info: record("info"), warn: record("warn"), error: record("error") }, redactor);
    for (const level of ["debug", "info", "warn", "error"] as const) logger[level](`${level} ${value}`, { url: `/x/${encodeURIComponent(value)}`, [value]: [value] });
    expect(lines).toHaveLength(4);
    expect(lines.join("\n")).not.toContain("canary");
    expect(lines.every((line) => line.includes(REDACTED))).toBe(true);
  });
});
