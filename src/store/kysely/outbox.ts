import { sql, type Kysely } from "kysely";
import type { Claim, OutboxDraft, OutboxItem } from "../store.js";
import type { Database, StoreDialect } from "../schema.js";
import { inList, listValue } from "./bound-lists.js";
import type { StoreContext } from "./context.js";
import { insertOutbox } from "./outbox-insert.js";
import { prepare } from "./prepared.js";
import { toOutboxItem } from "./rows.js";

/**
 * One statement, so atomic in both dialects. The due rows are a MATERIALIZED CTE because
 * PostgreSQL may plan `id IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED)` as a semi-join that
 * rescans the subquery per row: rows it just updated then count as "locked", get skipped, and
 * the LIMIT is silently exceeded. A materialized CTE runs exactly once.
 */
const claim = (db: Kysely<Database>, dialect: StoreDialect) =>
  prepare(db, ["nowMs", "limit", "workerId", "leaseUntilMs"], (p) =>
    db
      .with(
        (cte) => cte("due").materialized(),
        (qc) =>
          qc
            .selectFrom("wahook_outbox")
            .select("id")
            .where("state", "=", "pending")
            .where("next_attempt_at_ms", "<=", p.nowMs)
            .where((eb) => eb.or([eb("lease_until_ms", "is", null), eb("lease_until_ms", "<=", p.nowMs)]))
            .orderBy("id")
            .limit(p.limit)
            .$if(dialect === "postgres", (qb) => qb.forUpdate().skipLocked()),
      )
      .updateTable("wahook_outbox")
      // SET reads the row as it was before this claim: a lease_owner still set means the previous
      // lease expired without settle, defer or release clearing it (they all do): its holder died
      // or stalled past its lease, perhaps after Meta accepted the send. Rows claimed before migration 002 have no
      // claimed_at_ms; their lease's end is a later (so more cautious) start.
      .set((eb) => ({
        lease_owner: p.workerId,
        lease_until_ms: p.leaseUntilMs,
        claimed_at_ms: p.nowMs,
        ambiguous_since_ms: eb.case().when("lease_owner", "is not", null).then(eb.fn.coalesce("claimed_at_ms", "lease_until_ms")).else(null).end(),
      }))
      .where("id", "in", (eb) => eb.selectFrom("due").select("due.id"))
      .returningAll(),
  );

/** No send token: back to pending, due at untilMs, without counting an attempt; only while leased by workerId. */
const defer = (db: Kysely<Database>, dialect: StoreDialect) =>
  prepare(db, ["ids", "workerId", "untilMs"], (p) =>
    db
      .updateTable("wahook_outbox")
      .set({ next_attempt_at_ms: p.untilMs, lease_owner: null, lease_until_ms: null })
      .where(inList(dialect, sql.ref("id"), p.ids, "bigint"))
      .where("lease_owner", "=", p.workerId)
      .where("state", "=", "pending")
      .returning("id"),
  );

export const outboxStatements = (db: Kysely<Database>, dialect: StoreDialect) => ({ claim: claim(db, dialect), defer: defer(db, dialect) });

/** Returns ids in draft order; message bodies are stored tagged (outbox-insert.ts). */
export async function enqueue(ctx: StoreContext, drafts: readonly OutboxDraft[], nowMs: number): Promise<number[]> {
  if (drafts.length === 0) return [];
  const sourced = drafts.map((draft) => ({ draft, sourceMessageId: null, seq: null }));
  return ctx.db.transaction().execute(async (trx) => (await insertOutbox(ctx.statements.outboxInsert, trx, sourced, nowMs)).ids);
}

export async function claimOutbox(ctx: StoreContext, claim: Claim): Promise<OutboxItem[]> {
  if (claim.limit <= 0) return [];
  const values = { nowMs: claim.nowMs, limit: claim.limit, workerId: claim.workerId, leaseUntilMs: claim.nowMs + claim.leaseMs };
  const { rows } = await ctx.statements.outbox.claim.run(ctx.db, values);
  // Nothing leaves for Graph before the commits that created it (and this claim) are on disk:
  // else a power loss could undo a reply Meta already delivered, and the retry would send it
  // again. One shared fdatasync on SQLite (sqlite/wal-sync.ts), nothing on PostgreSQL.
  if (rows.length > 0) await ctx.sync();
  return rows.map(toOutboxItem).sort((a, b) => a.id - b.id);
}

/** One statement for the batch; true for each item that was still leased by workerId. */
export async function deferOutboxItems(ctx: StoreContext, items: readonly OutboxItem[], workerId: string, untilMs: number): Promise<boolean[]> {
  if (items.length === 0) return [];
  const ids = [...new Set(items.map((item) => item.id))];
  const { rows } = await ctx.statements.outbox.defer.run(ctx.db, { ids: listValue(ctx.dialect, ids), workerId, untilMs });
  const deferred = new Set(rows.map((row) => Number(row.id)));
  return items.map((item) => deferred.delete(item.id));
}
