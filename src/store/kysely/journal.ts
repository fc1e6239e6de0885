import { CompiledQuery, sql } from "kysely";
import type { WebhookEvent } from "../../events/types.js";
import type { Expansion, RecordResult } from "../store.js";
import { chunk, durably, type StoreContext } from "./context.js";
import { planRecord } from "./record-plan.js";
import { JOURNAL_INSERT_SQL } from "../sqlite/journal-writer.js";
import { recordPlanned } from "./record.js";


const asBuffer = (bytes: Uint8Array): Buffer => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

/**
 * The webhook's write before its 200: each verified body as received, one transaction for every
 * delivery of the batch, on disk when this resolves. SQLite binds each body as a BLOB with one
 * prepared statement; PostgreSQL takes the whole batch as one bytea[] parameter.
 */
export async function journal(ctx: StoreContext, bodies: readonly Uint8Array[], nowMs: number): Promise<void> {
  if (bodies.length === 0) return;
  if (ctx.journalNow?.(bodies.map(asBuffer), nowMs)) return ctx.sync();
  await durably(ctx, (db) =>
    db.transaction().execute(async (trx) => {
      if (ctx.dialect === "sqlite") {
        for (const body of bodies) await trx.executeQuery(CompiledQuery.raw(JOURNAL_INSERT_SQL, [asBuffer(body), nowMs]));
        return;
      }
      for (const part of chunk(bodies)) {
        await sql`insert into wahook_deliveries (body, received_at_ms) select b, ${nowMs} from unnest(cast(${part.map(asBuffer)} as bytea[])) as b`.execute(trx);
      }
    }),
  );
}

const sum = (results: readonly RecordResult[]): RecordResult =>
  results.reduce(
    (a, r) => ({
      messagesNew: a.messagesNew + r.messagesNew,
      messagesDuplicate: a.messagesDuplicate + r.messagesDuplicate,
      statusesNew: a.statusesNew + r.statusesNew,
      statusesDuplicate: a.statusesDuplicate + r.statusesDuplicate,
      errors: a.errors + r.errors,
    }),
    { messagesNew: 0, messagesDuplicate: 0, statusesNew: 0, statusesDuplicate: 0, errors: 0 },
  );

const describe = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 500);

/**
 * Oldest journal rows -> keyed records, and the rows leave the journal, in ONE transaction: a
 * crash before its commit leaves them to be expanded again, and the keys make that a no-op for
 * whatever a previous attempt already recorded. PostgreSQL instances skip each other's rows
 * (SKIP LOCKED). A body whose parse throws is marked and kept for an operator, never dropped.
 */
export async function expand(ctx: StoreContext, parse: (body: Uint8Array) => readonly WebhookEvent[], limit: number, nowMs: number): Promise<Expansion> {
  return ctx.db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom("wahook_deliveries")
      .select(["id", "body"])
      .where("expand_error", "is", null)
      .orderBy("id")
      .limit(limit)
      .$if(ctx.rowLocks, (qb) => qb.forUpdate().skipLocked())
      .execute();
    if (rows.length === 0) return { deliveries: 0, failed: 0, events: [], result: sum([]) };
    const parsed: (readonly WebhookEvent[])[] = [];
    const failed: { id: number; error: string }[] = [];
    const done: number[] = [];
    for (const row of rows) {
      try {
        parsed.push(parse(row.body));
        done.push(Number(row.id));
      } catch (error) {
        failed.push({ id: Number(row.id), error: describe(error) });
      }
    }
    const results = await recordPlanned(ctx, trx, planRecord(parsed, nowMs), nowMs);
    for (const part of chunk(done)) await trx.deleteFrom("wahook_deliveries").where("id", "in", part).execute();
    for (const f of failed) await trx.updateTable("wahook_deliveries").set({ expand_error: f.error }).where("id", "=", f.id).execute();
    return { deliveries: rows.length, failed: failed.length, events: parsed.flat(), result: sum(results) };
  });
}
