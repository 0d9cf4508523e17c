// The process that runs one code block. The platform (or `flow-sdk-local run`) starts it with the
// execution's environment and sends one `start` message over IPC; this file loads the block, calls
// its `default` (or `main`) function as `await fn(input, ctx)`, checks that the result is JSON and
// sends it back. A module without such a function is a script: importing it ran it, and its exit
// code says how it went.
//
// It loads nothing heavy up front: an empty block costs a node start and an import. The SDK is
// loaded on the first read of `ctx.flow`.
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { outputJson } from "./json-output.js";
import type { CodeBlockContext } from "../../src/block.js";
import type { FlowSDK } from "../../src/flow-sdk.js";
import type { ChildMessage, FailureMessage, ParentMessage, StartMessage } from "./messages.js";

type BlockFunction = (input: unknown, ctx: CodeBlockContext) => unknown;

// The block's signal exists from the start: a timeout or a cancel that comes while the module
// still loads must not be lost.
const controller = new AbortController();

/** Aborts the block's signal (once); the reason is a TimeoutError or an AbortError, as `AbortSignal.timeout` and `abort()` give. */
function stop(reason: "timeout" | "cancelled"): void {
  if (controller.signal.aborted) return;
  controller.abort(
    reason === "timeout" ? new DOMException("the execution ran out of time", "TimeoutError") : new DOMException("the execution was cancelled", "AbortError"),
  );
}

/** How long the block may take to end after its signal aborted because the parent went away. */
const ORPHAN_GRACE_MS = 2_000;
/** True once the module turned out to be a script (no function to call). */
let script = false;

/** The exit code of a process ended by SIGTERM, as the shell reports it. */
const SIGTERM_EXIT = 143;

/** How long closing the block's FlowSDK may take before the process exits anyway. */
const CLOSE_GRACE_MS = 1_000;

// This file's own path: it is the entry script (process.argv[1]) both when compiled (dist) and
// when run from source through tsx, where `require` and `__filename` may not exist.
const requireHere = createRequire(process.argv[1] ?? process.cwd() + "/");

// A real dynamic import, also in the CommonJS build: tsc would turn `import()` into require(),
// which cannot load an ES module (.mjs, or a block with top-level await).
const importModule = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<unknown>;

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

async function fail(code: FailureMessage["code"], error: unknown): Promise<never> {
  const name = error instanceof Error ? error.name : "Error";
  const message = error instanceof Error ? error.message : String(error);
  // Where it went wrong: the stack goes to the logs (the terminal, for flow-sdk-local run).
  if ((code === "block_error" || code === "load_error") && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  await send({ type: "failure", code, name, message });
  return exit();
}

/** Exits once what the block wrote to stdout and stderr has left the process: process.exit() would drop what a pipe has not taken yet. */
async function exit(): Promise<never> {
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write("", resolve))));
  return process.exit(0);
}

/** The block's function: `default`, or `main`, also when a CommonJS or transpiled module nests them under `default`. */
function blockFunction(module: Record<string, unknown>): BlockFunction | undefined {
  const nested = module["default"] as Record<string, unknown> | undefined;
  const candidates = [module["default"], module["main"], nested?.["default"], nested?.["main"]];
  return candidates.find((c): c is BlockFunction => typeof c === "function");
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return "";
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function start(message: StartMessage): Promise<void> {
  process.argv = [process.argv[0] ?? process.execPath, message.file, ...message.args];
  let module: Record<string, unknown>;
  try {
    module = (await importModule(pathToFileURL(message.file).href)) as Record<string, unknown>;
  } catch (error) {
    return fail("load_error", error);
  }
  const fn = blockFunction(module);
  if (!fn) {
    // A script: it ran as it was imported; from now on the IPC channel must not keep it alive,
    // and SIGTERM ends it, as it would any script (also one that came while it loaded).
    script = true;
    await send({ type: "script" });
    process.channel?.unref();
    if (controller.signal.aborted) process.exit(SIGTERM_EXIT);
    return;
  }

  let input: unknown;
  try {
    const text = message.inputFromStdin ? (await readStdin()).trim() : message.input;
    input = text === "" ? null : JSON.parse(text);
  } catch (error) {
    return fail("invalid_input", new Error(`the input is not JSON: ${(error as Error).message}`));
  }

  let flow: FlowSDK | undefined;
  const ctx: CodeBlockContext = {
    get flow() {
      if (!flow) {
        const sdk = requireHere("../../src/index.js") as { FlowSDK: typeof FlowSDK };
        flow = sdk.FlowSDK.create();
      }
      return flow;
    },
    executionId: message.executionId,
    signal: controller.signal,
    request: message.request,
  };

  let value: unknown;
  let threw: { error: unknown } | undefined;
  try {
    value = await fn(input, ctx);
  } catch (error) {
    threw = { error };
  }
  await Promise.race([flow?.close().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref())]);
  if (threw) return fail("block_error", threw.error);
  let output: string;
  try {
    output = outputJson(value);
  } catch (error) {
    return fail("invalid_output", error);
  }
  await send({ type: "result", output });
  await exit();
}

// SIGTERM (a job cancelled, the platform stopping) is a request to stop: the block's signal aborts,
// and it has until the platform's grace period ends to finish. Listened for from the start, so a
// cancel while the module loads is not lost; a script (no function to tell) ends, as by default.
process.on("SIGTERM", () => {
  stop("cancelled");
  if (script) process.exit(SIGTERM_EXIT);
});

process.on("message", (message: ParentMessage) => {
  if (message.type === "start") void start(message);
  else if (message.type === "cancel") stop(message.reason);
});
// The parent went away (the platform was killed): stop the block and leave, rather than live on as
// an orphan nobody will read.
process.once("disconnect", () => {
  stop("cancelled");
  setTimeout(() => {
    // With it, whatever the block started in its process group (the platform gives each
    // execution one); where the group is not its own (flow-sdk-local run), the process alone.
    try {
      process.kill(-process.pid, "SIGKILL");
    } catch {
      process.exit(1);
    }
  }, ORPHAN_GRACE_MS);
});
