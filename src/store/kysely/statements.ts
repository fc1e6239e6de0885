import type { Kysely } from "kysely";
import type { Database, StoreDialect } from "../schema.js";
import { inboxStatements } from "./inbox.js";
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
