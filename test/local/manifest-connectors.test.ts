// The manifest's connectors section (docs/protocol.md, "The manifest"): defaults filled, the path
// templates' parameters read, and every bad setting refused at once, each named where it is.
import { describe, expect, it } from "vitest";
import { loadManifest, MANIFEST_DEFAULTS, type ManifestObject } from "../../local/manifest.js";
import { FlowConfigError } from "../../src/index.js";

/** The problems of the FlowConfigError that loading `input` throws. */
function problems(input: unknown): string[] {
  let error: unknown;
  try {
    loadManifest(input as ManifestObject);
  } catch (thrown) {
    error = thrown;
  }
  expect(error).toBeInstanceOf(FlowConfigError);
  return [...(error as FlowConfigError).problems];
}

const ACTION = { a: { method: "GET", path: "/" } };
const PATH_PROBLEM = 'must be a path template starting with "/", without a query or spaces, e.g. "/repos/{owner}/{repo}"';

describe("a good connector", () => {
  it("fills the defaults: the id as name, no auth, no headers, timeoutSeconds 30, the base URL without a trailing slash", () => {
    const connector = loadManifest({ connectors: { plain: { type: "http", baseUrl: "https://api.example.test/v2/", actions: ACTION } } }).connectors.get("plain");
    expect(connector).toEqual({
      id: "plain",
      type: "http",
      name: "plain",
      description: null,
      baseUrl: "https://api.example.test/v2",
      auth: null,
      headers: {},
      actions: new Map([["a", { name: "a", method: "GET", path: "/", pathParams: [], description: null }]]),
      timeoutSeconds: MANIFEST_DEFAULTS.connectorTimeoutSeconds,
    });
    expect(MANIFEST_DEFAULTS.connectorTimeoutSeconds).toBe(30);
  });

  it("keeps what is written, upper-cases methods and reads each template's parameters in order", () => {
    const manifest = loadManifest({
      connectors: {
        github: {
          type: "http",
          name: "GitHub",
          description: "Issues",
          baseUrl: "https://api.github.test",
          auth: { secret: "GITHUB_TOKEN", prefix: "token " },
          headers: { "X-GitHub-Api-Version": "2022-11-28" },
          actions: {
            getIssue: { method: "get", path: "/repos/{owner}/{repo}/issues/{number}", description: "One issue" },
            "create-issue": { method: "POST", path: "/repos/{owner}/{repo}/issues" },
          },
          timeoutSeconds: 600,
        },
      },
    });
    const github = manifest.connectors.get("github")!;
    expect(github).toMatchObject({ name: "GitHub", description: "Issues", auth: { secret: "GITHUB_TOKEN", header: "Authorization", prefix: "token " }, headers: { "X-GitHub-Api-Version": "2022-11-28" }, timeoutSeconds: 600 });
    expect(github.actions.get("getIssue")).toEqual({ name: "getIssue", method: "GET", path: "/repos/{owner}/{repo}/issues/{number}", pathParams: ["owner", "repo", "number"], description: "One issue" });
    expect(github.actions.get("create-issue")!.pathParams).toEqual(["owner", "repo"]);
  });

  it("defaults the prefix to 'Bearer ' for the Authorization header (in any case) and to nothing for another header", () => {
    const manifest = loadManifest({
      connectors: {
        bearer: { type: "http", baseUrl: "https://x.test", auth: { secret: "A" }, actions: ACTION },
        lower: { type: "http", baseUrl: "https://x.test", auth: { secret: "A", header: "authorization" }, actions: ACTION },
        keyed: { type: "http", baseUrl: "https://x.test", auth: { secret: "A", header: "X-Api-Key" }, actions: ACTION },
        empty: { type: "http", baseUrl: "https://x.test", auth: { secret: "A", prefix: "" }, actions: ACTION },
      },
    });
    expect(manifest.connectors.get("bearer")!.auth).toEqual({ secret: "A", header: "Authorization", prefix: "Bearer " });
    expect(manifest.connectors.get("lower")!.auth).toEqual({ secret: "A", header: "authorization", prefix: "Bearer " });
    expect(manifest.connectors.get("keyed")!.auth).toEqual({ secret: "A", header: "X-Api-Key", prefix: "" });
    expect(manifest.connectors.get("empty")!.auth).toEqual({ secret: "A", header: "Authorization", prefix: "" });
  });
});

