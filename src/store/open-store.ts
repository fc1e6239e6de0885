import { resolve } from "node:path";
import type { DatabaseTarget } from "../config.js";
import { WahookError } from "../errors.js";
import type { Store } from "./store.js";
import { createRowJournalWatch } from "./kysely/row-journal-watch.js";
import { createKyselyStore } from "./kysely/store.js";
import { openPostgres, redactUrl } from "./postgres/open.js";
import { openSqlite } from "./sqlite/open.js";

export interface OpenStoreOptions {
  /** PostgreSQL pool size (DB_POOL_SIZE) */
  poolSize?: number;
  /** PostgreSQL statement_timeout; SQLite busy_timeout (DB_STATEMENT_TIMEOUT_MS) */
  statementTimeoutMs?: number;
  /** PostgreSQL only: search_path, created if missing (tests) */
  schema?: string;
  /** apply pending migrations before returning (default true) */
  migrate?: boolean;
  /** errors of idle pooled PostgreSQL connections and of SQLite's checkpoint thread (logged by the caller, never thrown) */
  onError?: (error: Error) => void;
}

const sqliteStore = (path: string, options: OpenStoreOptions): Store => {
  const { db, sync, journalNow, dataVersion } = openSqlite(path, {
    busyTimeoutMs: options.statementTimeoutMs,
    ...(options.onError ? { onError: (message: string) => options.onError?.(new Error(message)) } : {}),
  });
  const report = (message: string) => options.onError?.(new Error(message));
  // Beside the database, named after it: the two belong together (journal-log.ts refuses a log
  // whose database has no record of it).
  const logDir = path === ":memory:" ? undefined : `${resolve(path)}.deliveries`;
  return createKyselyStore(db, "sqlite", { sync, journalNow, report, ...(logDir ? { logDir, rowJournal: createRowJournalWatch(dataVersion) } : {}) });
};

const postgresStore = async (url: string, options: OpenStoreOptions): Promise<Store> => {
  const { db, nameStatements } = await openPostgres(url, options);
  return createKyselyStore(db, "postgres", { nameStatements });
};

/**
 * Opens the database a DatabaseTarget names and returns the Store, migrated unless told not to.
 * Throws STORE_UNAVAILABLE naming the path or (password-free) URL when it cannot be opened.
 */
export async function openStore(target: DatabaseTarget, options: OpenStoreOptions = {}): Promise<Store> {
  const store =
    target.kind === "sqlite"
      ? sqliteStore(target.path, options)
      : await postgresStore(target.url, options);
  if (options.migrate === false) return store;
  try {
    await store.migrate();
  } catch (error) {
    await store.close().catch(() => undefined);
    const where = target.kind === "sqlite" ? `SQLite database ${target.path}` : `PostgreSQL database ${redactUrl(target.url)}`;
    throw new WahookError("STORE_UNAVAILABLE", `cannot prepare the ${where}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return store;
}
