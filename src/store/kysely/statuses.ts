import { sql, type Expression, type Kysely, type QueryCreator, type Transaction } from "kysely";
import type { StatusRow } from "../store.js";
import type { Database, StoreDialect } from "../schema.js";
import { inList } from "./bound-lists.js";
import { prepare } from "./prepared.js";
import type { StoreContext } from "./context.js";
import { rankOf } from "./rank-sql.js";
import { toStatusRow } from "./rows.js";

/**
 * PostgreSQL only: serializes "record a status for wamid W" with "settle learns wamid W".
 * Without it, under READ COMMITTED each side can miss the other's uncommitted write (record's
 * UPDATE does not see the wamid yet, settle's SELECT does not see the status yet) and the status
 * would never reach the outbox row. With it, whichever side locks second starts its next
 * statement after the first committed, so it sees the first side's rows. Keys are hashed
 * (a collision only serializes two unrelated wamids) and taken in sorted order (no deadlocks).
 * Single-key advisory locks: a separate key space from the migration's two-key lock.
 */
export async function lockWamids(ctx: StoreContext, trx: Transaction<Database>, wamids: readonly string[]): Promise<void> {
  const lock = ctx.statements.statuses.lock;
  if (!lock || wamids.length === 0) return;
  await lock.run(trx, { wamids: [...wamids] });
}

/**
 * Brings the outbox rows whose wamid passes `filter` up to the best status stored for them.
 * Monotonic: a row only moves to a higher rank (status/rank.ts), so arrival order does not
 * matter, and a status stored before the send returned its wamid is applied when settle calls
 * this. A failed status also records Meta's error code and title on the row.
 */
function applyStatuses(qc: QueryCreator<Database>, filter: (wamid: Expression<string>) => Expression<boolean>) {
  const best = qc
    .selectFrom("wahook_statuses as s")
    .select(["s.wamid", "s.status", "s.error_code", "s.error_title"])
    .where(filter(sql.ref("s.wamid")))
    .where(rankOf(sql.ref("s.status")), ">", 0)
    .where(({ eb, not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom("wahook_statuses as t")
            .select("t.id")
            .whereRef("t.wamid", "=", "s.wamid")
            .where(eb(rankOf(sql.ref("t.status")), ">", rankOf(sql.ref("s.status")))),
        ),
      ),
    );
  const failed = sql<boolean>`b.status = 'failed'`;
  return qc
    .updateTable("wahook_outbox")
    .from(best.as("b"))
    .set({
      delivery_status: sql.ref("b.status"),
      last_error_code: sql`case when ${failed} then b.error_code else wahook_outbox.last_error_code end`,
      last_error_title: sql`case when ${failed} then b.error_title else wahook_outbox.last_error_title end`,
    })
    .whereRef("wahook_outbox.wamid", "=", "b.wamid")
    .where(({ eb }) => eb(rankOf(sql.ref("b.status")), ">", rankOf(sql.ref("wahook_outbox.delivery_status"))));
}

/** applyStatuses for a list of wamids, built per call (record's path). */
export async function applyStoredStatuses(trx: Transaction<Database>, wamids: readonly string[]): Promise<void> {
  if (wamids.length === 0) return;
  await applyStatuses(trx, (wamid) => sql<boolean>`${wamid} in (${sql.join([...wamids])})`).execute();
}

/** The hot statements: the lock, and applyStatuses with the wamids bound as one list (bound-lists.ts). */
export const statusStatements = (db: Kysely<Database>, dialect: StoreDialect) => ({
  lock: dialect === "postgres"
    ? prepare(db, ["wamids"], (p) =>
        sql`select pg_advisory_xact_lock(k) from (
          select distinct hashtextextended(w, 0) as k from unnest(cast(${p.wamids} as text[])) as w order by k
        ) as keys`,
      )
    : undefined,
  apply: prepare(db, ["wamids"], (p) => applyStatuses(db, (wamid) => inList(dialect, wamid, p.wamids, "text"))),
});

/** In the order they happened: Meta's timestamp, then rank (one batch is stored sorted by key, not arrival). */
export async function listStatuses(ctx: StoreContext, wamid: string): Promise<StatusRow[]> {
  const rows = await ctx.db
    .selectFrom("wahook_statuses")
    .selectAll()
    .where("wamid", "=", wamid)
    .orderBy("timestamp_sec")
    .orderBy(rankOf(sql.ref("status")))
    .orderBy("id")
    .execute();
  return rows.map(toStatusRow);
}
