import { CompiledQuery, sql } from "kysely";
import type { WebhookEvent } from "../../events/types.js";
import type { Expansion, InboxLease } from "../store.js";
import { chunk, durably, type StoreContext } from "./context.js";
import { JOURNAL_INSERT_SQL } from "../sqlite/journal-writer.js";
import { expandInside } from "./journal-expand.js";

const asBuffer = (bytes: Uint8Array): Buffer => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

/**
 * The webhook's write before its 200: each verified body as received, one transaction for every
 * delivery of the batch, on disk when this resolves. SQLite binds each body as a BLOB with one
 * prepared statement; PostgreSQL takes the whole batch as one bytea[] parameter.
 */
export async function journal(ctx: StoreContext, bodies: readonly Uint8Array[], nowMs: number): Promise<void> {
  if (bodies.length === 0) return;
  const buffers = bodies.map(asBuffer);
  if (ctx.log && (await ctx.log.append(buffers))) return;
  // Counted even when the write or its sync fails: rows may have been committed all the same.
  try {
    if (ctx.journalNow?.(buffers, nowMs)) return await ctx.sync();
    await durably(ctx, (db) =>
      db.transaction().execute(async (trx) => {
        if (ctx.dialect === "sqlite") {
          for (const body of buffers) await trx.executeQuery(CompiledQuery.raw(JOURNAL_INSERT_SQL, [body, nowMs]));
          return;
        }
        for (const part of chunk(buffers)) {
          await sql`insert into wahook_deliveries (body, received_at_ms) select b, ${nowMs} from unnest(cast(${part} as bytea[])) as b`.execute(trx);
        }
      }),
    );
  } finally {
    ctx.rowJournal?.wrote();
  }
}

/**
 * Oldest journal rows -> keyed records, and the rows leave the journal, in ONE transaction: a
 * crash before its commit leaves them to be expanded again, and the keys make that a no-op for
 * whatever a previous attempt already recorded. A body whose parse throws is marked and kept for
 * an operator, never dropped.
 * PostgreSQL: one expansion at a time across instances (an advisory lock), taking the oldest rows.
 * Inbox ids follow the order of expansion, and the bot takes a contact's messages in id order;
 * with instances expanding side by side (SKIP LOCKED, as before) a later batch could commit first,
 * or a killed instance's rows come back after newer ones, and a contact's messages were answered
 * out of order (test/e2e/multi-instance.test.ts). An expansion is a few ms; the others queue.
 * On a SQLite file the rows come first (another process journaled them while this one did not
 * own the delivery log, or they predate it), then the log (journal-log.ts).
 */
export async function expand(ctx: StoreContext, parse: (body: Uint8Array) => readonly WebhookEvent[], limit: number, nowMs: number, lease?: InboxLease): Promise<Expansion> {
  const fromRows = ctx.rowJournal?.drained() ? undefined : await expandRows(ctx, parse, limit, nowMs, lease);
  return fromRows ?? (await ctx.log?.expand(parse, limit, nowMs, lease)) ?? EMPTY;
}

async function expandRows(ctx: StoreContext, parse: (body: Uint8Array) => readonly WebhookEvent[], limit: number, nowMs: number, lease?: InboxLease): Promise<Expansion | undefined> {
  const read = ctx.rowJournal?.reading();
  let mayRemain = true;
  const expansion = await ctx.db.transaction().execute(async (trx) => {
    if (ctx.rowLocks) await sql`select pg_advisory_xact_lock(${EXPAND_LOCK_KEY}, hashtext(coalesce(current_schema(), '')))`.execute(trx);
    const rows = await trx
      .selectFrom("wahook_deliveries")
      .select(["id", "body"])
      .where("expand_error", "is", null)
      .orderBy("id")
      .limit(limit)
      .execute();
    // Fewer than asked: every row there was is expanded (or marked failed) once this commits.
    mayRemain = rows.length >= limit;
    if (rows.length === 0) return undefined;
    const { expansion: done, failed, parsedIndexes } = await expandInside(ctx, trx, rows.map((row) => row.body), parse, nowMs, lease);
    const idOf = (index: number) => Number(rows[index]?.id);
    for (const part of chunk(parsedIndexes.map(idOf))) await trx.deleteFrom("wahook_deliveries").where("id", "in", part).execute();
    for (const f of failed) await trx.updateTable("wahook_deliveries").set({ expand_error: f.error }).where("id", "=", idOf(f.index)).execute();
    return done;
  });
  read?.found(mayRemain);
  return expansion;
}

/** First key of the two-int advisory lock (the second is the schema, as in migrations/migrate.ts). */
const EXPAND_LOCK_KEY = 0x77616865; // "wahe"

const EMPTY: Expansion = { deliveries: 0, failed: 0, events: [], result: { messagesNew: 0, messagesDuplicate: 0, statusesNew: 0, statusesDuplicate: 0, errors: 0 }, claimed: [] };
