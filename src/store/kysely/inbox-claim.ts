import type { Transaction } from "kysely";
import type { Claim, InboxItem } from "../store.js";
import type { Database } from "../schema.js";
import type { StoreContext } from "./context.js";
import { toInboxItem } from "./rows.js";

/**
 * Inbox items a worker may take now: pending, due, lease free or expired, and the oldest pending
 * item of its contact while no item of that contact is leased. "Oldest" is the smallest id; the
 * lease probe covers a newer id too, because in PostgreSQL a lower id can commit after a higher
 * one has already been claimed. At most one item per contact follows from "oldest".
 */
const claimable = (trx: Transaction<Database>, nowMs: number) =>
  trx
    .selectFrom("wahook_inbox as i")
    .where("i.state", "=", "pending")
    .where("i.next_attempt_at_ms", "<=", nowMs)
    .where((eb) => eb.or([eb("i.lease_until_ms", "is", null), eb("i.lease_until_ms", "<=", nowMs)]))
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom("wahook_inbox as o")
            .select("o.id")
            .whereRef("o.phone_number_id", "=", "i.phone_number_id")
            .whereRef("o.contact_key", "=", "i.contact_key")
            .where("o.state", "=", "pending")
            .where((eb) => eb.or([eb("o.id", "<", eb.ref("i.id")), eb("o.lease_until_ms", ">", nowMs)])),
        ),
      ),
    )
    .orderBy("i.id");

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
async function lockContacts(trx: Transaction<Database>, nowMs: number, limit: number) {
  // Over-fetch candidates so claimers starting together spread over contacts instead of all
  // skipping the same few; LIMIT above the lock stops locking once `limit` contacts are held.
  const candidates = claimable(trx, nowMs).select(["i.id", "i.phone_number_id", "i.contact_key"]).limit(limit * 4 + 16);
  return trx
    .selectFrom("wahook_contacts as c")
    .innerJoin(candidates.as("x"), (join) => join.onRef("x.phone_number_id", "=", "c.phone_number_id").onRef("x.contact_key", "=", "c.contact_key"))
    .select(["c.phone_number_id", "c.contact_key"])
    .orderBy("x.id")
    .limit(limit)
    .forUpdate("c")
    .skipLocked()
    .execute();
}

export async function claimInbox(ctx: StoreContext, claim: Claim): Promise<InboxItem[]> {
  if (claim.limit <= 0) return [];
  const rows = await ctx.db.transaction().execute(async (trx) => {
    const locked = ctx.rowLocks ? await lockContacts(trx, claim.nowMs, claim.limit) : undefined;
    if (locked?.length === 0) return [];
    // MATERIALIZED: runs once, see claimOutbox in outbox.ts for the PostgreSQL rescan trap.
    return trx
      .with(
        (cte) => cte("chosen").materialized(),
        () =>
          claimable(trx, claim.nowMs)
            .$if(locked !== undefined, (qb) =>
              qb.where(({ eb, refTuple, tuple }) => eb(refTuple("i.phone_number_id", "i.contact_key"), "in", (locked ?? []).map((c) => tuple(c.phone_number_id, c.contact_key)))),
            )
            .select("i.id")
            .limit(claim.limit)
            // An item row locked by a concurrent complete/fail is skipped: the claimer never
            // waits while holding contact locks, so it cannot take part in a deadlock.
            .$if(ctx.rowLocks, (qb) => qb.forUpdate().skipLocked()),
      )
      .updateTable("wahook_inbox")
      .set({ lease_owner: claim.workerId, lease_until_ms: claim.nowMs + claim.leaseMs })
      .where("id", "in", (eb) => eb.selectFrom("chosen").select("chosen.id"))
      .returningAll()
      .execute();
  });
  return rows.map(toInboxItem).sort((a, b) => a.id - b.id);
}
