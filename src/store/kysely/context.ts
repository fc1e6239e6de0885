import type { Kysely } from "kysely";
import type { Database, StoreDialect } from "../schema.js";

/**
 * What every query module gets. `rowLocks` is the one switch most dialect differences hang on:
 * PostgreSQL has concurrent writers, so claims use FOR UPDATE SKIP LOCKED and explicit locks;
 * SQLite has one writer at a time (BEGIN IMMEDIATE), so the same statements run without them.
 */
export interface StoreContext {
  db: Kysely<Database>;
  dialect: StoreDialect;
  rowLocks: boolean;
}

export const createContext = (db: Kysely<Database>, dialect: StoreDialect): StoreContext => ({
  db,
  dialect,
  rowLocks: dialect === "postgres",
});

/** Splits big multi-row inserts under both dialects' bound-parameter limits (SQLite: 32766). */
export function chunk<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
