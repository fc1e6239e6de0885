import { sql, type Expression, type RawBuilder } from "kysely";
import type { StoreDialect } from "../schema.js";

/**
 * Lists and row sets of any length bound as a fixed number of parameters, so a statement's SQL
 * text is the same for 1 item or 500 (an IN list or a multi-row VALUES makes a new statement per
 * length, which prepared.ts could not reuse and SQLite's statement cache does not keep).
 * SQLite: one JSON text, read with json_each. PostgreSQL: typed arrays (`= any`, `unnest`),
 * whose length the planner sees, so it keeps using the primary-key index.
 */
export type SqlType = "bigint" | "integer" | "text";

/** `column IN list`, the list bound as one parameter (encode it with listValue). */
export const inList = (dialect: StoreDialect, column: Expression<unknown>, param: unknown, type: SqlType): RawBuilder<boolean> =>
  dialect === "sqlite"
    ? sql<boolean>`${column} in (select value from json_each(${param}))`
    : sql<boolean>`${column} = any(cast(${param} as ${sql.raw(type)}[]))`;

export const listValue = (dialect: StoreDialect, values: readonly unknown[]): unknown => (dialect === "sqlite" ? JSON.stringify(values) : [...values]);

/** Parameter names of row sets: `<set>.<part>`, never a plain name like `nowMs`. */
export type RowParam = `${string}.${string}`;

export interface RowSet<C extends string> {
  /** the parameter names to declare in prepare() */
  readonly names: readonly RowParam[];
  /** `(select ... )` with one column per name, typed; alias it with .as(); `param` is prepare()'s marker record */
  table(param: Readonly<Record<string, never>>): RawBuilder<Record<C, unknown>>;
  /** the parameter values for these rows */
  bind(rows: readonly Readonly<Record<C, unknown>>[]): Record<RowParam, unknown>;
}

/** Rows bound as parameters, selectable like a table (FROM, INSERT ... SELECT, UPDATE ... FROM). */
export function rowSet<C extends string>(dialect: StoreDialect, name: string, columns: Readonly<Record<C, SqlType>>): RowSet<C> {
  const names = Object.keys(columns) as C[];
  if (dialect === "sqlite") {
    const param: RowParam = `${name}.rows`;
    // Inside a JSON array an integer stays an INTEGER and a string TEXT, so no casts are needed.
    const select = sql.join(names.map((column, i) => sql`value ->> ${sql.lit(i)} as ${sql.id(column)}`));
    return {
      names: [param],
      table: (p) => sql<Record<C, unknown>>`(select ${select} from json_each(${p[param]}))`,
      bind: (rows) => ({ [param]: JSON.stringify(rows.map((row) => names.map((column) => row[column] ?? null))) }),
    };
  }
  const params = names.map((column): RowParam => `${name}.${column}`);
  const arrays = (p: Readonly<Record<string, never>>) => sql.join(names.map((column, i) => sql`cast(${p[params[i] as string]} as ${sql.raw(columns[column])}[])`));
  return {
    names: params,
    table: (p) => sql<Record<C, unknown>>`(select * from unnest(${arrays(p)}) as t(${sql.join(names.map((column) => sql.id(column)))}))`,
    bind: (rows) => Object.fromEntries(names.map((column, i) => [params[i], rows.map((row) => row[column] ?? null)])),
  };
}
