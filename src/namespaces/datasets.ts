// flow.datasets: tabular data with a declared schema, inserted in batches and queried page by page.
import { inject, injectable } from "tsyringe";
import {
  DatasetCreateInput,
  DatasetInsertInput,
  DatasetListInput,
  DatasetQueryInput,
  DatasetRefInput,
  MAX_INSERT_BODY_BYTES,
  paramsObject,
  validateInput,
} from "../dto/index.js";
import type { Filter } from "../dto/filter.js";
import { FlowValidationError } from "../errors.js";
import type { RequestOptions } from "../http/request-options.js";
import { WorkspaceClient } from "../internal/workspace-client.js";
import type { PagePromise } from "../pagination.js";

/** The type of a dataset column's values. */
export type DatasetColumnType = "string" | "integer" | "number" | "boolean" | "timestamp" | "json";

/** One column of a dataset's schema. */
export interface DatasetColumn {
  /**
   * Type of the column's values: `integer` is a safe integer, `number` any finite number,
   * `timestamp` a `Date` or ISO 8601 string with a time zone (stored and returned as
   * `toISOString()`), `json` any JSON value.
   */
  type: DatasetColumnType;
  /**
   * Whether a row may omit the column or set it to `null` (stored as `null`).
   * @default false
   */
  nullable?: boolean | undefined;
}

/**
 * A dataset's schema: its columns by name, in order.
 *
 * @example { columns: { name: { type: "string" }, age: { type: "integer", nullable: true } } }
 */
export interface DatasetSchema {
  /** Column name (a letter or `_`, then letters, digits or `_`) to column. */
  columns: Record<string, DatasetColumn>;
}

/** A JSON value, as a `json` column holds it. */
export type DatasetJsonValue = string | number | boolean | null | DatasetJsonValue[] | { [key: string]: DatasetJsonValue };

/** The value type a column type stands for, as rows come back from `query`. */
export interface DatasetColumnValues {
  /** A string. */
  string: string;
  /** A safe integer. */
  integer: number;
  /** A finite number. */
  number: number;
  /** A boolean. */
  boolean: boolean;
  /** The `toISOString()` form of the time. */
  timestamp: string;
  /** Any JSON value. */
  json: DatasetJsonValue;
}

/**
 * The row type of a schema, for typing `query` results.
 *
 * @example
 * const schema = { columns: { name: { type: "string" }, age: { type: "integer", nullable: true } } } as const;
 * type Person = DatasetRowOf<typeof schema>; // { name: string; age: number | null }
 */
export type DatasetRowOf<S extends DatasetSchema> = {
  -readonly [K in keyof S["columns"]]: DatasetColumnValues[S["columns"][K]["type"]] | (S["columns"][K] extends { nullable: true } ? null : never);
};

/** The value types `insertRows` takes: as {@link DatasetColumnValues}, and a timestamp may be a `Date`. */
export type DatasetColumnInputs = Omit<DatasetColumnValues, "timestamp"> & {
  /** A `Date`, or an ISO 8601 date-time with a time zone. */
  timestamp: string | Date;
};

type NullableColumns<S extends DatasetSchema> = { [K in keyof S["columns"]]: S["columns"][K] extends { nullable: true } ? K : never }[keyof S["columns"]];
type InputOf<C extends DatasetColumn> = DatasetColumnInputs[C["type"]];

/** The row type `insertRows` takes for a schema: nullable columns may be left out or `null`. */
export type DatasetRowInputOf<S extends DatasetSchema> = {
  -readonly [K in Exclude<keyof S["columns"], NullableColumns<S>>]: InputOf<S["columns"][K]>;
} & {
  -readonly [K in NullableColumns<S>]?: InputOf<S["columns"][K]> | null | undefined;
};

/** The rows `insertRows` takes for a dataset reference: typed from the schema of a {@link Dataset}, any object for a name or id. */
export type DatasetRowInputFor<D> = D extends Dataset<infer S> ? DatasetRowInputOf<S> : object;

/** The row type of `query`: `TRow` when given, else typed from the schema of a {@link Dataset}, else {@link DatasetRow}. */
export type DatasetQueryRow<TRow extends object, D> = [TRow] extends [never] ? (D extends Dataset<infer S> ? DatasetRowOf<S> : DatasetRow) : TRow;

