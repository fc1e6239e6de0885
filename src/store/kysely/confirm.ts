import { sql, type QueryCreator, type Transaction } from "kysely";
import type { Database } from "../schema.js";
import type { StoreContext } from "./context.js";

/** A status webhook carrying our tag `wahook:<outboxId>`: Meta accepted that row's send as `wamid`. */
export interface SendProof {
  outboxId: number;
  wamid: string;
  /** the business number the status came for: a tag only counts for a row of that number */
  phoneNumberId: string;
}

export const CONFIRMED_BY_STATUS = "confirmed by status webhook";

/**
 * Pending rows without a wamid become sent with the proven wamid, their lease cleared: the
 * instance that sent them may have died before settleOutbox committed (and must not be resent
 * when its lease expires), or a slow settle is still coming (it then finds the row settled and
 * changes nothing). The WHERE is re-checked on the row's newest version when a concurrent settle
 * got there first (PostgreSQL READ COMMITTED), so a row is settled once, never regressed, and a
 * row settled with another wamid (a resend that went through) keeps it.
 */
const confirmPending = (qc: QueryCreator<Database>, proofs: ReadonlyMap<number, SendProof>, nowMs: number) => {
  const ids = [...proofs.keys()].sort((a, b) => a - b);
  const wamidOf = sql<string>`case ${sql.ref("id")} ${sql.join(ids.map((id) => sql`when ${id} then ${proofs.get(id)?.wamid}`), sql` `)} end`;
  return qc
    .updateTable("wahook_outbox")
    .set((eb) => ({ state: "sent", wamid: wamidOf, attempts: eb("attempts", "+", 1), lease_owner: null, lease_until_ms: null, updated_at_ms: nowMs }))
    .where(({ eb, refTuple, tuple }) => eb(refTuple("id", "phone_number_id"), "in", ids.map((id) => tuple(id, proofs.get(id)?.phoneNumberId ?? ""))))
    .where("state", "=", "pending")
    .where("wamid", "is", null)
    .returning(["id", "attempts"]);
};

/**
 * Settles the rows these statuses prove sent, each with one attempt row saying how it was
 * learned. Runs inside record's transaction after the statuses' wamids were locked (statuses.ts)
 * and before they are applied, so the delivery status lands on the row in the same commit.
 * PostgreSQL: one statement (a data-modifying CTE). SQLite cannot put an UPDATE in a CTE, so
 * there it is UPDATE ... RETURNING then INSERT, two in-process calls under its single writer.
 */
export async function confirmSends(ctx: StoreContext, trx: Transaction<Database>, proofs: readonly SendProof[], nowMs: number): Promise<void> {
  if (proofs.length === 0) return;
  // One proof per row. Two wamids for one row (the original send and a resend) both prove it;
  // the smallest wins so the choice does not depend on arrival order within the batch.
  const byRow = new Map<number, SendProof>();
  for (const proof of [...proofs].sort((a, b) => (a.wamid < b.wamid ? -1 : a.wamid > b.wamid ? 1 : 0))) {
    if (!byRow.has(proof.outboxId)) byRow.set(proof.outboxId, proof);
  }
  const attempt = { outcome: "sent" as const, http_status: null, error_code: null, error_title: CONFIRMED_BY_STATUS, started_at_ms: nowMs, duration_ms: 0 };
  if (ctx.dialect === "postgres") {
    await trx
      .with("confirmed", (qc) => confirmPending(qc, byRow, nowMs))
      .insertInto("wahook_attempts")
      .columns(["outbox_id", "attempt", "outcome", "http_status", "error_code", "error_title", "started_at_ms", "duration_ms"])
      .expression((eb) =>
        eb.selectFrom("confirmed").select([
          "confirmed.id", "confirmed.attempts", sql.lit(attempt.outcome).as("outcome"), sql<null>`cast(null as integer)`.as("http_status"),
          sql<null>`cast(null as integer)`.as("error_code"), sql.lit(attempt.error_title).as("error_title"), sql.lit(nowMs).as("started_at_ms"), sql.lit(0).as("duration_ms"),
        ]),
      )
      .execute();
    return;
  }
  const confirmed = await confirmPending(trx, byRow, nowMs).execute();
  if (confirmed.length === 0) return;
  await trx.insertInto("wahook_attempts").values(confirmed.map((row) => ({ outbox_id: Number(row.id), attempt: Number(row.attempts), ...attempt }))).execute();
}
