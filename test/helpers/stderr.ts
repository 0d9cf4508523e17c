// What this test file's process writes on stderr (the local platform's log lines), kept so a test
// can check that a credential is in none of them; the text still goes through to the terminal.
import { vi } from "vitest";

/** Starts recording this process's stderr and returns the list it fills. */
export function recordStderr(): string[] {
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  vi.spyOn(process.stderr, "write").mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
    lines.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write);
  return lines;
}
