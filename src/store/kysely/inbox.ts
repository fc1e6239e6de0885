import type { ContactState, InboxItem, InboxRow, InboxState } from "../store.js";
import type { StoreContext } from "./context.js";
import { parseContactState, toInboxRow } from "./rows.js";

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
