/**
 * Whether the row journal (wahook_deliveries) may hold deliveries to expand, so that an expansion
 * on a SQLite file can skip reading it. While this process owns the delivery log, rows come only
 * from this process when it could not append to the log, or from another process on the same
 * file. Reading them anyway cost a transaction of its own (BEGIN IMMEDIATE, a select, COMMIT)
 * before every expansion, and after every productive one the loop's next tick found the log
 * empty and paid it again: at 200 msg/s, 5,987 such reads for 3,000 messages.
 *
 * Another connection's commit changes `PRAGMA data_version` of ours (sqlite.org/pragma.html
 * #pragma_data_version); our own commits and the checkpoint thread's PASSIVE checkpoints do not,
 * so this process's own row writes are counted here instead.
 */
export interface RowJournalWatch {
  /** true when no row can have arrived since a read found the journal drained */
  drained(): boolean;
  /** starts a read of the journal; call `found` with whether rows may remain after it */
  reading(): { found(mayRemain: boolean): void };
  /** this process committed rows to the journal */
  wrote(): void;
}

export function createRowJournalWatch(dataVersion: () => number): RowJournalWatch {
  let writes = 0;
  // The state (own writes, data_version) when a read last found nothing left; undefined: never.
  let clean: { writes: number; version: number } | undefined;
  return {
    drained: () => clean !== undefined && clean.writes === writes && clean.version === dataVersion(),
    reading() {
      // Taken before the read: a write that commits after this point changes one of the two.
      const at = { writes, version: dataVersion() };
      return { found: (mayRemain) => void (clean = mayRemain ? undefined : at) };
    },
    wrote: () => void (writes += 1),
  };
}
