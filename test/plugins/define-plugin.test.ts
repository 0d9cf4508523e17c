import type { AxiosInstance } from "axios";
import { describe, expect, it } from "vitest";
import { sharedPlatform } from "../helpers/flows.js";
import {
  callConfig,
  definePlugin,
  inject,
  injectable,
  FlowConfigError,
  StateNamespace,
  TOKENS,
  workspacePath,
  type FlowConfig,
  type FlowLogger,
  type RequestOptions,
} from "../../src/index.js";

/** A plugin namespace as a user would write one: its dependencies come from the container. */
@injectable()
class NotesNamespace {
  constructor(
    @inject(TOKENS.PlatformHttp) private readonly http: AxiosInstance,
    @inject(TOKENS.Config) private readonly config: FlowConfig,
  ) {}

  async save(id: string, text: string, options?: RequestOptions): Promise<number> {
    const response = await this.http.put<{ version: number }>(workspacePath(this.config, "state", `note:${id}`), { value: text }, callConfig(options));
    return response.data.version;
  }

  async echoPath(): Promise<string> {
    return (await this.http.get<{ path: string }>("/v1/_echo/notes")).data.path;
  }
}

@injectable()
class LoudState {
  async get(): Promise<string> {
    return "from the plugin";
  }
}

const { platform } = await sharedPlatform();

describe("plugins", () => {
  it("adds a namespace that uses the instance's own HTTP client, auth and config", async () => {
    const notes = definePlugin({ name: "notes", namespaces: { notes: NotesNamespace } });
    const flow = platform.createFlow({ plugins: [notes] });
    expect(await flow.notes.save("n1", "hello")).toBe(1);
    expect(await flow.state.get("note:n1")).toBe("hello");
    expect(await flow.notes.echoPath()).toBe("/v1/_echo/notes");
    expect(flow.notes).toBe(flow.notes);
    expect(Object.keys(flow)).toContain("notes");
  });

  it("fails create() on a collision with a built-in namespace, naming both sides", () => {
    const clash = definePlugin({ name: "clash", namespaces: { state: LoudState } });
    expect(() => platform.createFlow({ plugins: [clash] })).toThrow(FlowConfigError);
    expect(() => platform.createFlow({ plugins: [clash] })).toThrow(/plugin "clash": namespace "state" is already provided by the built-in namespaces/);
  });

  it("fails create() on a collision between two plugins", () => {
    const a = definePlugin({ name: "a", namespaces: { notes: NotesNamespace } });
    const b = definePlugin({ name: "b", namespaces: { notes: NotesNamespace } });
    expect(() => platform.createFlow({ plugins: [a, b] })).toThrow(/plugin "b": namespace "notes" is already provided by plugin "a"/);
  });

  it("fails create() when a namespace takes the name of a facade member or the same plugin comes twice", () => {
    for (const name of ["close", "log", "config", "container", "then"]) {
      const bad = definePlugin({ name: `bad-${name}`, namespaces: { [name]: NotesNamespace } });
      expect(() => platform.createFlow({ plugins: [bad] })).toThrow(/is a FlowSDK member, not a namespace/);
    }
    const notes = definePlugin({ name: "notes", namespaces: { notes: NotesNamespace } });
    expect(() => platform.createFlow({ plugins: [notes, notes] })).toThrow(/given twice/);
  });

  it("replaces a built-in namespace when the plugin says it overrides it", async () => {
    const loud = definePlugin({ name: "loud", namespaces: { state: LoudState }, overrides: ["state"] });
    const flow = platform.createFlow({ plugins: [loud] });
    expect(await flow.state.get()).toBe("from the plugin");
  });

  it("rejects malformed plugins in definePlugin", () => {
    expect(() => definePlugin({ name: "" })).toThrow(FlowConfigError);
    expect(() => definePlugin({ name: "x", namespaces: { "not an identifier": NotesNamespace } })).toThrow(/must be a JavaScript identifier/);
  });

  it("registers a plugin's providers, and providers given to create() win over them", async () => {
    const lines: string[] = [];
    const pluginLogger: FlowLogger = { debug: (m) => lines.push(`plugin:${m}`), info: () => {}, warn: () => {}, error: () => {} };
    const userLogger: FlowLogger = { debug: (m) => lines.push(`user:${m}`), info: () => {}, warn: () => {}, error: () => {} };
    const logging = definePlugin({ name: "logging", providers: [{ provide: TOKENS.Logger, useValue: pluginLogger }] });

    await platform.createFlow({ plugins: [logging] }).state.get("p1");
    expect(lines.some((l) => l.startsWith("plugin:request"))).toBe(true);

    lines.length = 0;
    await platform.createFlow({ plugins: [logging], providers: [{ provide: TOKENS.Logger, useValue: userLogger }] }).state.get("p2");
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.startsWith("user:"))).toBe(true);
  });
});

describe("provider overrides", () => {
  it("replace a namespace class with a value", async () => {
    const fakeState = { get: async () => "fake" } as unknown as StateNamespace;
    const flow = platform.createFlow({ providers: [{ provide: StateNamespace, useValue: fakeState }] });
    expect(flow.state).toBe(fakeState);
    expect(await flow.state.get("anything")).toBe("fake");
  });

  it("replace a token with a factory or a class, built once per instance", () => {
    let built = 0;
    const flow = platform.createFlow({
      providers: [{ provide: TOKENS.Config, useFactory: () => (built++, { ...platform.createFlow().config, orgId: "org_factory" }) }],
    });
    expect(flow.config.orgId).toBe("org_factory");
    expect(flow.config).toBe(flow.config);
    expect(built).toBe(1);

    @injectable()
    class CountingState {
      async get(): Promise<number> {
        return 42;
      }
    }
    const withClass = platform.createFlow({ providers: [{ provide: StateNamespace, useClass: CountingState }] });
    expect(withClass.state).toBeInstanceOf(CountingState);
    expect(withClass.state).toBe(withClass.state);
  });

  it("replace the token provider", async () => {
    let asked = 0;
    const flow = platform.createFlow({
      authToken: "stale-token",
      providers: [{ provide: TOKENS.TokenProvider, useValue: () => (asked++, platform.mintToken()) }],
    });
    await flow.auth.whoami();
    expect(asked).toBe(1);
  });

  it("replace the HTTP client, for unit tests that need no server", async () => {
    const requests: string[] = [];
    const fakeHttp = {
      get: async (url: string) => {
        requests.push(url);
        return { status: 200, data: { key: "k", value: "v", version: 1, expiresAt: null, updatedAt: "" } };
      },
    } as unknown as AxiosInstance;
    const flow = platform.createFlow({ providers: [{ provide: TOKENS.PlatformHttp, useValue: fakeHttp }] });
    expect(await flow.state.get("k")).toBe("v");
    expect(requests).toEqual(["/v1/orgs/org_local/workspaces/ws_local/state/k"]);
  });
});
