import type { AttemptLog, Claim, OutboxDraft, OutboxItem, SendOutcome } from "../store.js";
import { chunk, type StoreContext } from "./context.js";
import { toOutboxRow } from "./rows.js";
import { applyStoredStatuses, lockWamids } from "./statuses.js";

const draftRow = (draft: OutboxDraft, nowMs: number) => ({
  phone_number_id: draft.phoneNumberId,
  recipient: draft.recipient,
  kind: draft.kind,
  body: JSON.stringify(draft.body),
  state: "pending" as const,
  attempts: 0,
  created_at_ms: nowMs,
  next_attempt_at_ms: nowMs,
  updated_at_ms: nowMs,
});

/** Returns ids in draft order: one INSERT assigns ascending ids in VALUES order in both dialects. */
export async function enqueue(ctx: StoreContext, drafts: readonly OutboxDraft[], nowMs: number): Promise<number[]> {
  if (drafts.length === 0) return [];
  return ctx.db.transaction().execute(async (trx) => {
    const ids: number[] = [];
    for (const part of chunk(drafts)) {
      const rows = await trx.insertInto("wahook_outbox").values(part.map((d) => draftRow(d, nowMs))).returning("id").execute();
      ids.push(...rows.map((r) => Number(r.id)).sort((a, b) => a - b));
    }
    return ids;
  });
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
    .set({ lease_owner: claim.workerId, lease_until_ms: claim.nowMs + claim.leaseMs })
    .where("id", "in", (eb) => eb.selectFrom("due").select("due.id"))
    .returningAll()
    .execute();
  return rows
    .map((row) => {
      const { id, phoneNumberId, recipient, kind, body, attempts, createdAtMs, sourceMessageId } = toOutboxRow(row);
      return { id, phoneNumberId, recipient, kind, body, attempts, createdAtMs, sourceMessageId };
    })
    .sort((a, b) => a.id - b.id);
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
