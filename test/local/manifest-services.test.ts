// The manifest's services section: a file service (started by the platform) or a URL service
// (already running), its defaults, paths resolved against the manifest's directory, and every
// problem of a bad one named at once; a reload that adds, removes and changes services.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { loadManifest, MANIFEST_DEFAULTS, type ManifestObject } from "../../local/manifest.js";
import { startTestPlatform } from "../../local/testing.js";
import { FlowConfigError, type ServiceInfo } from "../../src/index.js";

const FIXTURES = fileURLToPath(new URL("../fixtures/services/", import.meta.url));
const fixture = (file: string): string => path.join(FIXTURES, file);

const scratch = mkdtempSync(path.join(os.tmpdir(), "flow-manifest-services-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The problems loading `input` is refused with. */
function problems(input: unknown): string[] {
  let error: unknown;
  try {
    loadManifest(input as ManifestObject);
  } catch (thrown) {
    error = thrown;
  }
  expect(error).toBeInstanceOf(FlowConfigError);
  return [...(error as FlowConfigError).problems].sort();
}

describe("manifest services", () => {
  it("reads a file service and a URL service, with defaults", () => {
    const manifest = loadManifest({
      services: {
        greeter: { file: fixture("greeter.ts"), name: "Greeter", description: "Says hello", env: { GREETING: "Hi" }, startTimeoutSeconds: 5 },
        billing: { url: "https://billing.example.com/api/" },
      },
    });
    expect(manifest.services.get("greeter")).toEqual({
      id: "greeter",
      name: "Greeter",
      description: "Says hello",
      url: null,
      file: fixture("greeter.ts"),
      cwd: process.cwd(),
      env: { GREETING: "Hi" },
      startTimeoutSeconds: 5,
    });
    expect(manifest.services.get("billing")).toEqual({
      id: "billing",
      name: "billing",
      description: null,
      url: "https://billing.example.com/api",
      file: null,
      cwd: process.cwd(),
      env: {},
      startTimeoutSeconds: MANIFEST_DEFAULTS.startTimeoutSeconds,
    });
  });

  it("resolves a service's file against the manifest file's directory, where its process runs", () => {
    const dir = mkdtempSync(path.join(scratch, "project-"));
    writeFileSync(path.join(dir, "svc.mjs"), "");
    const file = path.join(dir, "flow-local.json");
    writeFileSync(file, JSON.stringify({ services: { svc: { file: "svc.mjs" } } }));
    const service = loadManifest(file).services.get("svc")!;
    expect(service.file).toBe(path.join(dir, "svc.mjs"));
    expect(service.cwd).toBe(dir);
  });

  it("refuses a bad service with every problem named", () => {
    expect(
      problems({
        services: {
          both: { file: fixture("greeter.ts"), url: "http://127.0.0.1:1" },
          neither: { name: "Neither" },
          missing: { file: "no/such/file.ts" },
          wrongType: { file: fixture("greeter.ts"), env: { "1BAD": "x", AUTH_TOKEN: "y", PORT: "8080" }, startTimeoutSeconds: 0 },
          badUrl: { url: "ftp://example.com" },
          secretUrl: { url: "http://user:pw@example.com" },
          extra: { url: "http://example.com", port: 80 },
          notAnObject: "greeter.ts",
          "bad id": { url: "http://example.com" },
        },
      }),
    ).toEqual([
      "services.bad id: the id must be 1 to 128 letters, digits, '_', '.' or '-', starting with a letter or digit",
      "services.badUrl.url: must be an http(s) URL without credentials, query or fragment",
      'services.both: give either "file" (the platform starts it) or "url" (it runs already), not both',
      "services.extra.port: not a known setting; the settings are url, file, env, name, description, startTimeoutSeconds",
      `services.missing.file: no/such/file.ts does not exist (looked for ${path.resolve("no/such/file.ts")})`,
      'services.neither: give either "file" (the platform starts it) or "url" (it runs already), not neither',
      'services.notAnObject: must be { "file": ... } or { "url": ... }',
      "services.secretUrl.url: must be an http(s) URL without credentials, query or fragment",
      "services.wrongType.env.1BAD: not a valid environment variable name",
      "services.wrongType.env.AUTH_TOKEN: set by the platform for each service process; choose another name",
      "services.wrongType.env.PORT: set by the platform for each service process; choose another name",
      "services.wrongType.startTimeoutSeconds: must be a whole number from 1 to 600, got 0",
    ]);
  });

  it("refuses a name taken by another service's id or name", () => {
    expect(
      problems({
        services: {
          a: { url: "http://example.com", name: "Shop" },
          b: { url: "http://example.com", name: "Shop" },
          c: { url: "http://example.com", name: "a" },
        },
      }),
    ).toEqual([
      'services.b.name: "Shop" is already the name or id of service a; names are unique among services',
      'services.c.name: "a" is already the name or id of service a; names are unique among services',
    ]);
  });

  it("a reload starts added services, stops removed ones and restarts changed ones", async () => {
    const platform = await startTestPlatform({ manifest: { services: { one: { url: "http://127.0.0.1:9/a" } } } });
    try {
      const flow = platform.createFlow();
      const until = async (id: string, done: (service: ServiceInfo) => boolean): Promise<ServiceInfo> => {
        for (let i = 0; ; i++) {
          const service = await flow.services.get(id);
          if (done(service) || i > 2000) return service;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      };
      expect((await flow.services.get("one")).url).toBe("http://127.0.0.1:9/a");
      platform.reloadManifest({ services: { one: { url: "http://127.0.0.1:9/b" }, greeter: { file: fixture("greeter.ts") } } });
      expect((await flow.services.get("one")).url).toBe("http://127.0.0.1:9/b");
      const started = await until("greeter", (service) => service.status === "running");
      expect(started.status).toBe("running");
      const { pid } = (await flow.services.call<{ pid: number }>("greeter", { path: "/hello" })).body;
      // Changed: its process is stopped and a new one started.
      platform.reloadManifest({ services: { greeter: { file: fixture("greeter.ts"), env: { CHANGED: "1" } } } });
      await expect(flow.services.get("one")).rejects.toMatchObject({ status: 404 });
      const again = await until("greeter", (service) => service.status === "running");
      expect(again.status).toBe("running");
      const after = (await flow.services.call<{ pid: number }>("greeter", { path: "/hello" })).body;
      expect(after.pid).not.toBe(pid);
      expect(() => process.kill(pid, 0)).toThrow(); // the old one is gone
      // Removed: stopped.
      platform.reloadManifest({ services: {} });
      expect((await flow.services.list()).data).toEqual([]);
      await expect.poll(() => alive(after.pid), { timeout: 10_000 }).toBe(false);
    } finally {
      await platform.close();
    }
  }, 60_000);

  it("a service that never listens is stopped after startTimeoutSeconds and tried again", async () => {
    const platform = await startTestPlatform({ manifest: { services: { mute: { file: fixture("never-listens.mjs"), startTimeoutSeconds: 1 } } } });
    const flow = platform.createFlow();
    let service: ServiceInfo;
    do {
      await new Promise((resolve) => setTimeout(resolve, 50));
      service = await flow.services.get("mute");
    } while (service.lastError === null);
    expect(service.status).toBe("degraded");
    expect(service.lastError).toMatch(/^it did not accept connections on its PORT \(\d+\) within 1 s and was stopped; restarting in 1 s$/);
    await platform.close();
  }, 20_000);
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
