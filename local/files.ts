import { randomBytes } from "node:crypto";
import { closeSync, openSync, renameSync, rmSync, writeFileSync } from "node:fs";

/**
 * Writes `text` to `file` readable by its owner only, atomically: a reader sees the old content
 * or the new, never half of it. The text goes to a fresh temp file next to `file`, opened with
 * flag "wx" (never an existing file, nor a symlink planted there), which is then renamed into place.
 */
export function writePrivateFile(file: string, text: string): void {
  // A random part: a temp file left by a crash under a reused pid does not block later writes.
  const temp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  const fd = openSync(temp, "wx", 0o600);
  try {
    try {
      writeFileSync(fd, text);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true }); // ours: "wx" created it
    throw error;
  }
}
