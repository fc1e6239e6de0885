import { sql, type Kysely, type QueryCreator } from "kysely";
import type { Claim, ClaimedInboxItem } from "../store.js";
import type { Database, StoreDialect } from "../schema.js";
import type { StoreContext } from "./context.js";
import { rowSet, type RowSet } from "./bound-lists.js";
import { prepare } from "./prepared.js";
import { parseContactState, toInboxItem } from "./rows.js";

/**
 * The claim's rules for a pending row `i`: due, lease free or expired, and the oldest pending
 * item of its contact while no item of that contact is leased. "Oldest" is the smallest id; the
 * lease probe covers a newer id too, because in PostgreSQL a lower id can commit after a higher
 * one has already been claimed. At most one item per contact follows from "oldest".
 * One definition for the claim and for an expansion's lease of its new rows (leaseNew).
 */
const claimRules = (nowMs: unknown) => sql<boolean>`i.next_attempt_at_ms <= ${nowMs} and (i.lease_until_ms is null or i.lease_until_ms <= ${nowMs})
  and not exists (
    select o.id from wahook_inbox as o
    where o.phone_number_id = i.phone_number_id and o.contact_key = i.contact_key and o.state = 'pending' and (o.id < i.id or o.lease_until_ms > ${nowMs})
  )`;

/** Inbox items a worker may take now, oldest first. */
const claimable = (qc: QueryCreator<Database>, nowMs: number) => qc.selectFrom("wahook_inbox as i").where("i.state", "=", "pending").where(claimRules(nowMs)).orderBy("i.id");

/**
 * PostgreSQL per-contact exclusion. Every contact with inbox items has a wahook_contacts row
 * (record inserts it). A claim first locks the contact rows of its candidates with FOR UPDATE
 * SKIP LOCKED, then re-selects and leases items only for the contacts it locked, in a NEW
 * statement. Under READ COMMITTED that statement's snapshot is taken after our locks were
 * granted, i.e. after every earlier claimer of those contacts committed, so it sees their leases:
 * two claimers can never both lease items of one contact, whatever their snapshots were when
 * they started. Candidates locked by a concurrent claimer are skipped, never waited for.
 * (SKIP LOCKED on the item rows alone is not enough: a claimer whose snapshot predates another's
 * uncommitted lease on item 6 sees no lease and may take item 5 of the same contact when 5
 * committed late; test/contract/postgres-claim-race.ts reproduces exactly that.)
 * An advisory lock per contact hash would work too; a real row needs no hashing and also holds
 * the contact's bot state.
 */
const lockContacts = (db: Kysely<Database>) =>
  prepare(db, ["nowMs", "candidates", "limit"], (p) => {
    // Over-fetch candidates so claimers starting together spread over contacts instead of all
    // skipping the same few; LIMIT above the lock stops locking once `limit` contacts are held.
    const candidates = claimable(db, p.nowMs).select(["i.id", "i.phone_number_id", "i.contact_key"]).limit(p.candidates);
    return db
      .selectFrom("wahook_contacts as c")
      .innerJoin(candidates.as("x"), (join) => join.onRef("x.phone_number_id", "=", "c.phone_number_id").onRef("x.contact_key", "=", "c.contact_key"))
      .select(["c.phone_number_id", "c.contact_key"])
      .orderBy("x.id")
      .limit(p.limit)
      .forUpdate("c")
      .skipLocked();
  });

/**
 * The lease itself, one statement: UPDATE of the chosen ids, returning each item with its
 * contact's bot state (the contact's items are ours alone while this lease holds, so the state
 * cannot change before our completion writes it). MATERIALIZED: runs once, see claimOutbox in
 * outbox.ts for the PostgreSQL rescan trap. PostgreSQL also limits it to the contacts it locked.
 */
