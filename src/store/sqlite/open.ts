import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { CompiledQuery, Kysely, SqliteDialect, type DatabaseConnection, type Dialect, type Driver } from "kysely";
import { WahookError } from "../../errors.js";
import type { Database } from "../schema.js";
import { startCheckpointer } from "./checkpointer.js";
import { createJournalWriter } from "./journal-writer.js";
import { createWalSync, type DurabilityBarrier } from "./wal-sync.js";

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
function cachingStatements(sqlite: BetterSqlite3.Database, beforeClose: () => void, maxStatements = 128, maxSqlChars = 2048) {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => {
      beforeClose();
      sqlite.close();
    },
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

export interface SqliteHandle {
  db: Kysely<Database>;
  /** resolves once every commit made before the call is on disk (wal-sync.ts) */
  sync: DurabilityBarrier;
  /** the journal insert without Kysely, or false when a transaction is open (journal-writer.ts) */
  journalNow: (bodies: readonly Buffer[], nowMs: number) => boolean;
  /** PRAGMA data_version: changes when another connection commits (kysely/row-journal-watch.ts) */
  dataVersion: () => number;
}

/**
 * Opens (creating if needed) a SQLite file for the store: WAL so readers do not block the writer,
 * busy_timeout so other processes wait instead of failing, foreign keys on. Every commit runs
 * with synchronous=NORMAL (durable across a process crash, not yet across a power loss); what
 * must survive a power loss before we act on it waits for `sync`, one fdatasync of the WAL shared
 * by all who wait (wal-sync.ts). Checkpoints run on a worker thread (checkpointer.ts).
 * ":memory:" gives a private in-memory database (tests), where `sync` has nothing to do.
 */
export function openSqlite(path: string, options: { busyTimeoutMs?: number; onError?: (message: string) => void } = {}): SqliteHandle {
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  const memory = path === ":memory:";
  let sqlite: BetterSqlite3.Database | undefined;
  let wal: ReturnType<typeof createWalSync> | undefined;
  try {
    if (!memory) mkdirSync(dirname(resolve(path)), { recursive: true });
    sqlite = new BetterSqlite3(path, { timeout: busyTimeoutMs });
    const mode = sqlite.pragma("journal_mode = WAL", { simple: true });
    if (!memory && mode !== "wal") throw new Error(`journal_mode is ${String(mode)}, expected wal`);
    sqlite.pragma("synchronous = NORMAL");
    sqlite.pragma("foreign_keys = ON");
    // Statement journals over 64 KiB (a multi-row insert or update inside a transaction) and
    // sorter spills otherwise go to a new, immediately unlinked file in /var/tmp: 213 files in a
    // 5 s strace of an end-to-end run, kernel time for nothing that must outlive the transaction
    // (sqlite.org/tempfiles.html).
    sqlite.pragma("temp_store = MEMORY");
    // A write probe: a read-only file or directory fails here, not at the first webhook.
    sqlite.exec("begin immediate; rollback");
    if (!memory) wal = createWalSync(`${resolve(path)}-wal`);
  } catch (error) {
    sqlite?.close();
    throw unavailable(path, error);
  }
  const connection = sqlite;
  const report = options.onError ?? (() => undefined);
  const checkpointer = memory
    ? undefined
    : startCheckpointer({
        path: resolve(path),
        busyTimeoutMs,
        onError: (message) => report(`WAL checkpoint failed: ${message}`),
        // Without the thread the WAL would grow without bound: SQLite checkpoints inline again.
        onExit: () => {
          report("the WAL checkpoint thread stopped; checkpointing on the main thread instead");
          if (connection.open) connection.pragma("wal_autocheckpoint = 1000");
        },
      });
  if (checkpointer) sqlite.pragma("wal_autocheckpoint = 0");
  const beforeClose = () => {
    void checkpointer?.stop();
    wal?.close();
  };
  const base = new SqliteDialect({ database: cachingStatements(sqlite, beforeClose) });
  const dialect: Dialect = {
    createAdapter: () => base.createAdapter(),
    createDriver: () => immediateTransactions(base.createDriver()),
    createQueryCompiler: () => base.createQueryCompiler(),
    createIntrospector: (db) => base.createIntrospector(db),
  };
  const dataVersion = sqlite.prepare("pragma data_version").pluck();
  return { db: new Kysely<Database>({ dialect }), sync: wal ? wal.sync : () => Promise.resolve(), journalNow: createJournalWriter(sqlite), dataVersion: () => dataVersion.get() as number };
}
