// Every example in examples/ runs to completion through `flow-sdk-local run` (the built CLI, as
// `npm start` uses it), so the README's examples stay true.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";

const examples = readdirSync(new URL("../examples/", import.meta.url)).filter((file) => file.endsWith(".ts"));

/** What each example prints when it worked; a new example must add its line here. */
const EXPECTED: Record<string, RegExp> = {
  "hello.ts": /hello local-user: visit number 1 in org_local\/ws_local/,
  "custom-namespace.ts": /new-checkout before: false\nnew-checkout after: true/,
  "secrets.ts": /secrets in this workspace: STRIPE_API_KEY, WEBHOOK_SIGNING_SECRET\nStripe key is a test key; signing secret has 21 characters\nmissing: .*OPENAI_API_KEY/,
  "storage.ts": /storage: total sales 358, signed URL valid until \S+ serves 41 bytes/,
  "datasets.ts": /refused: rows\[1\]\.total must be a finite number\ndatasets: 4 orders, paid from 40 up by total: cy 120\.00, ada 42\.50, di 42\.50/,
  "vector.ts": /vector: 4 vectors, closest to sweet-and-crunchy is apple, closest yellow one is banana/,
  "memory.ts": /memory: "which editor mode does the user prefer\?" -> "The user prefers dark mode in the editor" \(score 0\.\d\d\)/,
  "code-blocks.ts":
    /block checkout: Checkout\nblock onboarding-step: One onboarding step\nblock quote: Price quote\nblock resize-image: Resize an image\nblock stock: Stock level\ncheckout succeeded: total 35\.64, one request id: true, quote's parent is checkout: true\nempty order failed: block_error RangeError: the block threw RangeError: an order needs at least one line\nqueued as (queued|running), then succeeded with total 35\.64/,
  "jobs.ts":
    /submitted 3 jobs: .*\ncat\.png: succeeded after 1 attempt\(s\), height 600, last progress 75% "resizing cat\.png"\ndog\.png: succeeded after 2 attempt\(s\), height 900, last progress 75% "resizing dog\.png"\nowl\.png: succeeded after 1 attempt\(s\), height 480, last progress 75% "resizing owl\.png"\na job for in an hour is scheduled; cancelled: cancelled/,
  "workflows.ts":
    /Onboard a customer: create-account -> send-welcome -> schedule-call\nrun succeeded\n  create-account: succeeded, saw \[\]\n  send-welcome: succeeded, saw \["create-account"\]\n  schedule-call: succeeded, saw \["create-account","send-welcome"\]/,
  "gateway.ts":
    /chat: You said: Hello, gateway \(6 tokens, stop\)\nstream: 6 chunks -> "You said: stream these five words"\ntool call: get_weather\(\{"city":"Paris"\}\)\nafter the tool: "Tool results:\\n- get_weather: \{\\"celsius\\":21\}"\nembed: 2 vectors of 65536 dimensions, cosine 0\.50/,
  "agents.ts":
    /agent Shop assistant: flow-local-chat, tools stock, price_order\nrun succeeded in 2 steps\n  stock: succeeded \{"sku":"MUG-1","inStock":12\}\n  price_order: succeeded \{"net":17,"vat":3\.4,"total":20\.4\}\nTool results:\n- stock: \{"sku":"MUG-1","inStock":12\}\n- price_order: \{"net":17,"vat":3\.4,"total":20\.4\}\nstream: run\.started, tool\.call, tool\.result, run\.completed -> "Tool results:\\n- stock: \{\\"sku\\":\\"CAP-3\\",\\"inStock\\":5\}"\nconversation: 9 messages \(user, assistant, tool, tool, assistant, user, assistant, tool, assistant\)/,
  "service-tokens.ts":
    /created report-reader \(state:read\), expires in an hour, secret starts with fst_\nas serviceToken:<id>: read report total 1234\.5\nwrite refused: 403 missing_scope\nlisted: report-reader, last used just now, secret shown: false\nrevoked: true; its next call: 401 invalid_token/,
  "connectors.ts":
    /connector Tickets: createTicket, getTicket, listTickets; credential from the secret TICKETS_API_KEY\ncreated ticket 1 in "web team" \(201\)\nopen tickets: Broken link on \/pricing\nmissing ticket: 502 connector_upstream_error, upstream status 404\nrefused: action: connector tickets has no action "closeTicket"; its actions are createTicket, getTicket, listTickets\nthe API got its key on 3 calls; the key was in no answer: true/,
  "services.ts":
    /service greeter: Greets people and counts how often\n200 from greeter: Hello, Ada!\nthe service saw request req_services_example from local-user\nits audit event: greet by service:greeter, request req_services_example\n404: \{"error":"no route GET \/nope"\}\nFlowNotFoundError: No service "billing" in this workspace \(by id or name\); the services are: greeter\ngreeter is running after 0 restarts/,
  "conversations.ts": /#1 system: You are a helpful support agent\.\n#2 user: Where is my order\?\n#3 assistant: It ships tomorrow\.\nconversation "Order help" had 3 messages and is deleted: true/,
};

describe("examples", () => {
  // The compute examples start a process per execution; on 2 busy cores that takes a while.
  it.each(examples)("%s runs against a fresh local platform", { timeout: 90_000 }, (file) => {
    const env = { ...process.env };
    for (const name of ["PLATFORM_API_URL", "GATEWAY_URL", "ORG_ID", "WORKSPACE_ID", "AUTH_TOKEN", "AUTH_TOKEN_FILE"]) delete env[name];
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "flow-example-")); // no platform runs there: `run` starts its own, kept in it
    onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }));
    // An example may come with demo secrets beside it: examples/<name>.env.
    const secretsFile = `examples/${file.replace(/\.ts$/, ".env")}`;
    const secrets = existsSync(secretsFile) ? ["--secrets-file", secretsFile] : [];
    // The code blocks, jobs and workflows the compute examples use are declared in examples/flow-local.json.
    const output = execFileSync(process.execPath, ["dist/cjs/local/cli.js", "run", `examples/${file}`, "--data", dataDir, "--manifest", "examples/flow-local.json", ...secrets], { encoding: "utf8", env });
    expect(EXPECTED[file], `add the expected output of examples/${file} to EXPECTED`).toBeDefined();
    expect(output).toMatch(EXPECTED[file] ?? /^$/);
  });
});
