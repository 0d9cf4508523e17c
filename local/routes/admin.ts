import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { validateInput } from "../../src/dto/index.js";
import { MintTokenInput } from "../dto.js";
import { HttpError } from "../errors.js";
import type { TokenService } from "../tokens.js";

/** `POST /v1/_local/tokens`: mints a token for whoever holds the data dir's admin key. */
export function adminRoutes(app: FastifyInstance, tokens: TokenService, adminKey: string): void {
  const expected = digest(adminKey);
  // onRequest, before the body is read: a caller without the key learns nothing about the input.
  const checkAdmin = async (request: FastifyRequest): Promise<void> => {
    const given = request.headers["x-flow-local-admin"];
    if (typeof given !== "string" || given === "") {
      throw new HttpError(401, "missing_token", "Send the admin key from <dataDir>/flow-local.json in X-Flow-Local-Admin");
    }
    // Digests have equal length, which timingSafeEqual needs, and hide the key's length too.
    if (!timingSafeEqual(digest(given), expected)) {
      throw new HttpError(401, "invalid_token", "Wrong X-Flow-Local-Admin key; read it from <dataDir>/flow-local.json of the running platform");
    }
  };
  app.post("/v1/_local/tokens", { onRequest: checkAdmin }, async (request) => {
    const input = validateInput(MintTokenInput, request.body ?? {}, "POST /v1/_local/tokens");
    return tokens.mint(input);
  });
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}
