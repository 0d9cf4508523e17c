// The other side of the bad-input properties: input that is valid but unusual (unicode and emoji,
// percent signs, spaces and slashes in keys and paths, empty strings, null payloads, the largest
// accepted values) is not refused, and comes back as given, from the real in-process platform.
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sharedPlatform } from "../helpers/flows.js";
import { SEED } from "./harness.js";

const echo = fileURLToPath(new URL("../fixtures/code-blocks/echo.mjs", import.meta.url));
const { flow } = await sharedPlatform({
  manifest: {
    codeBlocks: { echo },
    jobs: { "send-report": { codeBlock: "echo" } },
    workflows: { onboard: { steps: [{ id: "only", codeBlock: "echo" }] } },
  },
});

let counter = 0;
/** A prefix no other run uses, so runs of a property do not see each other's keys. */
const unique = (): string => `run${++counter}-`;

/** Unusual but valid text: unicode graphemes (emoji included), percent signs, spaces, slashes, `?`, `#` and dots. */
const unusualText = fc
  .array(fc.oneof(fc.string({ unit: "grapheme", minLength: 1, maxLength: 4 }), fc.constantFrom("%", "%25", "%2e%2e", "%2F", "/", " ", "?x=1", "#frag", "...", "😀", "é", "\u00a0", "𝄞")), { minLength: 1, maxLength: 6 })
  .map((parts) => parts.join(""))
  // eslint-disable-next-line no-control-regex
  .filter((text) => !/[\u0000-\u001f\u007f]/.test(text));

/** `depth` arrays, each inside the next: `depth` levels of nesting, as the SDK counts them. */
function nested(depth: number): unknown {
  let value: unknown = "bottom";
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe("state takes unusual keys and values", () => {
  it("a key of unicode, emoji, percent signs, spaces and slashes round-trips, and list finds it by prefix", async () => {
    await fc.assert(
      fc.asyncProperty(unusualText, fc.jsonValue({ maxDepth: 2 }), async (suffix, value) => {
        const prefix = unique();
        const key = `${prefix}${suffix}`;
        const expected: unknown = JSON.parse(JSON.stringify(value)); // -0 travels as 0
        expect((await flow.state.set(key, value)).key).toBe(key);
        expect(await flow.state.get(key)).toEqual(expected);
        expect((await flow.state.list({ prefix })).data.map((entry) => entry.key)).toEqual([key]);
      }),
      { seed: SEED, numRuns: 30 },
    );
  });

  it("an empty string value is stored, not refused or dropped", async () => {
    const key = `${unique()}empty`;
    await flow.state.set(key, "");
    expect(await flow.state.getWithVersion(key)).toMatchObject({ key, value: "", version: 1 });
  });

  it("a value nested exactly 100 levels deep, the most accepted, is stored", async () => {
    const key = `${unique()}deep`;
    await flow.state.set(key, nested(100));
    expect(await flow.state.get(key)).toEqual(nested(100));
  });

  it("increment takes 0, negative and fractional steps", async () => {
    const key = `${unique()}count`;
    expect(await flow.state.increment(key, 0)).toBe(0);
    expect(await flow.state.increment(key, -2.5)).toBe(-2.5);
    expect(await flow.state.increment(key, 0.5)).toBe(-2);
  });
});

describe("request options at their limits are accepted", () => {
  it("any idempotency key of 1 to 255 printable ASCII characters, with the longest timeout and a custom header", async () => {
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[\x21-\x7e]{1,255}$/), async (idempotencyKey) => {
        // One key per idempotency key: a repeat of the key then repeats the same request.
        const key = `idem:${idempotencyKey}`;
        const entry = await flow.state.set(key, "v", {}, { idempotencyKey, timeoutMs: 3_600_000, headers: { "x-unusual": "yes" } });
        expect(entry).toMatchObject({ key, value: "v" });
      }),
      { seed: SEED, numRuns: 25 },
    );
  });

  it("lists take a limit of 1 and of 1000", async () => {
    const prefix = unique();
    await flow.state.set(`${prefix}a`, 1);
    await flow.state.set(`${prefix}b`, 2);
    expect((await flow.state.list({ prefix, limit: 1 })).data).toHaveLength(1);
    expect((await flow.state.list({ prefix, limit: 1000 })).data).toHaveLength(2);
  });
});

describe("storage takes unusual paths", () => {
  it("a path of unusual segments round-trips through put, head and get", async () => {
    const segment = unusualText.filter((text) => !text.includes("/") && !text.includes("\\") && text !== "." && text !== ".." && !/^[A-Za-z]:/.test(text));
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { minLength: 1, maxLength: 3 }), fc.string({ maxLength: 20 }), async (segments, content) => {
        const path = [unique().slice(0, -1), ...segments].join("/");
        expect((await flow.storage.put(path, content)).path).toBe(path);
        expect((await flow.storage.head(path)).size).toBe(Buffer.byteLength(content));
        expect((await flow.storage.get(path)).toString("utf8")).toBe(content);
      }),
      { seed: SEED, numRuns: 15 },
    );
  });
});

describe("memory and conversations take unusual text", () => {
  it("a memory scope with emoji and percent signs keeps its memories apart", async () => {
    const scope = `${unique()}user:42 😀 %25`;
    const record = await flow.memory.add({ content: "prefers dark mode", scope });
    expect((await flow.memory.list({ scope })).data.map((memory) => memory.id)).toEqual([record.id]);
  });

  it("a message with empty content is added", async () => {
    const thread = await flow.conversations.create({ title: "" });
    const message = await flow.conversations.addMessage(thread.id, { role: "assistant", content: "" });
    expect(message).toMatchObject({ seq: 1, content: "" });
  });
});

describe("jobs, workflows and code blocks take null input", () => {
  it("a job with a null payload is submitted, and keeps it", async () => {
    const job = await flow.jobs.submit({ type: "send-report", payload: null, runAt: "2999-01-31T09:00:00+09:00", maxAttempts: 100 });
    expect(job).toMatchObject({ type: "send-report", status: "scheduled", payload: null, maxAttempts: 100 });
    expect((await flow.jobs.cancel(job.id)).status).toBe("cancelled");
  });

  it("a code block invoked with null gets null and returns it", async () => {
    const execution = await flow.codeBlocks.invoke("echo", null, { timeoutMs: 60_000 });
    expect(execution).toMatchObject({ status: "succeeded", input: null, output: null });
  });

  it("a workflow started with null input is queued with it", async () => {
    const run = await flow.workflows.start("onboard", null);
    expect(run).toMatchObject({ workflowId: "onboard", input: null });
    const done = await flow.workflows.waitForRun(run.id, { timeoutMs: 60_000 });
    expect(done).toMatchObject({ status: "succeeded", output: { input: null, steps: {} } });
  });
});
