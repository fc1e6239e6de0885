import { sql, type Kysely, type Transaction } from "kysely";
import { taggedBody } from "../../outbox/tag.js";
import type { OutboxDraft, OutboxItem } from "../store.js";
import type { Database, StoreDialect } from "../schema.js";
import { rowSet } from "./bound-lists.js";
import { prepare, type QueryRunner } from "./prepared.js";

/**
 * The ids come first, so each message body is stored already tagged with `wahook:<its id>`
 * (outbox/tag.ts) in the INSERT itself: nobody can claim a row before its tag is there, the
 * sender sends exactly what is stored, and no second UPDATE rewrites the bodies.
 * SQLite: the transaction holds the write lock (BEGIN IMMEDIATE), so the next ids are the
 * AUTOINCREMENT counter plus one, two...; inserting them advances the counter as usual.
 * PostgreSQL: taken from the identity column's own sequence, unique across instances.
 */
function nextIds(db: Kysely<Database>, dialect: StoreDialect): (trx: QueryRunner, count: number) => Promise<number[]> {
  if (dialect === "sqlite") {
    const last = prepare(db, [], () => sql<{ last: number }>`select coalesce((select seq from sqlite_sequence where name = 'wahook_outbox'), 0) as last`);
    return async (trx, count) => {
      const first = Number((await last.run(trx, {})).rows[0]?.last ?? 0) + 1;
      return Array.from({ length: count }, (_, i) => first + i);
    };
  }
  const take = prepare(db, ["count"], (p) => sql<{ id: number }>`select nextval(pg_get_serial_sequence('wahook_outbox', 'id')) as id from generate_series(1, cast(${p.count} as integer))`);
  return async (trx, count) => (await take.run(trx, { count })).rows.map((row) => Number(row.id)).sort((a, b) => a - b);
}

export const OUTBOX_ROW = {
  id: "bigint", phone_number_id: "text", recipient: "text", kind: "text", body: "text", source_message_id: "text", seq: "integer",
  lease_owner: "text", lease_until_ms: "bigint", claimed_at_ms: "bigint",
} as const;

function insert(db: Kysely<Database>, dialect: StoreDialect) {
  const rows = rowSet(dialect, "outbox", OUTBOX_ROW);
  const statement = prepare(db, [...rows.names, "nowMs"], (p) => {
    const now = sql<number>`cast(${p.nowMs} as bigint)`;
    return db
      .insertInto("wahook_outbox")
      .columns(["id", "phone_number_id", "recipient", "kind", "body", "state", "attempts", "created_at_ms", "next_attempt_at_ms", "updated_at_ms", "source_message_id", "seq", "lease_owner", "lease_until_ms", "claimed_at_ms"])
      .expression((eb) =>
        eb
          .selectFrom(rows.table(p).as("r"))
          .select([
            "r.id", "r.phone_number_id", "r.recipient", "r.kind", "r.body", sql.lit("pending").as("state"), sql.lit(0).as("attempts"), now.as("c"), now.as("n"), now.as("u"),
            "r.source_message_id", "r.seq", "r.lease_owner", "r.lease_until_ms", "r.claimed_at_ms",
          ])
          // SQLite's upsert after INSERT ... SELECT needs a WHERE, else ON CONFLICT parses as a join constraint.
          .where(sql<boolean>`true`),
      )
      // One inbound message's n-th reply exists once, whatever retries happen.
      .onConflict((oc) => oc.columns(["source_message_id", "seq"]).doNothing())
      .returning("id");
  });
  return { rows, statement };
}

export const outboxInsertStatements = (db: Kysely<Database>, dialect: StoreDialect) => ({ nextIds: nextIds(db, dialect), insert: insert(db, dialect) });
export type OutboxInsertStatements = ReturnType<typeof outboxInsertStatements>;

export interface SourcedDraft {
  draft: OutboxDraft;
  /** the inbound wamid whose handling produced it, null for a direct send */
  sourceMessageId: string | null;
  /** its position among that message's replies */
  seq: number | null;
}

/**
 * New rows leased at once to the local sender, as a claim would lease them, saving the claim
 * (its statement, its commit, reading the rows back). claimed_at_ms is set as by a claim, so if
 * this worker dies mid-send the next claim treats the row as ambiguous (outbox.ts), as it must.
 */
export interface InsertLease {
  workerId: string;
  nowMs: number;
  leaseMs: number;
  /** the first `limit` rows (in draft order) are leased, the rest are left due for any claim */
  limit: number;
}

/** The rows to insert for these drafts, ids[i] for drafts[i], each body tagged with its id. */
export const outboxRows = (drafts: readonly SourcedDraft[], ids: readonly number[], lease?: InsertLease) =>
  drafts.map(({ draft, sourceMessageId, seq }, i) => {
    const id = ids[i] as number;
    const leased = lease !== undefined && i < lease.limit;
    const body = taggedBody(draft.kind, draft.body, id) ?? draft.body;
    return {
      id, phone_number_id: draft.phoneNumberId, recipient: draft.recipient, kind: draft.kind, body: JSON.stringify(body), source_message_id: sourceMessageId, seq,
      lease_owner: leased ? lease.workerId : null, lease_until_ms: leased ? lease.nowMs + lease.leaseMs : null, claimed_at_ms: leased ? lease.nowMs : null,
      item: leased ? { id, phoneNumberId: draft.phoneNumberId, recipient: draft.recipient, kind: draft.kind, body, attempts: 0, createdAtMs: lease.nowMs, sourceMessageId, ambiguousSinceMs: null } : undefined,
    };
  });

/** What insertOutbox wrote: the new ids in draft order, and the inserted rows it leased. */
export interface InsertedOutbox {
  ids: number[];
  leased: OutboxItem[];
}

/** The leased rows among the inserted ones, as the sender takes them. */
export const leasedItems = (rows: ReturnType<typeof outboxRows>, inserted: ReadonlySet<number>): OutboxItem[] =>
  rows.flatMap((row) => (row.item && inserted.has(row.id) ? [row.item] : []));

/**
 * Inserts outbox rows, due now, in one statement whatever their number, and returns the new ids
 * in draft order. A (source, seq) that exists already is skipped (and its id left unused).
 */
export async function insertOutbox(statements: OutboxInsertStatements, trx: Transaction<Database>, drafts: readonly SourcedDraft[], nowMs: number, lease?: InsertLease): Promise<InsertedOutbox> {
  if (drafts.length === 0) return { ids: [], leased: [] };
  const ids = await statements.nextIds(trx, drafts.length);
  const rows = outboxRows(drafts, ids, lease);
  const { insert: { rows: rowSetOf, statement } } = statements;
  const inserted = new Set((await statement.run(trx, { ...rowSetOf.bind(rows), nowMs })).rows.map((row) => Number(row.id)));
  return { ids: ids.filter((id) => inserted.has(id)), leased: leasedItems(rows, inserted) };
}
