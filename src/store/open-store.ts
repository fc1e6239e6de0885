import type { DatabaseTarget } from "../config.js";
import { WahookError } from "../errors.js";
import type { Store } from "./store.js";
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
  /** PostgreSQL only: errors of idle pooled connections (logged by the caller, never thrown) */
  onError?: (error: Error) => void;
}

/**
 * Opens the database a DatabaseTarget names and returns the Store, migrated unless told not to.
 * Throws STORE_UNAVAILABLE naming the path or (password-free) URL when it cannot be opened.
 */
export async function openStore(target: DatabaseTarget, options: OpenStoreOptions = {}): Promise<Store> {
  const store =
    target.kind === "sqlite"
      ? createKyselyStore(openSqlite(target.path, { busyTimeoutMs: options.statementTimeoutMs }), "sqlite")
      : createKyselyStore(await openPostgres(target.url, options), "postgres");
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
