// Whether a block's return value can be its output: JSON, exactly. JSON.stringify would quietly
// turn NaN into null and a Map into {}, and drop a function; an output that changes on the way
// is refused, naming where. Kept free of dependencies: it loads in every block's process.

/** Largest output accepted, as JSON text: what one request body may carry. */
export const MAX_OUTPUT_BYTES = 8 * 1024 * 1024;

/**
 * What keeps `value` from being a JSON output, with its place (`output.items[2] is a function`),
 * or undefined when it is fine. `toJSON` is honoured (a Date becomes its ISO string); `undefined`
 * object properties are left out, as JSON does; undefined at the top is `null`.
 */
export function outputIssue(value: unknown): string | undefined {
  const seen = new Set<object>();
  const stack: Array<{ item: unknown; where: string; depth: number; leave?: object }> = [{ item: value, where: "output", depth: 0 }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    if (next.leave) {
      seen.delete(next.leave);
      continue;
    }
    let { item } = next;
    const { where, depth } = next;
    if (depth > 100) return `${where} nests more than 100 levels deep`;
    if (item !== null && typeof item === "object" && typeof (item as { toJSON?: unknown }).toJSON === "function") {
      try {
        item = (item as { toJSON: (key: string) => unknown }).toJSON("");
      } catch (error) {
        return `${where}.toJSON() threw: ${(error as Error)?.message ?? String(error)}`;
      }
    }
    if (item === null || typeof item === "string" || typeof item === "boolean") continue;
    if (typeof item === "number") {
      if (!Number.isFinite(item)) return `${where} is ${item}, which JSON cannot carry`;
      continue;
    }
    if (item === undefined) return `${where} is undefined (return null, or leave the property out)`;
    if (typeof item !== "object") return `${where} is a ${typeof item}, which JSON cannot carry`;
    if (item instanceof Map || item instanceof Set || item instanceof WeakMap || item instanceof WeakSet) {
      return `${where} is a ${item.constructor.name}, which JSON would turn into {}; convert it (e.g. Object.fromEntries or an array)`;
    }
    if (item instanceof Promise) return `${where} is a Promise; await it before returning`;
    if (item instanceof Error) return `${where} is an Error, which JSON would turn into {}; return its message (or throw it, to fail the execution)`;
    if (item instanceof Number || item instanceof String || item instanceof Boolean) return `${where} is a boxed ${typeof item.valueOf()}; return the primitive`;
    if (!Array.isArray(item) && !isPlainObject(item) && Object.keys(item).length === 0) {
      return `${where} is a ${item.constructor?.name ?? "object"} with no own properties, which JSON would turn into {}; convert it`;
    }
    if (seen.has(item)) return `${where} refers back to itself (a cycle)`;
    seen.add(item);
    stack.push({ item: undefined, where, depth, leave: item });
    if (Array.isArray(item)) {
      for (let i = item.length - 1; i >= 0; i--) stack.push({ item: item[i], where: `${where}[${i}]`, depth: depth + 1 });
    } else {
      for (const [key, child] of Object.entries(item).reverse()) {
        if (child === undefined) continue; // JSON leaves the property out
        stack.push({ item: child, where: /^[A-Za-z_$][\w$]*$/.test(key) ? `${where}.${key}` : `${where}[${JSON.stringify(key)}]`, depth: depth + 1 });
      }
    }
  }
  return undefined;
}

/**
 * The block's return value as JSON text.
 * @throws {Error} saying why it cannot be the output (not JSON, or larger than {@link MAX_OUTPUT_BYTES}).
 */
export function outputJson(value: unknown): string {
  const issue = outputIssue(value === undefined ? null : value);
  if (issue !== undefined) throw new Error(`the block's return value is not JSON-serialisable: ${issue}`);
  const text = JSON.stringify(value === undefined ? null : value);
  if (Buffer.byteLength(text) > MAX_OUTPUT_BYTES) {
    throw new Error(`the block's return value is ${(Buffer.byteLength(text) / 2 ** 20).toFixed(1)} MiB as JSON, over the 8 MiB an output may be; store it (storage, datasets) and return a reference`);
  }
  return text;
}

// Plain objects pass through JSON as they are; also one made in another realm (its Object.prototype).
function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype || Object.getPrototypeOf(proto) === null;
}
