/**
 * The body with the route's path parameters set on it (they win over the same names in the body).
 * A body that is not a plain object is passed through untouched, so validation reports it as such.
 * The body is this request's own fresh parse, which nothing reads after its handler, so the
 * parameters are set in place: a copy of a body of half a million keys took 0.6 s before its
 * keys were even checked.
 */
export function withPath(body: unknown, fromPath: Record<string, string>): unknown {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return body;
  return Object.assign(body, fromPath);
}
