import { readFileSync } from "node:fs";

/**
 * Parses a dotenv file: `KEY=VALUE` lines, an optional `export ` prefix, `#` comments, values in
 * single quotes (taken as is) or double quotes (`\n`, `\t`, `\"`, `\\` unescaped). One line per
 * entry. Errors name the line, never its value: the file holds secrets.
 *
 * @throws {Error} on a line that is not an entry, a comment or blank.
 */
export function parseDotenv(text: string, source: string): Record<string, string> {
  const entries: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line);
    const name = match?.[1];
    const value = match?.[2] === undefined ? undefined : parseValue(match[2]);
    if (name === undefined || value === undefined) {
      throw new Error(`${source}:${index + 1}: expected KEY=VALUE (a quoted value must be closed on the same line)`);
    }
    entries[name] = value;
  });
  return entries;
}

// Returns undefined for a malformed value, so the caller reports the line.
function parseValue(raw: string): string | undefined {
  const quote = raw[0];
  if (quote !== '"' && quote !== "'") return raw.replace(/\s+#.*$/, "").trim();
  let value = "";
  for (let i = 1; i < raw.length; i++) {
    const char = raw[i];
    if (char === quote) {
      const rest = raw.slice(i + 1).trim();
      return rest === "" || rest.startsWith("#") ? value : undefined;
    }
    if (quote === '"' && char === "\\" && i + 1 < raw.length) {
      i++;
      const escaped = raw[i] ?? "";
      value += escaped === "n" ? "\n" : escaped === "t" ? "\t" : escaped === "r" ? "\r" : escaped;
      continue;
    }
    value += char;
  }
  return undefined;
}

/** Reads and parses a secrets file; undefined when no file is given. */
export function loadSecretsFile(file: string | undefined): Record<string, string> | undefined {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(`cannot read the secrets file ${file} (${(error as NodeJS.ErrnoException).code ?? "unknown error"})`);
  }
  return parseDotenv(text, file);
}
