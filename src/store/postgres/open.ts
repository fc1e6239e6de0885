import pg from "pg";
import { Kysely, PostgresDialect, sql } from "kysely";
import { WahookError } from "../../errors.js";
import type { Database } from "../schema.js";
import { namedStatements } from "./named-statements.js";

export interface PostgresOptions {
  poolSize?: number;
  statementTimeoutMs?: number;
  /** search_path for every connection, created if missing (tests give each run its own) */
  schema?: string;
  /** errors of idle pooled connections (server restart, network): reported, never thrown */
  onError?: (error: Error) => void;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const SCHEMA_LOCK_KEY = 0x77616863; // "wahc": two-key advisory lock, see migrations/migrate.ts

/**
 * pg returns int8 (bigint: our epoch ms, ids, counts) as strings; they fit in a double, so parse
 * them as numbers. Per pool, not pg.types.setTypeParser: no process-wide side effect.
 */
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === pg.types.builtins.INT8 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** The URL without its password, for error messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparsable DATABASE_URL)";
  }
}

/** The Kysely instance, and where to register the SQL texts that run as named statements (named-statements.ts). */
export interface OpenedPostgres {
  db: Kysely<Database>;
  nameStatements(texts: Iterable<string>): void;
}

export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<OpenedPostgres> {
  const schema = options.schema;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new WahookError("STORE_UNAVAILABLE", `PostgreSQL schema name ${JSON.stringify(schema)} is not a plain lowercase identifier`);
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    statement_timeout: options.statementTimeoutMs ?? 10_000,
    connectionTimeoutMillis: 10_000,
    application_name: "wahook",
    types,
  });
  // An idle client's error is emitted on the pool; unhandled, it would crash the process. The
  // pool drops that client and the next query opens a new connection.
  pool.on("error", (error) => options.onError?.(error));
  const named = namedStatements(pool);
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({
      pool: named.pool,
      // Per connection, once. READ COMMITTED is pinned because claims rely on each statement
      // taking a fresh snapshot (kysely/inbox-claim.ts), whatever the server default is.
      onCreateConnection: async (connection) => {
        await connection.executeQuery(
          sql`select set_config('search_path', ${schema ? `"${schema}"` : "\"$user\", public"}, false), set_config('default_transaction_isolation', 'read committed', false)`.compile(db),
        );
      },
    }),
  });
  try {
    if (schema !== undefined) {
      // Serialized, because concurrent CREATE SCHEMA IF NOT EXISTS can still collide in the catalog.
      await db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(${SCHEMA_LOCK_KEY}, hashtext(${schema}))`.execute(trx);
        await sql`create schema if not exists ${sql.id(schema)}`.execute(trx);
      });
    } else {
      await sql`select 1`.execute(db);
    }
  } catch (error) {
    await db.destroy().catch(() => undefined);
    const detail = error instanceof Error ? error.message || (error as { code?: string }).code || String(error) : String(error);
    throw new WahookError(
      "STORE_UNAVAILABLE",
      `cannot connect to PostgreSQL at ${redactUrl(url)} (${detail}); check that the server is running and reachable, and the user, password and database name in DATABASE_URL`,
      { cause: error },
    );
  }
  return { db, nameStatements: named.register };
}
