import { sql, type Kysely } from "kysely";
import type { InboxBatchResult, InboxCompletion, ReplyLease } from "../store.js";
import type { Database, StoreDialect } from "../schema.js";
import { inList, listValue, rowSet } from "./bound-lists.js";
import type { StoreContext } from "./context.js";
import { insertOutbox, leasedItems, OUTBOX_ROW, outboxRows, type InsertLease, type SourcedDraft } from "./outbox-insert.js";
import { prepare } from "./prepared.js";
import type { Statements } from "./statements.js";

type StateRow = { phone_number_id: string; contact_key: string; state: string };

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

/**
 * PostgreSQL: the whole completion as ONE statement (data-modifying CTEs), so no BEGIN/COMMIT
 * and one round trip instead of five: the lease check marks the items done, and only the
 * replies and states of the items it returned are inserted. A single statement is atomic, and
 * every CTE runs to completion even though the final SELECT reads only `done`
 * (https://www.postgresql.org/docs/current/queries-with.html#QUERIES-WITH-MODIFYING).
 * It returns the done items' ids and the inserted replies' ids (reply = true).
 * Rows carry their item's id; each contact's state is the one of its last completion in the batch
 * (PostgreSQL's upsert cannot touch a row twice), taken in key order like record's contact rows.
 */
function completeAtOnce(db: Kysely<Database>) {
  const replies = rowSet("postgres", "replies", { item_id: "bigint", ...OUTBOX_ROW });
  const states = rowSet("postgres", "states", { item_id: "bigint", ord: "integer", phone_number_id: "text", contact_key: "text", state: "text" });
  const statement = prepare(db, ["ids", "workerId", "nowMs", ...replies.names, ...states.names], (p) => {
    const now = sql`cast(${p.nowMs} as bigint)`;
    return sql<{ id: number; reply: boolean }>`with done as (
        update wahook_inbox set state = 'done', lease_owner = null, lease_until_ms = null, finished_at_ms = ${now}
        where id = any(cast(${p.ids} as bigint[])) and lease_owner = ${p.workerId} and state = 'pending'
        returning id
      ), replies as (
        insert into wahook_outbox (id, phone_number_id, recipient, kind, body, state, attempts, created_at_ms, next_attempt_at_ms, updated_at_ms, source_message_id, seq, lease_owner, lease_until_ms, claimed_at_ms)
        select r.id, r.phone_number_id, r.recipient, r.kind, r.body, 'pending', 0, ${now}, ${now}, ${now}, r.source_message_id, r.seq, r.lease_owner, r.lease_until_ms, r.claimed_at_ms
        from ${replies.table(p)} as r where r.item_id in (select id from done)
        on conflict (source_message_id, seq) do nothing
        returning id
      ), states as (
        insert into wahook_contacts (phone_number_id, contact_key, state, updated_at_ms)
        select distinct on (s.phone_number_id, s.contact_key) s.phone_number_id, s.contact_key, s.state, ${now}
        from ${states.table(p)} as s where s.item_id in (select id from done)
        order by s.phone_number_id, s.contact_key, s.ord desc
        on conflict (phone_number_id, contact_key) do update set state = excluded.state, updated_at_ms = excluded.updated_at_ms
        returning 1
      )
      select id, false as reply from done union all select id, true as reply from replies`;
  });
  return { replies, states, statement };
}

export const inboxStatements = (db: Kysely<Database>, dialect: StoreDialect) => ({
  markDone: markDone(db, dialect),
  saveStates: saveStates(db, dialect),
  completeAtOnce: dialect === "postgres" ? completeAtOnce(db) : undefined,
});

/** One row per contact, sorted by key like record's contact rows (PostgreSQL row locks in one order). */
function statesOf(completed: readonly InboxCompletion[]): StateRow[] {
  const states = new Map<string, StateRow>();
  for (const { item, state } of completed) {
    if (state !== undefined) states.set(`${item.phoneNumberId}\u0000${item.contactKey}`, { phone_number_id: item.phoneNumberId, contact_key: item.contactKey, state: JSON.stringify(state) });
  }
  return [...states.keys()].sort().map((key) => states.get(key) as StateRow);
}

const draftsOf = (completions: readonly InboxCompletion[]): SourcedDraft[] =>
  completions.flatMap((c) => c.replies.map((draft, seq) => ({ draft, sourceMessageId: c.item.messageId, seq })));

