import type { Insertable, Transaction } from "kysely";
import type { WebhookEvent } from "../../events/types.js";
import type { ClaimedInboxItem, InboxLease, RecordResult } from "../store.js";
import type { Database, InboxTable } from "../schema.js";
import { confirmSends } from "./confirm.js";
import { chunk, durably, type StoreContext } from "./context.js";
import { planRecord, statusKey, tally, type RecordPlan } from "./record-plan.js";
import { statusRank } from "../../status/rank.js";
import { applyStoredStatuses, lockWamids } from "./statuses.js";
import { parseContactState } from "./rows.js";

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Rows go in a deterministic order so concurrent PostgreSQL transactions take unique-index locks
 * in the same order and cannot deadlock: inbox by contact then send time (equal keys keep arrival
 * order, which also fixes each contact's claim order), statuses and contacts by key.
 */
const inboxOrder = (a: RecordPlan["messages"][number], b: RecordPlan["messages"][number]) =>
  byText(a.row.phone_number_id, b.row.phone_number_id) || byText(a.row.contact_key, b.row.contact_key) || a.timestampSec - b.timestampSec;

/** message_id -> new inbox id, for the rows really inserted (not already recorded). */
async function insertMessages(trx: Transaction<Database>, rows: Insertable<InboxTable>[], nowMs: number): Promise<Map<string, number>> {
  const inserted = new Map<string, number>();
  for (const part of chunk(rows)) {
    const returned = await trx.insertInto("wahook_inbox").values(part).onConflict((oc) => oc.column("message_id").doNothing()).returning(["id", "message_id", "phone_number_id", "contact_key"]).execute();
    returned.forEach((r) => inserted.set(r.message_id, Number(r.id)));
    // Every contact with inbox items has a contacts row: PostgreSQL claims lock it (inbox.ts).
    const contacts = new Map(returned.map((r) => [`${r.phone_number_id}\u0000${r.contact_key}`, r]));
    const contactRows = [...contacts.keys()].sort(byText).map((key) => {
      const r = contacts.get(key) as (typeof returned)[number];
      return { phone_number_id: r.phone_number_id, contact_key: r.contact_key, state: null, updated_at_ms: nowMs };
    });
    if (contactRows.length > 0) {
      await trx.insertInto("wahook_contacts").values(contactRows).onConflict((oc) => oc.columns(["phone_number_id", "contact_key"]).doNothing()).execute();
    }
  }
  return inserted;
}

/**
 * Inserts the statuses and applies the new ones to their outbox rows. A new status carrying our
 * tag first settles the row it names (confirm.ts): one more statement, only for batches with one.
 */
async function insertStatuses(ctx: StoreContext, trx: Transaction<Database>, planned: RecordPlan["statuses"], nowMs: number): Promise<Set<string>> {
  const rows = planned.map((s) => s.row).sort((a, b) => byText(a.wamid, b.wamid) || byText(a.status, b.status));
  const inserted = new Set<string>();
  for (const part of chunk(rows)) {
    const returned = await trx.insertInto("wahook_statuses").values(part).onConflict((oc) => oc.columns(["wamid", "status"]).doNothing()).returning(["wamid", "status"]).execute();
    returned.forEach((r) => inserted.add(statusKey(r.wamid, r.status)));
  }
  const applicable = planned.filter((s) => inserted.has(s.key) && statusRank(s.row.status) > 0);
  const wamids = [...new Set(applicable.map((s) => s.row.wamid))].sort(byText);
  await lockWamids(ctx, trx, wamids);
  const proofs = applicable.flatMap((s) => (s.outboxId === undefined ? [] : [{ outboxId: s.outboxId, wamid: s.row.wamid, phoneNumberId: s.row.phone_number_id }]));
  await confirmSends(ctx, trx, proofs, nowMs);
  await applyStoredStatuses(trx, wamids);
  return inserted;
}

/**
 * The new items the claim rules allow, leased in the same transaction (InboxLease): built from
 * the rows just inserted, so only ids and contact states are read back.
 */
async function leaseInserted(ctx: StoreContext, trx: Transaction<Database>, rows: readonly Insertable<InboxTable>[], inserted: ReadonlyMap<string, number>, lease: InboxLease | undefined, nowMs: number): Promise<ClaimedInboxItem[]> {
  const statement = ctx.statements.inboxClaim.leaseNew;
  if (!statement || !lease || lease.limit <= 0 || inserted.size === 0) return [];
  const values = { nowMs, ids: JSON.stringify([...inserted.values()]), limit: lease.limit, workerId: lease.workerId, leaseUntilMs: nowMs + lease.leaseMs };
  const states = new Map((await statement.run(trx, values)).rows.map((row) => [Number(row.id), row.contact_state]));
  return rows.flatMap((row) => {
    const id = inserted.get(row.message_id);
    if (id === undefined || !states.has(id)) return [];
    const item = { id, messageId: row.message_id, phoneNumberId: row.phone_number_id, contactKey: row.contact_key, message: JSON.parse(row.message), attempts: 0, receivedAtMs: nowMs };
    return [{ ...item, contactState: parseContactState(states.get(id)) }];
  });
}

/**
 * Records the planned rows inside the caller's transaction and returns the per-delivery counts
 * (and the items leased, given an InboxLease): a few multi-row statements, whatever the batch size.
 */
export async function recordPlanned(ctx: StoreContext, trx: Transaction<Database>, plan: RecordPlan, nowMs: number, lease?: InboxLease): Promise<{ results: RecordResult[]; claimed: ClaimedInboxItem[] }> {
  if (plan.messages.length + plan.statuses.length + plan.errors.length === 0) return { results: plan.results, claimed: [] };
  const messages = [...plan.messages].sort(inboxOrder).map((m) => m.row);
  const insertedMessages = messages.length > 0 ? await insertMessages(trx, messages, nowMs) : new Map<string, number>();
  const insertedStatuses = plan.statuses.length > 0 ? await insertStatuses(ctx, trx, plan.statuses, nowMs) : new Set<string>();
  for (const part of chunk(plan.errors)) await trx.insertInto("wahook_webhook_errors").values(part).execute();
  const claimed = await leaseInserted(ctx, trx, messages, insertedMessages, lease, nowMs);
  return { results: tally(plan, insertedMessages, insertedStatuses), claimed };
}

/** Typed events straight into the keyed tables, in one transaction, durable on return. */
export async function record(ctx: StoreContext, deliveries: readonly (readonly WebhookEvent[])[], nowMs: number): Promise<RecordResult[]> {
  const plan = planRecord(deliveries, nowMs);
  if (plan.messages.length + plan.statuses.length + plan.errors.length === 0) return plan.results;
  return durably(ctx, (db) => db.transaction().execute(async (trx) => (await recordPlanned(ctx, trx, plan, nowMs)).results));
}
