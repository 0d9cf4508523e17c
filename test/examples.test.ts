// Every example in examples/ runs to completion through `flow-local run` (the built CLI, as
// `npm start` uses it), so the README's examples stay true.
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";

const examples = readdirSync(new URL("../examples/", import.meta.url)).filter((file) => file.endsWith(".ts"));

/** What each example prints when it worked; a new example must add its line here. */
const EXPECTED: Record<string, RegExp> = {
  "hello.ts": /hello local-user: visit number 1 in org_local\/ws_local/,
  "custom-namespace.ts": /new-checkout before: false\nnew-checkout after: true/,
};

describe("examples", () => {
  it.each(examples)("%s runs against a fresh local platform", (file) => {
    const env = { ...process.env };
    for (const name of ["PLATFORM_API_URL", "GATEWAY_URL", "ORG_ID", "WORKSPACE_ID", "AUTH_TOKEN", "AUTH_TOKEN_FILE"]) delete env[name];
    const dataDir = `/nonexistent-flow-local-${process.pid}`; // no platform runs there: `run` starts its own
    const output = execFileSync(process.execPath, ["dist/cjs/local/cli.js", "run", `examples/${file}`, "--data", dataDir], { encoding: "utf8", env });
    expect(EXPECTED[file], `add the expected output of examples/${file} to EXPECTED`).toBeDefined();
    expect(output).toMatch(EXPECTED[file] ?? /^$/);
  });
});
