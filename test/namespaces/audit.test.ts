import { describe, expect, it } from "vitest";
import {
  FlowConnectionError,
  FlowPermissionError,
  FlowSDK,
  FlowValidationError,
  type AuditEvent,
  type AuditListParams,
  type AuditLogParams,
} from "../../src/index.js";
import { ManualClock } from "../../local/testing.js";
import { caught, flowWithToken, sharedPlatform } from "../helpers/flows.js";

// Events are dated by this clock, so a test knows each createdAt to the millisecond.
const clock = new ManualClock();
const { platform, flow, offline } = await sharedPlatform({ clock });

let counter = 0;
/** An id no other test uses, so filters by it see only this test's events. */
const unique = (label: string): string => `${label}-${++counter}-${Date.now().toString(36)}`;

async function all(params: AuditListParams): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  for await (const event of flow.audit.list(params)) events.push(event);
  return events;
}

describe("audit.log", () => {
  it("returns the stored event with id, fields, actor, requestId and createdAt", async () => {
    const resourceId = unique("invoice");
    const event = await flow.audit.log({ action: "invoice.paid", resourceType: "invoice", resourceId, details: { amount: 42, currency: "EUR" } });
    expect(event).toMatchObject({
      action: "invoice.paid",
      resourceType: "invoice",
      resourceId,
      details: { amount: 42, currency: "EUR" },
      actor: "local-user",
      executionId: null,
    });
    expect(event.id).toEqual(expect.any(String));
    expect(event.id).not.toBe("");
    expect(event.requestId).toMatch(/^req_/);
    expect(event.createdAt).toBe(new Date(clock.now()).toISOString());
    expect(await all({ resourceId })).toEqual([event]);
  });

  it("flow.log(action, type, id, details) records the same event as audit.log", async () => {
    const resourceId = unique("page");
    const event = await flow.log("visit", "page", resourceId, { visits: 3 });
    expect(event).toMatchObject({ action: "visit", resourceType: "page", resourceId, details: { visits: 3 }, actor: "local-user" });
    expect(await all({ resourceId })).toEqual([event]);
  });

  it("flow.log without details records an event", async () => {
    const resourceId = unique("nodetails");
    const event = await flow.log("touch", "thing", resourceId);
    expect(event).toMatchObject({ action: "touch", resourceType: "thing", resourceId });
  });

  it("carries the X-Request-Id of the bound request context", async () => {
    const event = await flow.runWithRequestContext({ headers: { "X-Request-Id": "req-abc" } }, () =>
      flow.log("ctx", "page", unique("reqid")),
    );
    expect(event.requestId).toBe("req-abc");
  });

  it("carries REQUEST_ID from the configuration when no context is bound", async () => {
    const configured = platform.createFlow({ requestId: "req-cfg" });
    expect((await configured.log("cfg", "page", unique("reqcfg"))).requestId).toBe("req-cfg");
  });

  it("carries the execution id of the bound context", async () => {
    const event = await flow.runWithRequestContext({ execution: { id: "exe_1" } }, () => flow.log("ctx", "page", unique("exe")));
    expect(event.executionId).toBe("exe_1");
  });

  it("carries EXECUTION_ID from the configuration", async () => {
    const configured = platform.createFlow({ executionId: "exe_cfg" });
    expect((await configured.log("cfg", "page", unique("execfg"))).executionId).toBe("exe_cfg");
  });
});

