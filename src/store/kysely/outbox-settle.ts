import { sql, type Kysely, type QueryCreator } from "kysely";
import type { OutboxSettlement } from "../store.js";
import type { Database, StoreDialect } from "../schema.js";
import { listValue, rowSet, type RowParam, type RowSet } from "./bound-lists.js";
import type { StoreContext } from "./context.js";
import { prepare } from "./prepared.js";
import { lockWamids } from "./statuses.js";

// Named unlike any wahook_outbox column, so nothing in the UPDATE ... FROM is ambiguous.
const SETTLED_ROW = { outbox_id: "bigint", outcome_state: "text", sent_wamid: "text", retry_at_ms: "bigint", error_code: "integer", error_title: "text" } as const;
const ATTEMPT_ROW = {
  outbox_id: "bigint", attempt: "integer", outcome: "text", http_status: "integer", error_code: "integer", error_title: "text", started_at_ms: "bigint", duration_ms: "bigint",
} as const;

/**
 * SQLite's planner, with no statistics (the store never runs ANALYZE), preferred the (state, id)
 * index as the outer loop and scanned the bound rows once per pending outbox row: 154 ms per
 * batch of 64 with 5,000 rows pending. A unary + keeps `state` out of index selection, so the
 * bound rows lead and each is one primary-key lookup (sqlite.org/optoverview.html, "Disqualifying
 * WHERE clause terms using unary +"). PostgreSQL has no unary + for text and plans this by itself.
 */
const pendingState = (dialect: StoreDialect) => (dialect === "sqlite" ? sql<string>`+wahook_outbox.state` : sql<string>`wahook_outbox.state`);

/** Each row moves on by its own outcome: sent (with its wamid), pending again at retry_at_ms, failed or dead. */
const markRows = (db: Kysely<Database> | QueryCreator<Database>, dialect: StoreDialect, rows: RowSet<keyof typeof SETTLED_ROW>, p: Readonly<Record<"workerId" | "nowMs" | RowParam, never>>) =>
  db
    .updateTable("wahook_outbox")
    .from(rows.table(p).as("r"))
    .set((eb) => ({
      state: sql`r.outcome_state`,
      wamid: sql`case when r.outcome_state = 'sent' then r.sent_wamid else wahook_outbox.wamid end`,
      next_attempt_at_ms: sql`coalesce(r.retry_at_ms, wahook_outbox.next_attempt_at_ms)`,
      last_error_code: sql`case when r.outcome_state = 'sent' then wahook_outbox.last_error_code else r.error_code end`,
      last_error_title: sql`case when r.outcome_state = 'sent' then wahook_outbox.last_error_title else r.error_title end`,
      attempts: eb("wahook_outbox.attempts", "+", 1),
      lease_owner: null,
      lease_until_ms: null,
      updated_at_ms: p.nowMs,
    }))
    .whereRef("wahook_outbox.id", "=", "r.outbox_id")
    .where("wahook_outbox.lease_owner", "=", p.workerId)
    .where(pendingState(dialect), "=", "pending")
    .returning(["wahook_outbox.id", "wahook_outbox.attempts"])
    // Whether any status is stored for the row's (new) wamid: usually none (Meta's statuses come
    // after the send returned), and then applying them can be skipped. Under PostgreSQL the
    // wamids are locked (lockWamids), so no status for them can commit before we do.
    .returning((eb) => eb.exists(eb.selectFrom("wahook_statuses as s").select("s.id").whereRef("s.wamid", "=", "wahook_outbox.wamid")).as("has_statuses"));

function markSettled(db: Kysely<Database>, dialect: StoreDialect) {
  const rows = rowSet(dialect, "settled", SETTLED_ROW);
  const statement = prepare(db, [...rows.names, "workerId", "nowMs"], (p) => markRows(db, dialect, rows, p));
  return { rows, statement };
}

/**
 * PostgreSQL: the mark and its attempt rows in ONE statement (a data-modifying CTE): a round trip
 * less per batch. Each attempt row is numbered by the marked row's new attempt count, and rows
 * whose lease was lost (not marked) get none.
 */
function markAndLog(db: Kysely<Database>) {
  const rows = rowSet("postgres", "settled", SETTLED_ROW);
  const { attempt: _numbered, ...logged } = ATTEMPT_ROW;
  const attempts = rowSet("postgres", "attempts", logged);
  const columns = Object.keys(ATTEMPT_ROW) as (keyof typeof ATTEMPT_ROW)[];
  const statement = prepare(db, [...rows.names, ...attempts.names, "workerId", "nowMs"], (p) =>
    db
      .with("m", (qc) => markRows(qc, "postgres", rows, p))
      .with("a", (qc) =>
        qc
          .insertInto("wahook_attempts")
          .columns(columns)
          .expression((eb) =>
            eb
              .selectFrom(attempts.table(p).as("x"))
              .innerJoin("m", "m.id", "x.outbox_id")
              .select(columns.map((column) => (column === "attempt" ? "m.attempts" : (`x.${column}` as const)))),
          ),
      )
      .selectFrom("m")
      .select(["m.id", "m.attempts", "m.has_statuses"]),
  );
  return { rows, attempts, statement };
}

