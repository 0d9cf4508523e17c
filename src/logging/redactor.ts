/** What replaces a token or secret value in text. */
export const REDACTED = "[REDACTED]";

// Defence in depth for values the SDK never saw: bearer credentials and anything shaped like a JWT.
const BEARER = /\b(Bearer)\s+[A-Za-z0-9._~+/=-]+/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const MIN_SECRET_LENGTH = 4;
const MAX_REMEMBERED = 64;

// Every Redactor still alive, so that errors the SDK raises itself are scrubbed in one place.
const LIVE = new Set<WeakRef<Redactor>>();

/**
 * Returns `text` with every token and secret value known to any live SDK instance in this process
 * replaced, and bearer credentials and JWTs too. `FlowError`'s constructor runs every message
 * through it, so an error built from the caller's own input (a validation message quoting a key,
 * a file name) cannot carry a secret value even when no instance-bound code path redacted it.
 */
export function redactEverywhere(text: string): string {
  return Redactor.everywhere(text);
}

/**
 * {@link redactEverywhere}, and `extra` values too (in every form {@link Redactor.addSecret} knows):
 * for values no instance holds yet, such as the token of a configuration being refused.
 */
export function redactWith(text: string, extra: readonly string[]): string {
  return Redactor.everywhere(text, extra);
}

/** Names of fields and headers whose values are credentials: masked whole wherever they are shown. */
export const SENSITIVE_NAME = /authorization|cookie|token|secret|password|passwd|api[-_]?key|x-flow-local-admin/i;

/**
 * Knows every token and secret value this SDK instance has handled and strips them from text
 * and structured values before they reach an error message or a log line.
 *
 * Tokens rotate, so only the last 64 are kept. Secret values are pinned: an instance may log a
 * value it read an hour ago (a block that puts it into a URL, a message or a thrown error), so
 * they are never forgotten while the instance lives; there are as many as the workspace has
 * distinct secret values read.
 */
export class Redactor {
  readonly #values = new Set<string>();
  readonly #pinned = new Set<string>();
  // Longest first, so a value that contains another is replaced whole; rebuilt after each add.
  #ordered: string[] | undefined;

  /** Creates an empty redactor, known to {@link redactEverywhere} while it lives. */
  constructor() {
    LIVE.add(new WeakRef(this));
  }

  /** Remembers a sensitive value (a token); very short values are ignored (they would mangle ordinary text). */
  add(value: string | undefined): void {
    if (!value || value.length < MIN_SECRET_LENGTH || this.#pinned.has(value)) return;
    this.#values.delete(value);
    this.#values.add(value);
    if (this.#values.size > MAX_REMEMBERED) {
      const oldest = this.#values.values().next().value;
      if (oldest !== undefined) this.#values.delete(oldest);
    }
    this.#ordered = undefined;
  }

  /**
   * Remembers a secret value for the life of the instance, never evicted, together with the forms
   * it takes in a JSON string, in a URL path and in a query string (a PEM key's newlines become
   * `\n` in an error message). Values under 4 characters are ignored like in {@link Redactor.add}.
   */
  addSecret(value: string | undefined): void {
    if (!value || value.length < MIN_SECRET_LENGTH) return;
    for (const form of secretForms(value)) {
      this.#values.delete(form);
      this.#pinned.add(form);
    }
    this.#ordered = undefined;
  }

  /**
   * Returns `text` with every sensitive value known to any live instance, every bearer credential
   * and every JWT replaced: a value one instance read is hidden from another's log lines too.
   */
  text(text: string): string {
    return Redactor.everywhere(text);
  }

  /**
   * The values of every live redactor, longest first across all of them, replaced in `text`, then
   * the bearer and JWT patterns. One ordering over all values: replacing one instance's short
   * value first could cut into another's longer value that contains it and leave its rest showing.
   */
  static everywhere(text: string, extra: readonly string[] = []): string {
    const lists: string[][] = [];
    for (const ref of LIVE) {
      const redactor = ref.deref();
      if (redactor === undefined) LIVE.delete(ref);
      else lists.push(redactor.#longestFirst());
    }
    if (extra.length > 0) lists.push(extra.filter((value) => value.length >= MIN_SECRET_LENGTH).flatMap(secretForms));
    const values = lists.length === 1 ? (lists[0] ?? []) : lists.flat().sort((a, b) => b.length - a.length);
    let out = text;
    for (const value of values) if (out.includes(value)) out = out.split(value).join(REDACTED);
    return out.replace(BEARER, `$1 ${REDACTED}`).replace(JWT, REDACTED);
  }

  #longestFirst(): string[] {
    this.#ordered ??= [...this.#pinned, ...this.#values].sort((a, b) => b.length - a.length);
    return this.#ordered;
  }

  /** Returns a deep copy of `value` with every string redacted, property names included. */
  value(value: unknown, depth = 0): unknown {
    if (typeof value === "string") return this.text(value);
    if (value === null || typeof value !== "object") return value;
    if (depth > 8) return "[Truncated]"; // deeper than anything worth logging; never passed on unredacted
    if (Array.isArray(value)) return value.map((v) => this.value(v, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[this.text(k)] = SENSITIVE_NAME.test(k) && typeof v === "string" ? REDACTED : this.value(v, depth + 1);
    }
    return out;
  }

  /** Never shows the remembered values. */
  toJSON(): string {
    return `Redactor(${this.#values.size + this.#pinned.size} values)`;
  }
}

/**
 * The forms a secret value takes in a JSON string, in a URL path and in a query string (a PEM
 * key's newlines become `\n` in an error message).
 */
function secretForms(value: string): string[] {
  // The URI encoders throw on a lone surrogate; such a value then has only its other forms.
  const encoded = (encode: (v: string) => string): string => {
    try {
      return encode(value);
    } catch {
      return value;
    }
  };
  const forms = [
    value,
    JSON.stringify(value).slice(1, -1),
    encoded(encodeURIComponent),
    encoded((v) => v.split("/").map(encodeURIComponent).join("/")), // a storage path: each segment encoded
    encoded(encodeURI), // a raw path given to gateway.request
    encoded(queryForm),
    new URLSearchParams({ v: value }).toString().slice(2),
  ];
  return [...new Set(forms)];
}

/** How axios writes a value into a query string (`params`): percent-encoded, but `:`, `$` and `,` kept and spaces as `+`. */
function queryForm(value: string): string {
  return encodeURIComponent(value).replace(/%3A/gi, ":").replace(/%24/g, "$").replace(/%2C/gi, ",").replace(/%20/g, "+");
}
