/** What a secret value is replaced with in kept logs and error messages. */
export const MASK = "[REDACTED]";

/** Values shorter than this are not masked: they would mangle ordinary text (as in the SDK's redactor). */
const MIN_LENGTH = 4;

/** How {@link maskSecrets} finds a value. */
export interface MaskOptions {
  /** Values shorter than this are left alone. @default 4 */
  minLength?: number;
  /** Also mask the value as percent-encoded (it may sit in a URL an upstream echoes). @default false */
  percentEncoded?: boolean;
}

/**
 * `text` with every value of `values` (at least 4 characters unless told), and its JSON-escaped
 * form, replaced by {@link MASK}; longer values first, so one that contains another is masked whole.
 */
export function maskSecrets(text: string, values: readonly string[], options: MaskOptions = {}): string {
  if (text === "") return text;
  const forms = new Set<string>();
  for (const value of values) {
    if (value === "" || value.length < (options.minLength ?? MIN_LENGTH)) continue;
    forms.add(value);
    forms.add(JSON.stringify(value).slice(1, -1));
    if (options.percentEncoded) forms.add(encodeURIComponent(value));
  }
  let out = text;
  for (const form of [...forms].sort((a, b) => b.length - a.length)) if (out.includes(form)) out = out.split(form).join(MASK);
  return out;
}

/** The longest text {@link maskSecrets} replaces for `values`, in bytes: the margin a log tail keeps beyond its size. */
export function maskMargin(values: readonly string[]): number {
  return values.reduce((longest, value) => Math.max(longest, Buffer.byteLength(JSON.stringify(value))), 0);
}