function insertAttempts(db: Kysely<Database>, dialect: StoreDialect) {
  const rows = rowSet(dialect, "attempts", ATTEMPT_ROW);
  const columns = Object.keys(ATTEMPT_ROW) as (keyof typeof ATTEMPT_ROW)[];
  const statement = prepare(db, rows.names, (p) =>
    db.insertInto("wahook_attempts").columns(columns).expression((eb) => eb.selectFrom(rows.table(p).as("r")).select(columns.map((column) => `r.${column}` as const))),
  );
  return { rows, statement };
}

export const outboxSettleStatements = (db: Kysely<Database>, dialect: StoreDialect) => ({
  mark: markSettled(db, dialect),
  attempts: insertAttempts(db, dialect),
  markAndLog: dialect === "postgres" ? markAndLog(db) : undefined,
});

const settledRow = ({ item, outcome }: OutboxSettlement) => {
  const error = outcome.kind === "sent" ? null : outcome.error;
  return {
    outbox_id: item.id,
    outcome_state: outcome.kind === "retry" ? "pending" : outcome.kind,
    sent_wamid: outcome.kind === "sent" ? outcome.wamid : null,
    retry_at_ms: outcome.kind === "retry" ? outcome.retryAtMs : null,
    error_code: error?.code ?? null,
    error_title: error?.title ?? null,
  };
};

const attemptRow = ({ item, outcome, attempt }: OutboxSettlement, attempts: number) => {
  const error = outcome.kind === "sent" ? null : outcome.error;
  return {
    outbox_id: item.id, attempt: attempts, outcome: outcome.kind,
    // "sent" only follows a 2xx with a message id from Graph, which answers 200.
    http_status: error ? error.httpStatus : 200, error_code: error?.code ?? null, error_title: error?.title ?? null,
    started_at_ms: attempt.startedAtMs, duration_ms: attempt.durationMs,
  };
};

const sentWamids = (settlements: readonly OutboxSettlement[]): string[] =>
  [...new Set(settlements.flatMap(({ outcome }) => (outcome.kind === "sent" && outcome.wamid !== null ? [outcome.wamid] : [])))].sort();

/**
 * A batch of settles in one transaction, each only while workerId holds that row's lease: one
 * attempt row per settled row, and each row moved on by its outcome; a row whose lease was lost
 * gets false and nothing written, the others settle. Returned wamids pick up statuses that
 * arrived before them (Meta can report "delivered" before the send call returns).
 */
export async function settleOutboxItems(ctx: StoreContext, settlements: readonly OutboxSettlement[], workerId: string, nowMs: number): Promise<boolean[]> {
  if (settlements.length === 0) return [];
  const { mark, attempts, markAndLog } = ctx.statements.outboxSettle;
  // The same row twice in one batch (its lease expired and we claimed it again): the first counts.
  const first = new Map<number, OutboxSettlement>();
  for (const settlement of settlements) if (!first.has(settlement.item.id)) first.set(settlement.item.id, settlement);
  // In id order, so concurrent PostgreSQL transactions updating several of these rows lock them alike.
  const unique = [...first.values()].sort((a, b) => a.item.id - b.item.id);
  const settled = await ctx.db.transaction().execute(async (trx) => {
    await lockWamids(ctx, trx, sentWamids(unique));
    const settledRows = unique.map(settledRow);
    const { rows } = markAndLog
      ? await markAndLog.statement.run(trx, { ...markAndLog.rows.bind(settledRows), ...markAndLog.attempts.bind(unique.map((s) => attemptRow(s, 0))), workerId, nowMs })
      : await mark.statement.run(trx, { ...mark.rows.bind(settledRows), workerId, nowMs });
    const attemptOf = new Map(rows.map((row) => [Number(row.id), Number(row.attempts)]));
    const won = unique.filter((s) => attemptOf.has(s.item.id));
    // SQLite: the attempt rows in a second in-process statement (it has no UPDATE in a CTE).
    if (!markAndLog && won.length > 0) await attempts.statement.run(trx, attempts.rows.bind(won.map((s) => attemptRow(s, attemptOf.get(s.item.id) as number))));
    const withStatuses = new Set(rows.filter((row) => Boolean(row.has_statuses)).map((row) => Number(row.id)));
    const wamids = sentWamids(won.filter((s) => withStatuses.has(s.item.id)));
    if (wamids.length > 0) await ctx.statements.statuses.apply.run(trx, { wamids: listValue(ctx.dialect, wamids) });
    return attemptOf;
  });
  return settlements.map((s) => first.get(s.item.id) === s && settled.has(s.item.id));
}
