// Every public method of codeBlocks, jobs and workflows, with good and bad arbitraries per
// argument, the wait bounds (`timeoutMs`, `signal`) of waitForExecution, jobs.wait and waitForRun
// included.
import fc from "fast-check";
import type { FlowSDK } from "../../src/index.js";
import {
  badInt,
  badListParams,
  badName,
  badNumber,
  badStringArg,
  badKey,
  badWaitParams,
  goodWaitParams,
  notJson,
  notObject,
  notStringNorNullish,
  requestOptions as options,
  tooLong,
  withControlChar,
  withField,
  withLoneSurrogate,
  withUnknownKey,
} from "./arbitraries.js";
import { CANARY, method, type MethodUnderTest } from "./harness.js";

/** A manifest id (a code block, workflow or job type): a letter or digit, then letters, digits, `_ . -`, up to 128. */
const resourceId = { good: fc.constantFrom("hello", "send-report", "0.v_2"), bad: badStringArg(badName(128, ["_underscore-first", "x".repeat(129)])) };

/** An id the platform made (an execution, a job, a run): 1 to 256 characters, no control characters, well-formed, not `.` or `..`. */
const platformId = { good: fc.constantFrom("exe_0123456789abcdef01234567", "job_1", "run é %"), bad: badStringArg(badKey(256)) };

/** Any JSON value a block may receive, or nothing. */
const goodInput = fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 2 }));

/** Wait bounds: refused when bad, not an object (null and arrays too), or with an unknown key such as a misspelt `timeoutMS`. */
const waitParams = { good: goodWaitParams, bad: fc.oneof(badWaitParams, notObject) };

const codeBlocks: MethodUnderTest[] = [
  method("codeBlocks.list", "page", (f, a) => f.codeBlocks.list(a[0] as never, a[1] as never), { good: fc.constantFrom(undefined, {}, { limit: 1 }), bad: badListParams() }, options),
  method("codeBlocks.get", "promise", (f, a) => f.codeBlocks.get(a[0] as string, a[1] as never), resourceId, options),
  method(
    "codeBlocks.invoke",
    "promise",
    (f, a) => f.codeBlocks.invoke(a[0] as string, a[1], a[2] as never, a[3] as never),
    resourceId,
    { good: goodInput, bad: notJson },
    {
      good: fc.constantFrom(undefined, {}, { wait: false }, { wait: false, timeoutSeconds: 86_400 }, { timeoutMs: 60_000, signal: new AbortController().signal }),
      bad: fc.oneof(
        notObject,
        withUnknownKey(fc.constant({ wait: false })),
        fc.tuple(fc.constantFrom("id", "input"), fc.jsonValue({ maxDepth: 1 })).map(([key, value]) => ({ wait: false, [key]: value })),
        withField(fc.constant({ wait: false }), "timeoutSeconds", badInt(1, 86_400)),
        withField(fc.constant({}), "wait", fc.oneof(fc.constantFrom("false", 0, 1, null), notStringNorNullish.filter((v) => typeof v !== "boolean"))),
        // The wait bounds are checked before the execution starts, also with wait: false.
        fc.tuple(badWaitParams, fc.constantFrom<object>({}, { wait: false }, { wait: true })).map(([bounds, wait]) => ({ ...wait, ...bounds })),
      ),
    },
    options,
  ),
  method("codeBlocks.getExecution", "promise", (f, a) => f.codeBlocks.getExecution(a[0] as string, a[1] as never), platformId, options),
  method("codeBlocks.waitForExecution", "promise", (f, a) => f.codeBlocks.waitForExecution(a[0] as string, a[1] as never, a[2] as never), platformId, waitParams, options),
];

const goodJob = { type: "send-report" };

