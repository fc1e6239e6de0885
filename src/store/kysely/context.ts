import type { Kysely } from "kysely";
import type { Database, StoreDialect } from "../schema.js";
import type { LogJournal } from "./journal-log.js";
import type { RowJournalWatch } from "./row-journal-watch.js";
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
  /** resolves once every commit made before the call is on disk (SQLite: sqlite/wal-sync.ts) */
  sync: () => Promise<void>;
  /** SQLite: the journal insert without Kysely when no transaction is open (sqlite/journal-writer.ts) */
  journalNow?: (bodies: readonly Buffer[], nowMs: number) => boolean;
  /** SQLite on a file: the delivery log that journals before the 200 (journal-log.ts) */
  log?: LogJournal;
  /** SQLite on a file: whether the row journal can be skipped (row-journal-watch.ts) */
  rowJournal?: RowJournalWatch;
  statements: Statements;
}

// PostgreSQL's COMMIT returns after its WAL flush (synchronous_commit = on): nothing to wait for.
const committed = () => Promise.resolve();

export const createContext = (db: Kysely<Database>, dialect: StoreDialect, fast: Partial<Pick<StoreContext, "sync" | "journalNow">> = {}): StoreContext => ({
  db,
  dialect,
  rowLocks: dialect === "postgres",
  sync: fast.sync ?? committed,
  ...(fast.journalNow ? { journalNow: fast.journalNow } : {}),
  statements: createStatements(db, dialect),
});

/** Splits big multi-row inserts under both dialects' bound-parameter limits (SQLite: 32766). */
export function chunk<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Runs `work`, then waits until its commit is on disk, even across a power loss: the webhook
 * acknowledges only after this. Other commits (claims, bot and outbox bookkeeping) do not wait:
 * a power loss may undo the last of them, which then re-run (a claim, a handler) or wait for
 * Meta's status confirmation (a send); and the next barrier makes them durable too.
 */
export async function durably<T>(ctx: StoreContext, work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  const result = await work(ctx.db);
  await ctx.sync();
  return result;
}
