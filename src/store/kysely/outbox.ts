import type { AttemptLog, Claim, OutboxDraft, OutboxItem, SendOutcome } from "../store.js";
import type { StoreContext } from "./context.js";
import { insertOutbox } from "./outbox-insert.js";
import { toOutboxItem } from "./rows.js";
import { applyStoredStatuses, lockWamids } from "./statuses.js";

/** Returns ids in draft order; message bodies are stored tagged (outbox-insert.ts). */
export async function enqueue(ctx: StoreContext, drafts: readonly OutboxDraft[], nowMs: number): Promise<number[]> {
  if (drafts.length === 0) return [];
  return ctx.db.transaction().execute((trx) => insertOutbox(trx, drafts, nowMs));
}

export async function claimOutbox(ctx: StoreContext, claim: Claim): Promise<OutboxItem[]> {
  if (claim.limit <= 0) return [];
  // One statement, so atomic in both dialects. The due rows are a MATERIALIZED CTE because
  // PostgreSQL may plan `id IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED)` as a semi-join that
  // rescans the subquery per row: rows it just updated then count as "locked", get skipped, and
  // the LIMIT is silently exceeded. A materialized CTE runs exactly once.
  const rows = await ctx.db
    .with(
      (cte) => cte("due").materialized(),
      (db) =>
        db
          .selectFrom("wahook_outbox")
          .select("id")
          .where("state", "=", "pending")
          .where("next_attempt_at_ms", "<=", claim.nowMs)
          .where((eb) => eb.or([eb("lease_until_ms", "is", null), eb("lease_until_ms", "<=", claim.nowMs)]))
          .orderBy("id")
          .limit(claim.limit)
          .$if(ctx.rowLocks, (qb) => qb.forUpdate().skipLocked()),
    )
    .updateTable("wahook_outbox")
    // SET reads the row as it was before this claim: a lease_owner still set means the previous
    // lease expired without settle, defer or release clearing it (they all do): its holder died
    // or stalled past its lease, perhaps after Meta accepted the send. Rows claimed before migration 002 have no
    // claimed_at_ms; their lease's end is a later (so more cautious) start.
    .set((eb) => ({
      lease_owner: claim.workerId,
      lease_until_ms: claim.nowMs + claim.leaseMs,
      claimed_at_ms: claim.nowMs,
      ambiguous_since_ms: eb.case().when("lease_owner", "is not", null).then(eb.fn.coalesce("claimed_at_ms", "lease_until_ms")).else(null).end(),
    }))
    .where("id", "in", (eb) => eb.selectFrom("due").select("due.id"))
    .returningAll()
    .execute();
  return rows.map(toOutboxItem).sort((a, b) => a.id - b.id);
}

const outcomeColumns = (outcome: SendOutcome) => {
  switch (outcome.kind) {
    case "sent":
      return { state: "sent" as const, wamid: outcome.wamid };
    case "retry":
      return { state: "pending" as const, next_attempt_at_ms: outcome.retryAtMs, last_error_code: outcome.error.code, last_error_title: outcome.error.title };
    case "failed":
    case "dead":
      return { state: outcome.kind, last_error_code: outcome.error.code, last_error_title: outcome.error.title };
  }
};

/**
 * Every settle writes one attempt row and moves the message on, only while workerId holds the
 * lease; a lost lease returns false having changed nothing. A returned wamid picks up statuses
 * that arrived before it (Meta can report "delivered" before the send call returns).
 */
export async function settleOutbox(ctx: StoreContext, item: OutboxItem, workerId: string, outcome: SendOutcome, attempt: AttemptLog, nowMs: number): Promise<boolean> {
  const wamid = outcome.kind === "sent" ? outcome.wamid : null;
  return ctx.db.transaction().execute(async (trx) => {
    if (wamid !== null) await lockWamids(ctx, trx, [wamid]);
    const row = await trx
      .updateTable("wahook_outbox")
      .set((eb) => ({ ...outcomeColumns(outcome), attempts: eb("attempts", "+", 1), lease_owner: null, lease_until_ms: null, updated_at_ms: nowMs }))
      .where("id", "=", item.id)
      .where("lease_owner", "=", workerId)
      .where("state", "=", "pending")
      .returning("attempts")
      .executeTakeFirst();
    if (!row) return false;
    const error = outcome.kind === "sent" ? null : outcome.error;
    await trx
      .insertInto("wahook_attempts")
      .values({
        outbox_id: item.id, attempt: Number(row.attempts), outcome: outcome.kind,
        // "sent" only follows a 2xx with a message id from Graph, which answers 200.
        http_status: error ? error.httpStatus : 200, error_code: error?.code ?? null, error_title: error?.title ?? null,
        started_at_ms: attempt.startedAtMs, duration_ms: attempt.durationMs,
      })
      .execute();
    if (wamid !== null) await applyStoredStatuses(trx, [wamid]);
    return true;
  });
}

/** No send token: back to pending, due at untilMs, without counting an attempt; only while leased by workerId. */
export async function deferOutbox(ctx: StoreContext, item: OutboxItem, workerId: string, untilMs: number): Promise<boolean> {
  const result = await ctx.db
    .updateTable("wahook_outbox")
    .set({ next_attempt_at_ms: untilMs, lease_owner: null, lease_until_ms: null })
    .where("id", "=", item.id)
    .where("lease_owner", "=", workerId)
    .where("state", "=", "pending")
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
