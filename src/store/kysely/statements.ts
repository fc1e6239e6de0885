import type { Kysely } from "kysely";
import type { Database, StoreDialect } from "../schema.js";
import { inboxStatements } from "./inbox-complete.js";
import { inboxClaimStatements } from "./inbox-claim.js";
import { outboxStatements } from "./outbox.js";
import { outboxInsertStatements } from "./outbox-insert.js";
import { outboxSettleStatements } from "./outbox-settle.js";
import { rateStatements } from "./rate.js";
import { statusStatements } from "./statuses.js";

/** The workers' hot statements (prepared.ts), compiled once per store for its dialect. */
export const createStatements = (db: Kysely<Database>, dialect: StoreDialect) => ({
  inboxClaim: inboxClaimStatements(db, dialect),
  inbox: inboxStatements(db, dialect),
  outbox: outboxStatements(db, dialect),
  outboxInsert: outboxInsertStatements(db, dialect),
  outboxSettle: outboxSettleStatements(db, dialect),
  rate: rateStatements(db, dialect),
  statuses: statusStatements(db, dialect),
});

export type Statements = ReturnType<typeof createStatements>;

/** The SQL text of every compiled-once statement in `statements` (any nesting). */
export function statementTexts(statements: object): string[] {
  const texts: string[] = [];
  const visit = (value: unknown) => {
    if (value === null || typeof value !== "object") return;
    const { sql, run } = value as { sql?: unknown; run?: unknown };
    if (typeof sql === "string" && typeof run === "function") texts.push(sql);
    else Object.values(value).forEach(visit);
  };
  visit(statements);
  return texts;
}