describe("audit.list", () => {
  it("filters by resourceType and by resourceId", async () => {
    const type = unique("type");
    const a = await flow.log("x", type, "a");
    const b = await flow.log("x", type, "b");
    await flow.log("x", unique("other-type"), "a");
    expect((await flow.audit.list({ resourceType: type })).data).toEqual([a, b]);
    expect((await flow.audit.list({ resourceType: type, resourceId: "b" })).data).toEqual([b]);
  });

  it("filters by since, given as a Date or as an ISO string, keeping an event logged at since itself", async () => {
    const resourceId = unique("since");
    const early = await flow.log("early", "clock", resourceId);
    clock.advance(1);
    const cut = new Date(clock.now());
    const late = await flow.log("late", "clock", resourceId);
    expect(late.createdAt).toBe(cut.toISOString());
    expect(await all({ resourceId, since: cut })).toEqual([late]);
    expect(await all({ resourceId, since: cut.toISOString() })).toEqual([late]);
    expect(await all({ resourceId, since: new Date(Date.parse(early.createdAt) - 1000) })).toEqual([early, late]);
  });

  it("pages oldest first: awaiting gives the first page, for await gives every event", async () => {
    const resourceType = unique("paged");
    const logged: AuditEvent[] = [];
    for (let i = 0; i < 7; i++) logged.push(await flow.log("step", resourceType, `r${i}`, { i }));

    const first = await flow.audit.list({ resourceType, limit: 3 });
    expect(first.data).toEqual(logged.slice(0, 3));
    expect(first.nextCursor).toEqual(expect.any(String));

    const sizes: number[] = [];
    for await (const page of first.pages()) sizes.push(page.data.length);
    expect(sizes).toEqual([3, 3, 1]);

    const every = await all({ resourceType, limit: 3 });
    expect(every.map((e) => e.details?.["i"])).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(every).toEqual(logged);
  });
});

describe("audit validation, before any request", () => {
  it("the offline instance used below really fails once a request is sent", async () => {
    expect(await caught(() => offline.log("a", "b", "c"))).toBeInstanceOf(FlowConnectionError);
  });

  const cases: Array<{ name: string; call: (f: FlowSDK) => unknown; path: string }> = [
    {
      name: "a missing action",
      call: (f) => f.audit.log({ resourceType: "page", resourceId: "home" } as unknown as AuditLogParams),
      path: "action",
    },
    { name: "an empty action", call: (f) => f.log("", "page", "home"), path: "action" },
    { name: "an empty resourceId", call: (f) => f.log("visit", "page", ""), path: "resourceId" },
    {
      name: "details that are a string",
      call: (f) => f.log("visit", "page", "home", "oops" as unknown as Record<string, unknown>),
      path: "details",
    },
    {
      name: "details that are an array",
      call: (f) => f.log("visit", "page", "home", [1, 2] as unknown as Record<string, unknown>),
      path: "details",
    },
    { name: "since that is not ISO 8601", call: (f) => f.audit.list({ since: "31/01/2026" }), path: "since" },
    { name: "since that is an invalid Date", call: (f) => f.audit.list({ since: new Date("not a date") }), path: "since" },
    { name: "list limit 0", call: (f) => f.audit.list({ limit: 0 }), path: "limit" },
    { name: "log params that are null (was a TypeError)", call: (f) => f.audit.log(null as unknown as AuditLogParams), path: "" },
    { name: "log without params", call: (f) => f.audit.log(undefined as unknown as AuditLogParams), path: "action" },
    { name: "list params that are null (was a TypeError)", call: (f) => f.audit.list(null as never), path: "" },
    { name: "list params that are a Date", call: (f) => f.audit.list(new Date(0) as never), path: "" },
    { name: "a list cursor with a lone surrogate", call: (f) => f.audit.list({ cursor: "\udfff" }), path: "cursor" },
  ];

  it.each(cases)("refuses $name with FlowValidationError naming $path", async ({ call, path }) => {
    const error = await caught(() => call(offline));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((i) => i.path)).toContain(path);
  });
});

describe("audit scopes", () => {
  it("a token without audit:write cannot log (403 missing_scope)", async () => {
    const reader = flowWithToken(platform, await platform.mintToken({ scopes: ["audit:read"] }));
    const error = await caught(() => reader.log("visit", "page", unique("noscope")));
    expect(error).toBeInstanceOf(FlowPermissionError);
    expect(error).toMatchObject({ status: 403, code: "missing_scope" });
  });

  it("audit:write does not grant audit:read", async () => {
    const writer = flowWithToken(platform, await platform.mintToken({ scopes: ["audit:write"] }));
    const resourceId = unique("writeonly");
    await writer.log("visit", "page", resourceId);
    expect(await caught(() => writer.audit.list({ resourceId }))).toMatchObject({ status: 403, code: "missing_scope" });
    expect((await flow.audit.list({ resourceId })).data).toHaveLength(1);
  });
});