describe("a bad connector", () => {
  it("is refused with every problem of its own settings named", () => {
    expect(problems({ connectors: { c: { type: "grpc", baseUrl: "ftp://x.test", actions: {}, extra: 1, timeoutSeconds: 0 } } }).sort()).toEqual(
      [
        "connectors.c.extra: not a known setting; the settings are type, baseUrl, auth, headers, actions, name, description, timeoutSeconds",
        'connectors.c.type: must be "http" (the one connector type of flow-local)',
        "connectors.c.baseUrl: must be an http(s) URL without credentials, query or fragment",
        'connectors.c.actions: must name at least one action: { "name": { "method": "GET", "path": "/..." } }',
        "connectors.c.timeoutSeconds: must be a whole number from 1 to 600, got 0",
      ].sort(),
    );
    expect(problems({ connectors: { c: { type: "http", baseUrl: "https://x.test", actions: ACTION, timeoutSeconds: 601 } } })).toEqual(["connectors.c.timeoutSeconds: must be a whole number from 1 to 600, got 601"]);
  });

  it("refuses a bad id, a connector that is not an object, and actions that are not an object", () => {
    expect(problems({ connectors: { "bad id!": { type: "http", baseUrl: "https://x.test", actions: ACTION } } })).toEqual([
      "connectors.bad id!: the id must be 1 to 128 letters, digits, '_', '.' or '-', starting with a letter or digit",
    ]);
    expect(problems({ connectors: { c: "https://x.test" } })).toEqual(['connectors.c: must be { "type": "http", "baseUrl": ..., "actions": { ... } }']);
    expect(problems({ connectors: { c: { type: "http", baseUrl: "https://x.test", actions: [] } } })).toEqual([
      'connectors.c.actions: must name at least one action: { "name": { "method": "GET", "path": "/..." } }',
    ]);
  });

  it("refuses base URLs with credentials, a query or a fragment", () => {
    for (const baseUrl of ["https://user:pw@x.test", "https://x.test/api?v=1", "https://x.test/#top", "x.test", 42]) {
      expect(problems({ connectors: { c: { type: "http", baseUrl, actions: ACTION } } })).toEqual(["connectors.c.baseUrl: must be an http(s) URL without credentials, query or fragment"]);
    }
  });

  it("refuses a credential in place of a secret's name, in auth or in the fixed headers", () => {
    const found = problems({
      connectors: {
        c: {
          type: "http",
          baseUrl: "https://x.test",
          auth: { secret: "sk live 123!", header: "Bad Header", prefix: "a\nb", other: 1 },
          headers: { Authorization: "Bearer x", cookie: "c=1", "Proxy-Authorization": "Basic x", "X-Bad": 1, "X-Line": "a\r\nb", "X-Ok": "fine" },
          actions: ACTION,
        },
      },
    });
    expect(found.sort()).toEqual(
      [
        "connectors.c.auth.other: not a known setting; the settings are secret, header, prefix",
        "connectors.c.auth.secret: must be the name of the workspace secret holding the credential (the credential itself never goes in the manifest)",
        "connectors.c.auth.header: must be an HTTP header name",
        'connectors.c.auth.prefix: must be a short text without line breaks, e.g. "Bearer "',
        "connectors.c.headers.Authorization: credentials go in auth (a secret's name), never in the manifest",
        "connectors.c.headers.cookie: credentials go in auth (a secret's name), never in the manifest",
        "connectors.c.headers.Proxy-Authorization: credentials go in auth (a secret's name), never in the manifest",
        "connectors.c.headers.X-Bad: must be a header name with a text value",
        "connectors.c.headers.X-Line: must be a header name with a text value",
      ].sort(),
    );
    expect(problems({ connectors: { c: { type: "http", baseUrl: "https://x.test", auth: "GITHUB_TOKEN", actions: ACTION } } })).toEqual([
      'connectors.c.auth: must be { "secret": "SECRET_NAME", "header"?: "Authorization", "prefix"?: "Bearer " }',
    ]);
  });

  it("refuses bad action names, methods, paths and parameters", () => {
    const found = problems({
      connectors: {
        c: {
          type: "http",
          baseUrl: "https://x.test",
          actions: {
            "bad name!": { method: "GET", path: "/" },
            m: { method: "FETCH", path: "/" },
            rel: { method: "GET", path: "items" },
            q: { method: "GET", path: "/items?all=1" },
            s: { method: "GET", path: "/my items" },
            digit: { method: "GET", path: "/x/{1a}" },
            open: { method: "GET", path: "/x/{open" },
            str: "GET /x",
            extra: { method: "GET", path: "/x", description: 5, body: {} },
          },
        },
      },
    });
    expect(found.sort()).toEqual(
      [
        "connectors.c.actions.bad name!: an action name is 1 to 64 letters, digits, '_' or '-'",
        "connectors.c.actions.m.method: must be one of GET, POST, PUT, PATCH, DELETE",
        `connectors.c.actions.rel.path: ${PATH_PROBLEM}`,
        `connectors.c.actions.q.path: ${PATH_PROBLEM}`,
        `connectors.c.actions.s.path: ${PATH_PROBLEM}`,
        "connectors.c.actions.digit.path: a parameter is {name}: letters, digits and '_', starting with a letter",
        "connectors.c.actions.open.path: a parameter is {name}: letters, digits and '_', starting with a letter",
        'connectors.c.actions.str: must be { "method": "GET", "path": "/..." }',
        "connectors.c.actions.extra.body: not a known setting; the settings are method, path, description",
        "connectors.c.actions.extra.description: must be a string of at most 1000 characters",
      ].sort(),
    );
  });
});
