import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { DEFAULT_SIGNED_URL_SECONDS, guessContentType, StorageListInput, StoragePathInput, StoragePutInput, StorageSignedUrlInput, validateInput } from "../../src/dto/index.js";
import { scopeCovers } from "../../src/dto/scopes.js";
import type { Clock } from "../../src/container/clock.js";
import type { StorageObject } from "../../src/namespaces/storage.js";
import { identityOf, needs, tenantOf, type Tenant } from "../auth.js";
import { HttpError } from "../errors.js";
import { queryInput } from "../pagination.js";
import type { StorageStore } from "../store/storage.js";

/** Header carrying user metadata, both ways: base64url of its JSON. */
const METADATA_HEADER = "x-flow-metadata";

interface ObjectRoute {
  Params: { "*": string };
}

interface SignedRoute {
  Params: { orgId: string; workspaceId: string; "*": string };
  Querystring: { expires?: unknown; signature?: unknown };
}

/**
 * Storage routes of docs/protocol.md, relative to the workspace prefix; `needs` declares each one's
 * scope. Signed URLs expire counting from `clock`'s now: the store judges them by the same clock.
 */
export function storageRoutes(app: FastifyInstance, store: StorageStore, clock: Clock): void {
  app.get("/storage/objects", needs("storage:read"), async (request) => {
    const input = validateInput(StorageListInput, queryInput(request.query), "GET storage/objects");
    return store.list(tenantOf(request), input);
  });

  app.get<ObjectRoute>("/storage/objects/*", { ...needs("storage:read"), exposeHeadRoute: false }, async (request, reply) => {
    return sendObject(store, tenantOf(request), pathParam(request.params["*"], "GET storage/objects/*"), reply);
  });

  app.get<ObjectRoute>("/storage/metadata/*", needs("storage:read"), async (request) => {
    const objectPath = pathParam(request.params["*"], "GET storage/metadata/*");
    return store.head(tenantOf(request), objectPath) ?? notFound(objectPath);
  });

  app.delete<ObjectRoute>("/storage/objects/*", needs("storage:write"), (request) => {
    return { deleted: store.delete(tenantOf(request), pathParam(request.params["*"], "DELETE storage/objects/*")) };
  });

  app.post("/storage/signed-urls", needs("storage:read"), (request) => {
    const input = validateInput(StorageSignedUrlInput, request.body, "POST storage/signed-urls");
    const method = input.method ?? "GET";
    // The route declares the read scope; a URL that uploads needs the write scope as well.
    if (method === "PUT" && !scopeCovers(identityOf(request).scopes, "storage:write")) {
      throw new HttpError(403, "missing_scope", "The token lacks the scope storage:write, which a PUT signed URL needs; mint one with it (flow-sdk-local token --scopes storage:write)");
    }
    const tenant = tenantOf(request);
    // Rounded up, as a token's exp is: a URL is good for at least expiresInSeconds, never up to a
    // second less (flooring now cut the fraction of the current second off its life).
    const expires = Math.ceil((clock.now() + (input.expiresInSeconds ?? DEFAULT_SIGNED_URL_SECONDS) * 1000) / 1000);
    const signature = store.sign({ ...tenant, path: input.path, method, expires });
    const segments = [tenant.orgId, tenant.workspaceId, ...input.path.split("/")].map(encodeURIComponent).join("/");
    const url = `${request.protocol}://${request.host}/v1/storage/signed/${segments}?expires=${expires}&signature=${signature}`;
    return { url, method, expiresAt: new Date(expires * 1000).toISOString() };
  });

  // Uploads stream: their own plugin, whose only body parser hands the raw stream through, so no
  // JSON parsing and no 8 MiB body limit. The storage PUT is idempotent by nature (the same bytes
  // to the same path leave the same object), and a stream cannot be fingerprinted or replayed, so
  // the Idempotency-Key is not looked at here (`replay: false`).
  app.register(async (uploads) => {
    rawBodies(uploads);
    uploads.put<ObjectRoute>("/storage/objects/*", { config: { scope: "storage:write", replay: false } }, async (request) => {
      return receiveObject(store, tenantOf(request), request.params["*"], request, "PUT storage/objects/*");
    });
  });
}

/**
 * The public routes signed URLs point at, outside the authenticated routes: the signature in the
 * query string (over tenant, path, method and expiry) stands in for the token.
 */
export function storageSignedRoutes(app: FastifyInstance, store: StorageStore): void {
  const prefix = "/v1/storage/signed/:orgId/:workspaceId/*";
  app.get<SignedRoute>(prefix, { exposeHeadRoute: false }, async (request, reply) => {
    const { tenant, objectPath } = checkSigned(store, request, "GET");
    return sendObject(store, tenant, objectPath, reply);
  });
  app.register(async (uploads) => {
    rawBodies(uploads);
    uploads.put<SignedRoute>(prefix, async (request) => {
      const { tenant, objectPath } = checkSigned(store, request, "PUT");
      return receiveObject(store, tenant, objectPath, request, "PUT signed URL");
    });
  });
}

function rawBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", (_request, payload, done) => done(null, payload));
}

function checkSigned(store: StorageStore, request: FastifyRequest<SignedRoute>, method: "GET" | "PUT"): { tenant: Tenant; objectPath: string } {
  const objectPath = pathParam(request.params["*"], `${method} signed URL`);
  const { expires, signature } = request.query;
  if (typeof expires !== "string" || !/^\d{1,12}$/.test(expires) || typeof signature !== "string") {
    throw new HttpError(403, "invalid_signature", "This URL lacks a valid expires or signature parameter; use a URL from storage.signedUrl");
  }
  const tenant = { orgId: request.params.orgId, workspaceId: request.params.workspaceId };
  store.verify({ ...tenant, path: objectPath, method, expires: Number(expires) }, signature);
  return { tenant, objectPath };
}

function pathParam(value: string, what: string): string {
  return validateInput(StoragePathInput, { path: value }, what).path;
}

async function receiveObject(store: StorageStore, tenant: Tenant, rawPath: string, request: FastifyRequest, what: string): Promise<StorageObject> {
  const header = request.headers["content-type"];
  const input = validateInput(
    StoragePutInput,
    { path: rawPath, ...(header === undefined ? {} : { contentType: header }), ...metadataOf(request.headers[METADATA_HEADER]) },
    what,
  );
  const body = (request.body as Readable | undefined) ?? request.raw;
  return store.put(tenant, { path: input.path, contentType: input.contentType ?? guessContentType(input.path), metadata: input.metadata ?? {} }, body);
}

function sendObject(store: StorageStore, tenant: Tenant, objectPath: string, reply: FastifyReply): FastifyReply {
  const opened = store.open(tenant, objectPath) ?? notFound(objectPath);
  const { object } = opened;
  return reply
    .header("content-type", object.contentType)
    .header("content-length", object.size)
    .header("etag", `"${object.etag}"`)
    .header("last-modified", new Date(object.updatedAt).toUTCString())
    .header(METADATA_HEADER, Buffer.from(JSON.stringify(object.metadata)).toString("base64url"))
    .send(createReadStream("", { fd: opened.fd }));
}

function metadataOf(header: string | string[] | undefined): { metadata?: unknown } {
  if (header === undefined) return {};
  try {
    return { metadata: JSON.parse(Buffer.from(String(header), "base64url").toString("utf8")) };
  } catch {
    throw new HttpError(400, "bad_request", "X-Flow-Metadata must be base64url of a JSON object of strings");
  }
}

function notFound(objectPath: string): never {
  throw new HttpError(404, "not_found", `No object at ${JSON.stringify(objectPath)}`);
}
