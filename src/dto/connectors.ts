// Inputs of the connectors namespace, validated by the SDK before any request and by the local platform.
import { IsString, Matches, ValidateIf } from "./class-validator.js";
import { isJsonValue, isPlainObject, Located, MAX_JSON_BODY_BYTES, MAX_JSON_DEPTH, PageQuery, ResourceId } from "./common.js";

/** The shape of a connector action's name: 1 to 64 letters, digits, `_` or `-` (as the manifest takes it). */
export const CONNECTOR_ACTION = /^[A-Za-z0-9_-]{1,64}$/;

/** What is wrong with a connector invocation's `params`, or undefined: a plain object of JSON values under 8 MiB as JSON. */
export function connectorParamsIssue(value: unknown, where = "params"): string | undefined {
  // A property set to undefined is left out, as JSON.stringify does.
  if (!isPlainObject(value) || !isJsonValue(value, { undefinedProperties: true })) {
    return `${where} must be an object of JSON values (the action's path, query or body parameters; nested at most ${MAX_JSON_DEPTH} levels)`;
  }
  if (Buffer.byteLength(JSON.stringify(value)) > MAX_JSON_BODY_BYTES - 1024) return `${where} must be under 8 MiB as JSON`;
  return undefined;
}

/** Input of `connectors.get`. */
export class ConnectorIdInput {
  /** The connector's id (its key in the manifest). */
  @ResourceId("id")
  id!: string;
}

/** Input of `connectors.list`. */
export class ConnectorListInput extends PageQuery {}

/** Input of `connectors.invoke` (the connector id from the path, the rest from the body). */
export class ConnectorInvokeInput {
  /** The connector's id. */
  @ResourceId("id")
  id!: string;

  /** The action's name, one of the connector's `actions`. */
  @IsString({ message: "action must be a string" })
  @Matches(CONNECTOR_ACTION, { message: "action must be 1 to 64 letters, digits, '_' or '-'" })
  action!: string;

  /** The action's parameters: its path template's `{name}`s, the rest as the query (GET, DELETE) or the JSON body (POST, PUT, PATCH). */
  @ValidateIf((_, value) => value !== undefined) // null is refused, not read as "no params"
  @Located("isConnectorParams", (value, where) => connectorParamsIssue(value, where))
  params?: Record<string, unknown>;
}