const jobs: MethodUnderTest[] = [
  method(
    "jobs.submit",
    "promise",
    (f, a) => f.jobs.submit(a[0] as never, a[1] as never),
    {
      good: fc.constantFrom<unknown>(goodJob, { ...goodJob, payload: null, runAt: new Date(0), maxAttempts: 100 }, { ...goodJob, runAt: "2026-01-31T09:00:00+09:00" }),
      bad: fc.oneof(
        notObject,
        fc.constant({}),
        withUnknownKey(fc.constant(goodJob)),
        withField(fc.constant(goodJob), "type", resourceId.bad),
        withField(fc.constant(goodJob), "payload", notJson),
        withField(
          fc.constant(goodJob),
          "runAt",
          fc.oneof(fc.constantFrom<unknown>("2026-01-31", "2026-01-31T09:00:00", "tomorrow", "", CANARY, new Date(NaN), 0, {}), notStringNorNullish.filter((v) => !(v instanceof Date))),
        ),
        withField(fc.constant(goodJob), "maxAttempts", badInt(1, 100)),
      ),
    },
    options,
  ),
  method("jobs.get", "promise", (f, a) => f.jobs.get(a[0] as string, a[1] as never), platformId, options),
  method(
    "jobs.list",
    "page",
    (f, a) => f.jobs.list(a[0] as never, a[1] as never),
    {
      good: fc.constantFrom(undefined, {}, { type: "send-report", status: "failed", limit: 10 }),
      bad: badListParams({ type: resourceId.bad.filter((v) => v !== null && v !== undefined), status: fc.oneof(fc.constantFrom("done", "FAILED", "pending", ""), notStringNorNullish) }),
    },
    options,
  ),
  method("jobs.cancel", "promise", (f, a) => f.jobs.cancel(a[0] as string, a[1] as never), platformId, options),
  method("jobs.wait", "promise", (f, a) => f.jobs.wait(a[0] as string, a[1] as never, a[2] as never), platformId, waitParams, options),
  method("jobs.current", "promise", (f, a) => f.jobs.current(a[0] as never), options),
  method(
    "jobs.reportProgress",
    "promise",
    (f, a) => f.jobs.reportProgress(a[0] as number, a[1] as never, a[2] as never),
    { good: fc.constantFrom(0, 40, 99.5, 100), bad: fc.oneof(badNumber(0, 100), fc.constantFrom(null, undefined)) },
    {
      good: fc.constantFrom(undefined, "resized 40 of 100 images", "é 😀 %"),
      bad: fc.oneof(notStringNorNullish, fc.constant(""), withControlChar, withLoneSurrogate, tooLong(1000)),
    },
    options,
  ),
];

const workflows: MethodUnderTest[] = [
  method("workflows.list", "page", (f, a) => f.workflows.list(a[0] as never, a[1] as never), { good: fc.constantFrom(undefined, {}, { limit: 1000 }), bad: badListParams() }, options),
  method("workflows.get", "promise", (f, a) => f.workflows.get(a[0] as string, a[1] as never), resourceId, options),
  method("workflows.start", "promise", (f, a) => f.workflows.start(a[0] as string, a[1], a[2] as never), resourceId, { good: goodInput, bad: notJson }, options),
  method(
    "workflows.listRuns",
    "page",
    (f, a) => f.workflows.listRuns(a[0] as string, a[1] as never, a[2] as never),
    resourceId,
    {
      good: fc.constantFrom(undefined, {}, { status: "succeeded", limit: 5 }),
      bad: badListParams({ status: fc.oneof(fc.constantFrom("done", "skipped", "pending", ""), notStringNorNullish) }, 1000, { reserved: ["id"] }),
    },
    options,
  ),
  method("workflows.getRun", "promise", (f, a) => f.workflows.getRun(a[0] as string, a[1] as never), platformId, options),
  method("workflows.waitForRun", "promise", (f, a) => f.workflows.waitForRun(a[0] as string, a[1] as never, a[2] as never), platformId, waitParams, options),
  method("workflows.cancelRun", "promise", (f, a) => f.workflows.cancelRun(a[0] as string, a[1] as never), platformId, options),
];

/** Every codeBlocks, jobs and workflows method under test. */
export const COMPUTE_METHODS: readonly MethodUnderTest[] = [...codeBlocks, ...jobs, ...workflows];

/** The three long-poll waits, for the properties of their bounds. */
export const WAITS = {
  "codeBlocks.waitForExecution": (f: FlowSDK, id: string, params: unknown, opts: unknown) => f.codeBlocks.waitForExecution(id, params as never, opts as never),
  "jobs.wait": (f: FlowSDK, id: string, params: unknown, opts: unknown) => f.jobs.wait(id, params as never, opts as never),
  "workflows.waitForRun": (f: FlowSDK, id: string, params: unknown, opts: unknown) => f.workflows.waitForRun(id, params as never, opts as never),
} as const;
