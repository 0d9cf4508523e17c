import { createRequire } from "node:module";
import path from "node:path";

/**
 * `require(id)` for the ESM source run by tsx (the benches), which has no `require`: resolved from
 * the working directory. The shipped build is CommonJS and every module vitest runs has
 * `require`, so callers write a literal `require()` first (which bundlers see) and this second.
 */
export function sourceRequire<T>(id: string): T {
  return createRequire(path.join(process.cwd(), "noop.js"))(id) as T;
}
