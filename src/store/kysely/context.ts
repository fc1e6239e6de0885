import { sql, type Kysely } from "kysely";
import type { Database, StoreDialect } from "../schema.js";
import { createStatements, type Statements } from "./statements.js";

/**
 * What every query module gets. `rowLocks` is the one switch most dialect differences hang on:
 * PostgreSQL has concurrent writers, so claims use FOR UPDATE SKIP LOCKED and explicit locks;
 * SQLite has one writer at a time (BEGIN IMMEDIATE), so the same statements run without them.
 */
export interface StoreContext {
  db: Kysely<Database>;
  dialect: StoreDialect;
  rowLocks: boolean;
  statements: Statements;
}

export const createContext = (db: Kysely<Database>, dialect: StoreDialect): StoreContext => ({
  db,
  dialect,
  rowLocks: dialect === "postgres",
  statements: createStatements(db, dialect),
});

/** Splits big multi-row inserts under both dialects' bound-parameter limits (SQLite: 32766). */
export function chunk<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Runs `work` so that its commit is on disk before it returns, even across a power loss: the
 * webhook acknowledges only after this. SQLite's other commits (claims, bot and outbox
 * bookkeeping) run with synchronous=NORMAL: a power loss may undo the last of them, which then
 * re-run (a claim, a handler) or wait for Meta's status confirmation (a send), and the fsync here
 * also makes them durable. PostgreSQL commits are always durable.
 */
export async function durably<T>(ctx: StoreContext, work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  if (ctx.dialect !== "sqlite") return work(ctx.db);
  // One connection for the pragma, the transaction and the reset, so nothing interleaves.
  return ctx.db.connection().execute(async (db) => {
    await sql`pragma synchronous = full`.execute(db);
    try {
      return await work(db);
    } finally {
      await sql`pragma synchronous = normal`.execute(db);
    }
  });
}
