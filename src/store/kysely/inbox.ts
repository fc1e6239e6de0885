import type { ContactState, InboxItem, InboxRow, InboxState, OutboxDraft } from "../store.js";
import type { StoreContext } from "./context.js";
import { insertOutbox } from "./outbox-insert.js";
import { parseContactState, toInboxRow } from "./rows.js";

/**
 * Done, replies and contact state in one transaction, only while workerId still holds the lease
 * (an expired lease nobody took over still counts: the work is valid). The lease check comes first,
 * so a lost lease returns before anything is written.
 */
export async function completeInbox(
  ctx: StoreContext,
  item: InboxItem,
  workerId: string,
  result: { replies: readonly OutboxDraft[]; state?: ContactState },
  nowMs: number,
): Promise<boolean> {
  return ctx.db.transaction().execute(async (trx) => {
    const done = await trx
      .updateTable("wahook_inbox")
      .set({ state: "done", lease_owner: null, lease_until_ms: null, finished_at_ms: nowMs })
      .where("id", "=", item.id)
      .where("lease_owner", "=", workerId)
      .where("state", "=", "pending")
      .returning("id")
      .executeTakeFirst();
    if (!done) return false;
    if (result.replies.length > 0) await insertOutbox(trx, result.replies, nowMs, item.messageId);
    if (result.state !== undefined) {
      const state = JSON.stringify(result.state);
      await trx
        .insertInto("wahook_contacts")
        .values({ phone_number_id: item.phoneNumberId, contact_key: item.contactKey, state, updated_at_ms: nowMs })
        .onConflict((oc) => oc.columns(["phone_number_id", "contact_key"]).doUpdateSet({ state, updated_at_ms: nowMs }))
        .execute();
    }
    return true;
  });
}

/** The handler failed: due again at retryAtMs (its contact's later items keep waiting), or parked as failed. */
export async function failInbox(
  ctx: StoreContext,
  item: InboxItem,
  workerId: string,
  failure: { error: string; retryAtMs: number | null },
  nowMs: number,
): Promise<boolean> {
  const parked = failure.retryAtMs === null;
  const result = await ctx.db
    .updateTable("wahook_inbox")
    .set((eb) => ({
      attempts: eb("attempts", "+", 1),
      last_error: failure.error,
      lease_owner: null,
      lease_until_ms: null,
      state: parked ? "failed" : "pending",
      next_attempt_at_ms: failure.retryAtMs ?? eb.ref("next_attempt_at_ms"),
      finished_at_ms: parked ? nowMs : null,
    }))
    .where("id", "=", item.id)
    .where("lease_owner", "=", workerId)
    .where("state", "=", "pending")
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function getContactState(ctx: StoreContext, phoneNumberId: string, contactKey: string): Promise<ContactState> {
  const row = await ctx.db.selectFrom("wahook_contacts").select("state").where("phone_number_id", "=", phoneNumberId).where("contact_key", "=", contactKey).executeTakeFirst();
  return parseContactState(row?.state);
}

/** Newest first: what an operator looking at the inbox wants to see. */
export async function listInbox(ctx: StoreContext, filter: { state?: InboxState; limit: number }): Promise<InboxRow[]> {
  const rows = await ctx.db
    .selectFrom("wahook_inbox")
    .selectAll()
    .$if(filter.state !== undefined, (qb) => qb.where("state", "=", filter.state as InboxState))
    .orderBy("id", "desc")
    .limit(filter.limit)
    .execute();
  return rows.map(toInboxRow);
}
