const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes a value for a POSIX shell; values that need no quotes stay as they are. */
export function shellQuote(value: string): string {
  return SAFE.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `export NAME=value` lines, one per entry, for `eval` or a `.env`-style copy. */
export function exportLines(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .map(([name, value]) => `export ${name}=${shellQuote(value)}\n`)
    .join("");
}
