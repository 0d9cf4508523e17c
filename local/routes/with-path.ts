/**
 * The body with the route's path parameters added (they win over the same names in the body). A
 * body that is not an object is passed through untouched, so validation reports it as such.
 */
export function withPath(body: unknown, fromPath: Record<string, string>): unknown {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return body;
  return { ...body, ...fromPath };
}
