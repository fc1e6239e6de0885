import type { Compilable, CompiledQuery, QueryExecutorProvider, QueryResult, RawBuilder } from "kysely";

/**
 * A hot statement built and compiled by Kysely once, then run with new values. Building a query
 * (freeze, visitNode, parseRowValues...) was about half of the self time of the end-to-end
 * profile (docs/BENCHMARKS.md); running a compiled one costs only the driver, and the SQLite
 * driver reuses its prepared statement, since the SQL text never changes.
 *
 * How: `build` receives one marker per parameter name and puts them where the values go; the
 * markers are found again among the compiled parameters, so each position knows its name.
 * Every other parameter (a constant the query itself contains) keeps its compiled value.
 */
const MARK = "\u0000wahook-param:";

/** What can run a compiled query: the store's Kysely instance or one of its transactions. */
export interface QueryRunner {
  executeQuery<R>(query: CompiledQuery<R>): Promise<QueryResult<R>>;
}

export interface Prepared<N extends string, R> {
  readonly sql: string;
  run(runner: QueryRunner, values: Readonly<Record<N, unknown>>): Promise<QueryResult<R>>;
}

type Slot<N> = { name: N } | { value: unknown };

/**
 * The markers are typed `never` so they fit wherever a value of any type goes; they must only
 * be used as values (a marker spliced into SQL text with sql.raw would never be replaced).
 */
export function prepare<N extends string, R>(
  db: QueryExecutorProvider,
  names: readonly N[],
  build: (param: Readonly<Record<N, never>>) => Compilable<R> | RawBuilder<R>,
): Prepared<N, R> {
  const markers = Object.fromEntries(names.map((name) => [name, `${MARK}${name}`])) as Record<N, never>;
  const built = build(markers);
  // A query builder knows its executor; a sql`` template is compiled for the db it will run on.
  const compiled = "isRawBuilder" in built ? built.compile(db) : built.compile();
  const known = new Set<string>(names);
  const slots: Slot<N>[] = compiled.parameters.map((value) => {
    if (typeof value !== "string" || !value.startsWith(MARK)) return { value };
    const name = value.slice(MARK.length);
    if (!known.has(name)) throw new Error(`prepared statement uses an undeclared parameter ${name}`);
    return { name: name as N };
  });
  const unused = names.filter((name) => !slots.some((slot) => "name" in slot && slot.name === name));
  if (unused.length > 0) throw new Error(`prepared statement never uses its parameter(s) ${unused.join(", ")}: ${compiled.sql}`);
  const { sql, query, queryId } = compiled;
  return {
    sql,
    run: (runner, values) => runner.executeQuery<R>({ sql, query, queryId, parameters: slots.map((slot) => ("name" in slot ? values[slot.name] : slot.value)) }),
  };
}
