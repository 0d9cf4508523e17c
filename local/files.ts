import { renameSync, writeFileSync } from "node:fs";

/**
 * Writes `text` to `file` readable by its owner only, atomically: a reader sees the old content
 * or the new, never half of it. A fresh file is renamed into place because writeFileSync's mode
 * does not apply to a file that already exists.
 */
export function writePrivateFile(file: string, text: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, text, { mode: 0o600 });
  renameSync(temp, file);
}
