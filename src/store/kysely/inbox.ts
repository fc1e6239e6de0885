import { sql, type Kysely } from "kysely";
import type { ContactState, InboxCompletion, InboxItem, InboxRow, InboxState } from "../store.js";
import type { Database, StoreDialect } from "../schema.js";
import { inList, listValue, rowSet } from "./bound-lists.js";
import type { StoreContext } from "./context.js";
import { insertOutbox } from "./outbox-insert.js";
import { prepare } from "./prepared.js";
import { parseContactState, toInboxRow } from "./rows.js";

const markDone = (db: Kysely<Database>, dialect: StoreDialect) =>
  prepare(db, ["ids", "workerId", "nowMs"], (p) =>
    db
      .updateTable("wahook_inbox")
      .set({ state: "done", lease_owner: null, lease_until_ms: null, finished_at_ms: p.nowMs })
      .where(inList(dialect, sql.ref("id"), p.ids, "bigint"))
      .where("lease_owner", "=", p.workerId)
      .where("state", "=", "pending")
      .returning("id"),
  );

function saveStates(db: Kysely<Database>, dialect: StoreDialect) {
  const rows = rowSet(dialect, "states", { phone_number_id: "text", contact_key: "text", state: "text" });
  const statement = prepare(db, [...rows.names, "nowMs"], (p) =>
    db
      .insertInto("wahook_contacts")
      .columns(["phone_number_id", "contact_key", "state", "updated_at_ms"])
      .expression((eb) => eb.selectFrom(rows.table(p).as("r")).select(["r.phone_number_id", "r.contact_key", "r.state", sql<number>`cast(${p.nowMs} as bigint)`.as("u")]).where(sql<boolean>`true`))
      .onConflict((oc) => oc.columns(["phone_number_id", "contact_key"]).doUpdateSet((eb) => ({ state: eb.ref("excluded.state"), updated_at_ms: eb.ref("excluded.updated_at_ms") }))),
  );
  return { rows, statement };
}

export const inboxStatements = (db: Kysely<Database>, dialect: StoreDialect) => ({ markDone: markDone(db, dialect), saveStates: saveStates(db, dialect) });

/**
 * Done, replies and contact state for a batch of items in ONE transaction, each only while
 * workerId still holds its lease (an expired lease nobody took over still counts: the work is
 * valid). The lease check comes first and decides per item: an item whose lease was lost gets
 * false and nothing written, the others complete. A failure rolls back the whole batch.
 */
export async function completeInboxItems(ctx: StoreContext, completions: readonly InboxCompletion[], workerId: string, nowMs: number): Promise<boolean[]> {
  if (completions.length === 0) return [];
  const { markDone: done, saveStates: save } = ctx.statements.inbox;
  return ctx.db.transaction().execute(async (trx) => {
    const ids = [...new Set(completions.map((c) => c.item.id))];
    const won = new Set((await done.run(trx, { ids: listValue(ctx.dialect, ids), workerId, nowMs })).rows.map((row) => Number(row.id)));
    // The same item twice in one batch (its lease expired and we claimed it again): once only.
    const results = completions.map((c) => won.delete(c.item.id));
    const completed = completions.filter((_, i) => results[i]);
    const drafts = completed.flatMap((c) => c.replies.map((draft, seq) => ({ draft, sourceMessageId: c.item.messageId, seq })));
    await insertOutbox(ctx.statements.outboxInsert, trx, drafts, nowMs);
    // One row per contact (PostgreSQL's upsert cannot touch a row twice in one statement).
    const states = new Map<string, { phone_number_id: string; contact_key: string; state: string }>();
    for (const { item, state } of completed) {
      if (state !== undefined) states.set(`${item.phoneNumberId}\u0000${item.contactKey}`, { phone_number_id: item.phoneNumberId, contact_key: item.contactKey, state: JSON.stringify(state) });
    }
    // Sorted by key like record's contact rows, so PostgreSQL row locks are taken in one order.
    const sorted = [...states.keys()].sort().map((key) => states.get(key) as { phone_number_id: string; contact_key: string; state: string });
    if (sorted.length > 0) await save.statement.run(trx, { ...save.rows.bind(sorted), nowMs });
    return results;
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