/**
 * Done, replies and contact state for a batch of items in ONE transaction, each only while
 * workerId still holds its lease (an expired lease nobody took over still counts: the work is
 * valid). The lease check comes first and decides per item: an item whose lease was lost gets
 * false and nothing written, the others complete. A failure rolls back the whole batch.
 * The same item twice in one batch (its lease expired and we claimed it again) completes once:
 * its first completion counts.
 */
export async function completeInboxItems(ctx: StoreContext, completions: readonly InboxCompletion[], workerId: string, nowMs: number, lease?: ReplyLease): Promise<InboxBatchResult> {
  if (completions.length === 0) return { completed: [], leased: [] };
  const firstOf = new Map<number, InboxCompletion>();
  for (const c of completions) if (!firstOf.has(c.item.id)) firstOf.set(c.item.id, c);
  const candidates = [...firstOf.values()];
  const insertLease = lease && lease.limit > 0 ? { workerId, nowMs, leaseMs: lease.leaseMs, limit: lease.limit } : undefined;
  const { won, leased } = ctx.statements.inbox.completeAtOnce
    ? await completeInOneStatement(ctx, candidates, workerId, nowMs, insertLease)
    : await completeInTransaction(ctx, candidates, workerId, nowMs, insertLease);
  // Leased replies go to Graph next: their commit must survive a power loss first (see claimOutbox).
  if (leased.length > 0) await ctx.sync();
  return { completed: completions.map((c) => firstOf.get(c.item.id) === c && won.has(c.item.id)), leased };
}

interface Completed {
  won: Set<number>;
  leased: InboxBatchResult["leased"];
}

/** PostgreSQL: the reply ids first (a sequence is not transactional anyway), then the one statement. */
async function completeInOneStatement(ctx: StoreContext, candidates: readonly InboxCompletion[], workerId: string, nowMs: number, lease: InsertLease | undefined): Promise<Completed> {
  const at = ctx.statements.inbox.completeAtOnce as NonNullable<Statements["inbox"]["completeAtOnce"]>;
  const drafts = draftsOf(candidates);
  const ids = drafts.length > 0 ? await ctx.statements.outboxInsert.nextIds(ctx.db, drafts.length) : [];
  const itemOf = candidates.flatMap((c) => c.replies.map(() => c.item.id));
  const rows = outboxRows(drafts, ids, lease);
  const replies = rows.map((row, i) => ({ ...row, item_id: itemOf[i] }));
  const states = candidates.flatMap((c, ord) =>
    c.state === undefined ? [] : [{ item_id: c.item.id, ord, phone_number_id: c.item.phoneNumberId, contact_key: c.item.contactKey, state: JSON.stringify(c.state) }],
  );
  const items = listValue(ctx.dialect, candidates.map((c) => c.item.id));
  const result = await at.statement.run(ctx.db, { ids: items, workerId, nowMs, ...at.replies.bind(replies), ...at.states.bind(states) });
  const inserted = new Set(result.rows.filter((row) => row.reply).map((row) => Number(row.id)));
  return { won: new Set(result.rows.filter((row) => !row.reply).map((row) => Number(row.id))), leased: leasedItems(rows, inserted) };
}

/** SQLite: a few prepared statements in one transaction (in-process calls, cheap under its single writer). */
async function completeInTransaction(ctx: StoreContext, candidates: readonly InboxCompletion[], workerId: string, nowMs: number, lease: InsertLease | undefined): Promise<Completed> {
  const { markDone: done, saveStates: save } = ctx.statements.inbox;
  return ctx.db.transaction().execute(async (trx) => {
    const ids = candidates.map((c) => c.item.id);
    const won = new Set((await done.run(trx, { ids: listValue(ctx.dialect, ids), workerId, nowMs })).rows.map((row) => Number(row.id)));
    const completed = candidates.filter((c) => won.has(c.item.id));
    const { leased } = await insertOutbox(ctx.statements.outboxInsert, trx, draftsOf(completed), nowMs, lease);
    const sorted = statesOf(completed);
    if (sorted.length > 0) await save.statement.run(trx, { ...save.rows.bind(sorted), nowMs });
    return { won, leased };
  });
}
