// flow.datasets: tabular data with a declared schema, inserted in batches and queried page by page.
// Not available yet: the types below are the planned API; every method rejects with
// FlowNotAvailableError.
import { injectable } from "tsyringe";
import type { RequestOptions } from "../http/request-options.js";
import type { PagePromise } from "../pagination.js";
import { notAvailable, notAvailablePage } from "./not-available.js";

/** The type of a dataset column's values. */
export type DatasetColumnType = "string" | "integer" | "number" | "boolean" | "timestamp" | "json";

/** One column of a dataset's schema. */
export interface DatasetColumn {
  /** Column name, unique in the dataset. */
  name: string;
  /** Type of the column's values. */
  type: DatasetColumnType;
  /**
   * Whether a row may omit the column or set it to `null`.
   * @default true
   */
  nullable?: boolean | undefined;
}

/** A dataset: a named table with a schema. */
export interface Dataset {
  /** The dataset's id. */
  id: string;
  /** Name, unique in the workspace. */
  name: string;
  /** The columns, in order. */
  schema: DatasetColumn[];
  /** Number of rows stored. */
  rowCount: number;
  /** When the dataset was created, as an ISO 8601 timestamp. */
  createdAt: string;
  /** When rows or schema last changed, as an ISO 8601 timestamp. */
  updatedAt: string;
}

/** One row: column name to value. */
export type DatasetRow = Record<string, unknown>;

/** One sort key of a query. */
export interface DatasetOrderBy {
  /** Column to sort by. */
  column: string;
  /**
   * Sort direction.
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
export interface DatasetsCreateParams {
  /** Name, unique in the workspace. */
  name: string;
  /** The columns, in order. */
  schema: DatasetColumn[];
}

/** Result of `datasets.insertRows`. */
export interface DatasetInsertResult {
  /** Number of rows inserted. */
  inserted: number;
}

/** Parameters of `datasets.query`. */
export interface DatasetsQueryParams {
  /** Equality filter: only rows whose columns equal these values, e.g. `{ country: "FR" }`. */
  filter?: Record<string, unknown> | undefined;
  /** Sort keys, most significant first. */
  orderBy?: DatasetOrderBy[] | undefined;
  /** Most rows to return across all pages. */
  limit?: number | undefined;
  /** Rows per page, 1 to 1000. */
  pageSize?: number | undefined;
}

/** Creates, fills and queries datasets. Not available yet: every method rejects with `FlowNotAvailableError`. */
@injectable()
export class DatasetsNamespace {
  /** Lists the workspace's datasets. */
  list(params?: DatasetsListParams, options?: RequestOptions): PagePromise<Dataset> {
    return notAvailablePage<Dataset>("datasets.list");
  }

  /** Resolves to the dataset `id`. */
  async get(id: string, options?: RequestOptions): Promise<Dataset> {
    throw notAvailable("datasets.get");
  }

  /** Creates an empty dataset; rejects with `FlowConflictError` when the name is taken. */
  async create(params: DatasetsCreateParams, options?: RequestOptions): Promise<Dataset> {
    throw notAvailable("datasets.create");
  }

  /** Appends `rows` to the dataset `id`, all or none; each row must match the schema. */
  async insertRows(id: string, rows: readonly DatasetRow[], options?: RequestOptions): Promise<DatasetInsertResult> {
    throw notAvailable("datasets.insertRows");
  }

  /**
   * Queries the rows of the dataset `id`; await it for the first page or `for await` every row.
   * @example
   * for await (const row of flow.datasets.query("orders", { filter: { status: "paid" } })) { ... }
   */
  query<TRow = DatasetRow>(id: string, params?: DatasetsQueryParams, options?: RequestOptions): PagePromise<TRow> {
    return notAvailablePage<TRow>("datasets.query");
  }

  /** Deletes the dataset `id` and all its rows. */
  async delete(id: string, options?: RequestOptions): Promise<void> {
    throw notAvailable("datasets.delete");
  }
}
