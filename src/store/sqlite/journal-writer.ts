import type BetterSqlite3 from "better-sqlite3";

/**
 * The webhook's one statement, straight on better-sqlite3: the journal insert is the only write
 * before the 200, and Kysely's async transaction machinery (mutex, promises per statement) cost
 * more than the insert itself there. Returns false, writing nothing, when the connection is
 * inside a transaction (one of Kysely's, between two awaits): the caller then goes through
 * Kysely, which waits its turn. Better-sqlite3 is synchronous, so nothing can begin in between.
 */
/** The ack path's only statement; fixed text, so either path prepares it once. */
export const JOURNAL_INSERT_SQL = "insert into wahook_deliveries (body, received_at_ms) values (?, ?)";

export function createJournalWriter(sqlite: BetterSqlite3.Database): (bodies: readonly Buffer[], nowMs: number) => boolean {
  let write: BetterSqlite3.Transaction<(bodies: readonly Buffer[], nowMs: number) => void> | undefined;
  const prepare = () => {
    const insert = sqlite.prepare(JOURNAL_INSERT_SQL);
    return sqlite.transaction((bodies: readonly Buffer[], nowMs: number) => {
      for (const body of bodies) insert.run(body, nowMs);
    });
  };
  return (bodies, nowMs) => {
    if (sqlite.inTransaction) return false;
    // Prepared at first use: the table exists only once migrations have run.
    write ??= prepare();
    // BEGIN IMMEDIATE, like every other write transaction here (sqlite/open.ts).
    write.immediate(bodies, nowMs);
    return true;
  };
}