function lease(db: Kysely<Database>, dialect: StoreDialect, locked: RowSet<"phone_number_id" | "contact_key">) {
  const rowLocks = dialect === "postgres";
  return prepare(db, ["nowMs", "limit", "workerId", "leaseUntilMs", ...(rowLocks ? locked.names : [])], (p) =>
    db
      .with(
        (cte) => cte("chosen").materialized(),
        () =>
          claimable(db, p.nowMs)
            .$if(rowLocks, (qb) => qb.where(sql<boolean>`(i.phone_number_id, i.contact_key) in (select l.phone_number_id, l.contact_key from ${locked.table(p)} as l)`))
            .select("i.id")
            .limit(p.limit)
            // An item row locked by a concurrent complete/fail is skipped: the claimer never
            // waits while holding contact locks, so it cannot take part in a deadlock.
            .$if(rowLocks, (qb) => qb.forUpdate().skipLocked()),
      )
      .updateTable("wahook_inbox")
      .set({ lease_owner: p.workerId, lease_until_ms: p.leaseUntilMs })
      .where("id", "in", (eb) => eb.selectFrom("chosen").select("chosen.id"))
      .returningAll()
      .returning((eb) =>
        eb
          .selectFrom("wahook_contacts as s")
          .select("s.state")
          .whereRef("s.phone_number_id", "=", "wahook_inbox.phone_number_id")
          .whereRef("s.contact_key", "=", "wahook_inbox.contact_key")
          .as("contact_state"),
      ),
  );
}

/**
 * SQLite: the claim's rules (claimable above) for the rows just inserted by the caller's
 * transaction (an expansion), reading back only what the caller lacks: the id and the contact's
 * bot state. The transaction holds SQLite's one write lock, so no claimer can lease in between.
 * The bound ids lead the join (CROSS JOIN fixes SQLite's loop order, and `+` keeps the state
 * index out of it): without statistics the planner would otherwise walk every pending row.
 * PostgreSQL does not use it: there a claim must lock contacts first (lockContacts).
 */
const leaseNew = (db: Kysely<Database>) =>
  prepare(db, ["nowMs", "ids", "limit", "workerId", "leaseUntilMs"], (p) =>
    sql<{ id: number; contact_state: string | null }>`update wahook_inbox set lease_owner = ${p.workerId}, lease_until_ms = ${p.leaseUntilMs}
      where id in (
        select i.id from json_each(${p.ids}) as j cross join wahook_inbox as i
        where i.id = j.value and +i.state = 'pending' and ${claimRules(p.nowMs)}
        order by i.id limit ${p.limit}
      )
      returning id, (select s.state from wahook_contacts as s where s.phone_number_id = wahook_inbox.phone_number_id and s.contact_key = wahook_inbox.contact_key) as contact_state`,
  );

export function inboxClaimStatements(db: Kysely<Database>, dialect: StoreDialect) {
  const locked = rowSet(dialect, "locked", { phone_number_id: "text", contact_key: "text" });
  return {
    lockContacts: dialect === "postgres" ? lockContacts(db) : undefined,
    locked,
    lease: lease(db, dialect, locked),
    leaseNew: dialect === "sqlite" ? leaseNew(db) : undefined,
  };
}

export async function claimInbox(ctx: StoreContext, claim: Claim): Promise<ClaimedInboxItem[]> {
  if (claim.limit <= 0) return [];
  const { lockContacts: lock, locked: lockedRows, lease: take } = ctx.statements.inboxClaim;
  const values = { nowMs: claim.nowMs, limit: claim.limit, workerId: claim.workerId, leaseUntilMs: claim.nowMs + claim.leaseMs };
  const rows = await ctx.db.transaction().execute(async (trx) => {
    if (!lock) return (await take.run(trx, values)).rows;
    const locked = (await lock.run(trx, { nowMs: claim.nowMs, candidates: claim.limit * 4 + 16, limit: claim.limit })).rows;
    if (locked.length === 0) return [];
    return (await take.run(trx, { ...values, ...lockedRows.bind(locked) })).rows;
  });
  return rows.map((row) => ({ ...toInboxItem(row), contactState: parseContactState(row.contact_state) })).sort((a, b) => a.id - b.id);
}
