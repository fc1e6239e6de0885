import type { AttemptRow, OutboxRow, OutboxState } from "../store.js";
import type { StoreContext } from "./context.js";
import { toAttemptRow, toOutboxRow } from "./rows.js";

/** Newest first. */
export async function listOutbox(ctx: StoreContext, filter: { states?: readonly OutboxState[]; limit: number }): Promise<OutboxRow[]> {
  const states = filter.states;
  if (states?.length === 0) return [];
  const rows = await ctx.db
    .selectFrom("wahook_outbox")
    .selectAll()
    .$if(states !== undefined, (qb) => qb.where("state", "in", [...(states ?? [])]))
    .orderBy("id", "desc")
    .limit(filter.limit)
    .execute();
  return rows.map(toOutboxRow);
}

export async function getOutbox(ctx: StoreContext, id: number): Promise<OutboxRow | undefined> {
  const row = await ctx.db.selectFrom("wahook_outbox").selectAll().where("id", "=", id).executeTakeFirst();
  return row && toOutboxRow(row);
}

export async function listAttempts(ctx: StoreContext, outboxId: number): Promise<AttemptRow[]> {
  const rows = await ctx.db.selectFrom("wahook_attempts").selectAll().where("outbox_id", "=", outboxId).orderBy("attempt").orderBy("id").execute();
  return rows.map(toAttemptRow);
}

/** An operator's retry: failed or dead goes back to pending, due now; attempts keep their history. */
export async function retryOutbox(ctx: StoreContext, id: number, nowMs: number): Promise<boolean> {
  const result = await ctx.db
    .updateTable("wahook_outbox")
    .set({ state: "pending", next_attempt_at_ms: nowMs, lease_owner: null, lease_until_ms: null, updated_at_ms: nowMs })
    .where("id", "=", id)
    .where("state", "in", ["failed", "dead"])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
