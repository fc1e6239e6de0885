import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { CompiledQuery, Kysely, SqliteDialect, type DatabaseConnection, type Dialect, type Driver } from "kysely";
import { WahookError } from "../../errors.js";
import type { Database } from "../schema.js";

/**
 * Kysely's SQLite transactions start with a deferred BEGIN. Ours take the write lock up front
 * (BEGIN IMMEDIATE): a deferred transaction that reads, then writes after another process
 * committed, fails with SQLITE_BUSY_SNAPSHOT without waiting; an immediate one waits its turn
 * (busy_timeout). This is what makes claims safe across processes sharing one file.
 */
function immediateTransactions(inner: Driver): Driver {
  return {
    init: () => inner.init(),
    acquireConnection: () => inner.acquireConnection(),
    beginTransaction: async (connection: DatabaseConnection) => {
      await connection.executeQuery(CompiledQuery.raw("begin immediate"));
    },
    commitTransaction: (connection) => inner.commitTransaction(connection),
    rollbackTransaction: (connection) => inner.rollbackTransaction(connection),
    releaseConnection: (connection) => inner.releaseConnection(connection),
    destroy: () => inner.destroy(),
  };
}

/**
 * Kysely prepares every query anew; on the webhook's hot path that was 9-16% of the CPU
 * (docs/BENCHMARKS.md). Statements are reused by their SQL text, which Kysely makes stable for
 * a given query shape. Multi-row inserts make a new, large text per row count: those are not
 * kept (a 5-minute soak showed RSS growing 31% while they were), and the cache is bounded.
 */
function cachingStatements(sqlite: BetterSqlite3.Database, maxStatements = 128, maxSqlChars = 2048) {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      const cached = cache.get(sql);
      if (cached !== undefined) return cached;
      const statement = sqlite.prepare(sql);
      if (sql.length <= maxSqlChars) {
        if (cache.size >= maxStatements) cache.delete(cache.keys().next().value as string);
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}

const unavailable = (path: string, cause: unknown) =>
  new WahookError(
    "STORE_UNAVAILABLE",
    `cannot open the SQLite database at ${path} (${cause instanceof Error ? cause.message : String(cause)}); check that its directory exists or can be created and that this user may write both the file and the directory (WAL adds -wal and -shm files next to it)`,
    { cause },
  );

/**
 * Opens (creating if needed) a SQLite file for the store: WAL so readers do not block the writer,
 * busy_timeout so other processes wait instead of failing, foreign keys on. Commits default to
 * synchronous=NORMAL (in WAL mode: durable across a process crash, not a power loss); the
 * webhook's record transaction switches to FULL (kysely/context.ts `durably`), so what Meta was
 * told was received is fsync'd, and that fsync also makes every earlier commit durable.
 * ":memory:" gives a private in-memory database (tests).
 */
export function openSqlite(path: string, options: { busyTimeoutMs?: number } = {}): Kysely<Database> {
  let sqlite: BetterSqlite3.Database | undefined;
  try {
    if (path !== ":memory:") mkdirSync(dirname(resolve(path)), { recursive: true });
    sqlite = new BetterSqlite3(path, { timeout: options.busyTimeoutMs ?? 5000 });
    const mode = sqlite.pragma("journal_mode = WAL", { simple: true });
    if (path !== ":memory:" && mode !== "wal") throw new Error(`journal_mode is ${String(mode)}, expected wal`);
    sqlite.pragma("synchronous = NORMAL");
    sqlite.pragma("foreign_keys = ON");
    // A write probe: a read-only file or directory fails here, not at the first webhook.
    sqlite.exec("begin immediate; rollback");
  } catch (error) {
    sqlite?.close();
    throw unavailable(path, error);
  }
  const base = new SqliteDialect({ database: cachingStatements(sqlite) });
  const dialect: Dialect = {
    createAdapter: () => base.createAdapter(),
    createDriver: () => immediateTransactions(base.createDriver()),
    createQueryCompiler: () => base.createQueryCompiler(),
    createIntrospector: (db) => base.createIntrospector(db),
  };
  return new Kysely<Database>({ dialect });
}
