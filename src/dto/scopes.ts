/**
 * Tells whether `granted` covers `wanted`: the same scope, `*`, or `<area>:*`. `write` does not
 * imply `read`. Shared by the SDK (`auth.hasScope`) and the local platform (route checks).
 */
export function scopeCovers(granted: readonly string[], wanted: string): boolean {
  const area = wanted.split(":")[0];
  return granted.some((g) => g === wanted || g === "*" || (area !== undefined && g === `${area}:*`));
}

/** Scopes as a list, from an array or an OAuth-style space-separated string; anything else grants nothing. */
export function scopeList(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((s): s is string => typeof s === "string");
  if (typeof value === "string") return value.split(/\s+/).filter(Boolean);
  return [];
}