/** A dataset: a named table with a schema. */
export interface Dataset<S extends DatasetSchema = DatasetSchema> {
  /** The dataset's id (`ds_…`). */
  id: string;
  /** Name, unique in the workspace. */
  name: string;
  /** What the dataset holds, or `null`. */
  description: string | null;
  /** The columns. */
  schema: S;
  /** Number of rows stored. */
  rowCount: number;
  /** When the dataset was created, as an ISO 8601 timestamp. */
  createdAt: string;
  /** When rows were last inserted (or the dataset created), as an ISO 8601 timestamp. */
  updatedAt: string;
}

/** One row: column name to value. */
export type DatasetRow = Record<string, unknown>;

/** A dataset named by name or id, or a {@link Dataset} (its id is used). */
export type DatasetRef = string | Pick<Dataset, "id">;

/** One sort key of a query. */
export interface DatasetOrderBy<C extends string = string> {
  /** Column to sort by; `json` columns cannot be sorted by. */
  column: C;
  /**
   * Sort direction; `null` sorts first ascending and last descending.
   * @default "asc"
   */
  direction?: "asc" | "desc" | undefined;
}

/** Parameters of `datasets.list`. */
export interface DatasetsListParams {
  /** Items per page, 1 to 1000. */
  limit?: number | undefined;
  /** The `nextCursor` of the previous page. */
  cursor?: string | undefined;
}

/** Parameters of `datasets.create`. */
export interface DatasetsCreateParams<S extends DatasetSchema = DatasetSchema> {
  /** Name, unique in the workspace: 1–128 letters, digits, `_`, `-` or `.`, not starting with `-` or `.`. */
  name: string;
  /** The columns. */
  schema: S;
  /** What the dataset holds. */
  description?: string | undefined;
}

/** Result of `datasets.insertRows`. */
export interface DatasetInsertResult {
  /** Number of rows inserted. */
  inserted: number;
  /** Rows in the dataset after the insert. */
  rowCount: number;
}

/** Parameters of `datasets.query`. */
export interface DatasetsQueryParams<TRow extends object = DatasetRow> {
  /**
   * Which rows to keep, in the filter language shared with vector and memory; a field is a column,
   * or `column.path` into a `json` column.
   *
   * @example { country: "FR", age: { $gte: 18 }, $or: [{ plan: "pro" }, { seats: { $gt: 10 } }] }
   */
  filter?: Filter | undefined;
  /** Sort keys, most significant first; rows that tie on all of them come in insertion order. Insertion order without it. */
  orderBy?: Array<DatasetOrderBy<Extract<keyof TRow, string>>> | undefined;
  /** Rows per page, 1 to 1000 (default 100). */
  limit?: number | undefined;
  /** The `nextCursor` of the previous page of the same query. */
  cursor?: string | undefined;
}

/** Creates, fills and queries datasets. */
@injectable()
export class DatasetsNamespace {
  /** Built by the container. */
  constructor(@inject(WorkspaceClient) private readonly client: WorkspaceClient) {}

  /**
   * The workspace's datasets, by name; await for the first page or `for await` over all.
   *
   * @example for await (const dataset of flow.datasets.list()) console.log(dataset.name, dataset.rowCount);
   */
  list(params: DatasetsListParams = {}, options?: RequestOptions): PagePromise<Dataset> {
    return this.client.list(() => ({ path: this.client.path("datasets"), query: validateInput(DatasetListInput, params, "datasets.list") }), options);
  }

  /**
   * The dataset with this name or id. Give `S` (say `typeof schema`) to type what `insertRows`
   * and `query` take and return for it; that is your claim, the platform does not check it.
   *
   * @example const people = await flow.datasets.get<typeof peopleSchema>("people");
   * @throws {FlowNotFoundError} when there is none.
   */
  async get<S extends DatasetSchema = DatasetSchema>(dataset: DatasetRef, options?: RequestOptions): Promise<Dataset<S>> {
    const input = validateInput(DatasetRefInput, { dataset: refOf(dataset) }, "datasets.get");
    return this.client.get<Dataset<S>>(this.#path(input.dataset), options);
  }

  /**
   * Creates an empty dataset. Keep the result: given to `insertRows` and `query`, it types their
   * rows from `schema`.
   *
   * @example const people = await flow.datasets.create({ name: "people", schema: { columns: { name: { type: "string" }, age: { type: "integer", nullable: true } } } });
   * @throws {FlowConflictError} when the name is taken.
   * @throws {FlowValidationError} for an invalid name or schema, before any request.
   */
  async create<const S extends DatasetSchema>(params: DatasetsCreateParams<S>, options?: RequestOptions): Promise<Dataset<S>> {
    const input = validateInput(DatasetCreateInput, params, "datasets.create");
    return this.client.post<Dataset<S>>(this.client.path("datasets"), { ...input }, options);
  }

  /**
   * Appends `rows`, all or none (one transaction). Each row must match the schema: no unknown
   * columns, every non-nullable column present and of its type. One call carries at most 10 000
   * rows and 8 MiB of JSON; split larger loads (each call is then all or none on its own).
   *
   * @example await flow.datasets.insertRows(people, [{ name: "Ada", age: 36 }, { name: "Bob" }]);
   * @throws {FlowValidationError} naming each bad row and column (e.g. `rows[3].age must be an integer`), from the platform; no row is stored.
   * @throws {FlowValidationError} for no rows, over 10 000, or over 8 MiB as JSON, before any request.
   * @throws {FlowNotFoundError} when the dataset does not exist.
   */
  async insertRows<D extends DatasetRef>(dataset: D, rows: ReadonlyArray<DatasetRowInputFor<D>>, options?: RequestOptions): Promise<DatasetInsertResult> {
    const input = validateInput(DatasetInsertInput, { dataset: refOf(dataset), rows }, "datasets.insertRows");
    // Serialized once, here: to refuse a body the platform would refuse (413) with a message that says what to do.
    const body = Buffer.from(serializedRows(input.rows));
    if (body.length > MAX_INSERT_BODY_BYTES) {
      const message = `rows are ${(body.length / 2 ** 20).toFixed(1)} MiB as JSON, over the 8 MiB a request may carry; split them into smaller insertRows calls`;
      throw new FlowValidationError(`datasets.insertRows: ${message}`, [{ path: "rows", message }]);
    }
    return this.client.post<DatasetInsertResult>(`${this.#path(input.dataset)}/rows`, body, options, { contentType: "application/json" });
  }

  /**
   * Rows of the dataset, filtered and sorted; await for the first page or `for await` every row.
   * Pages are stable: keyset cursors, so rows are neither skipped nor repeated, ties included.
   * Rows are typed from the schema when `dataset` is a {@link Dataset}, else give `TRow`.
   *
   * @example
   * for await (const row of flow.datasets.query<Order>("orders", { filter: { status: "paid" }, orderBy: [{ column: "total", direction: "desc" }] })) { ... }
   * @throws {FlowValidationError} for a malformed filter or sort key, before any request; for a column the schema lacks or a value its column cannot hold (`{ age: "18" }` on an integer column), from the platform.
   * @throws {FlowNotFoundError} when the dataset does not exist.
   */
  query<TRow extends object = never, D extends DatasetRef = DatasetRef>(
    dataset: D,
    params: DatasetsQueryParams<NoInfer<DatasetQueryRow<TRow, D>>> = {},
    options?: RequestOptions,
  ): PagePromise<DatasetQueryRow<TRow, D>> {
    return this.client.list<DatasetQueryRow<TRow, D>>(() => {
        const { dataset: ref, ...body } = validateInput(DatasetQueryInput, { ...paramsObject(params, "datasets.query", ["dataset"]), dataset: refOf(dataset) }, "datasets.query");
        return { path: `${this.#path(ref)}/query`, body };
      },
      options,
    );
  }

  /**
   * Deletes the dataset and all its rows; resolves to true when it existed. Its name is free again
   * at once; a new dataset of that name has a new id, and the old one's cursors are refused.
   *
   * @example if (!(await flow.datasets.delete("people"))) console.log("there was none");
   */
  async delete(dataset: DatasetRef, options?: RequestOptions): Promise<boolean> {
    const input = validateInput(DatasetRefInput, { dataset: refOf(dataset) }, "datasets.delete");
    return this.client.deleted(this.#path(input.dataset), options);
  }

  #path(dataset: string): string {
    return this.client.path("datasets", dataset);
  }
}

// A cycle or a bigint in a row cannot be sent: bad input, reported before any request like the rest.
function serializedRows(rows: unknown[]): string {
  try {
    return JSON.stringify({ rows });
  } catch (error) {
    const message = `rows cannot be sent as JSON (${error instanceof Error ? error.message.split("\n")[0] : String(error)})`;
    throw new FlowValidationError(`datasets.insertRows: ${message}`, [{ path: "rows", message }]);
  }
}

// A Dataset object stands for its id; anything else goes to validation as given, to be reported.
function refOf(dataset: DatasetRef): unknown {
  return typeof dataset === "object" && dataset !== null && typeof dataset.id === "string" ? dataset.id : dataset;
}
