import type { Kysely } from "kysely";
import type { Store } from "../store.js";
import type { Database, StoreDialect } from "../schema.js";
import { migrations } from "../migrations/index.js";
import { runMigrations } from "../migrations/migrate.js";
import { depth, ping, prune, releaseLeases } from "./admin.js";
import { createContext, type StoreContext } from "./context.js";
import { statementTexts } from "./statements.js";
import { guard } from "./errors.js";
import { failInbox, getContactState, listInbox } from "./inbox.js";
import { completeInboxItems } from "./inbox-complete.js";
import { claimInbox } from "./inbox-claim.js";
import { claimOutbox, deferOutboxItems, enqueue } from "./outbox.js";
import { settleOutboxItems } from "./outbox-settle.js";
import { getOutbox, listAttempts, listOutbox, retryOutbox } from "./outbox-admin.js";
import { pauseSends, takeSendTokens } from "./rate.js";
import { expand, journal } from "./journal.js";
import { createLogJournal } from "./journal-log.js";
import type { RowJournalWatch } from "./row-journal-watch.js";
import { record } from "./record.js";
import { listStatuses } from "./statuses.js";

/**
 * The Store port over any Kysely instance of our schema: one query path for both dialects.
 * The store owns `db` and destroys it on close().
 */
export interface KyselyStoreOptions extends Partial<Pick<StoreContext, "sync" | "journalNow">> {
  /** SQLite on a file: the delivery log's directory (journal-log.ts) */
  logDir?: string;
  /** with logDir: tells when the row journal can be skipped (row-journal-watch.ts) */
  rowJournal?: RowJournalWatch;
  /** problems worth an operator's attention that are not errors of a call (a log owned elsewhere) */
  report?: (message: string) => void;
  /** PostgreSQL: registers the compiled-once statements as named server-side ones (postgres/named-statements.ts) */
  nameStatements?: (texts: Iterable<string>) => void;
}

export function createKyselyStore(db: Kysely<Database>, dialect: StoreDialect, options: KyselyStoreOptions = {}): Store {
  const ctx = createContext(db, dialect, options);
  if (options.logDir) ctx.log = createLogJournal(ctx, { dir: options.logDir, report: options.report ?? (() => undefined) });
  if (options.rowJournal) ctx.rowJournal = options.rowJournal;
  options.nameStatements?.(statementTexts(ctx.statements));
  let closed: Promise<void> | undefined;
  return {
    dialect,
    migrate: () => guard("migrate", "write", async () => void (await runMigrations(db, dialect, migrations, Date.now()))),
    ping: () => guard("ping", "read", () => ping(ctx)),
    close: () => (closed ??= (async () => {
      await ctx.log?.close();
      await db.destroy();
    })()),

    journal: (bodies, nowMs) => guard("journal", "write", () => journal(ctx, bodies, nowMs)),
    expand: (parse, limit, nowMs, lease) => guard("expand", "write", () => expand(ctx, parse, limit, nowMs, lease)),
    record: (deliveries, nowMs) => guard("record", "write", () => record(ctx, deliveries, nowMs)),
    claimInbox: (claim) => guard("claimInbox", "write", () => claimInbox(ctx, claim)),
    completeInbox: (item, workerId, result, nowMs) => guard("completeInbox", "write", async () => (await completeInboxItems(ctx, [{ item, ...result }], workerId, nowMs)).completed[0] === true),
    completeInboxItems: (completions, workerId, nowMs) => guard("completeInboxItems", "write", async () => (await completeInboxItems(ctx, completions, workerId, nowMs)).completed),
    completeInboxLeasing: (completions, workerId, nowMs, lease) => guard("completeInboxLeasing", "write", () => completeInboxItems(ctx, completions, workerId, nowMs, lease)),
    failInbox: (item, workerId, failure, nowMs) => guard("failInbox", "write", () => failInbox(ctx, item, workerId, failure, nowMs)),
    getContactState: (phoneNumberId, contactKey) => guard("getContactState", "read", () => getContactState(ctx, phoneNumberId, contactKey)),
    listInbox: (filter) => guard("listInbox", "read", () => listInbox(ctx, filter)),

    enqueue: (drafts, nowMs) => guard("enqueue", "write", () => enqueue(ctx, drafts, nowMs)),
    claimOutbox: (claim) => guard("claimOutbox", "write", () => claimOutbox(ctx, claim)),
    settleOutbox: (item, workerId, outcome, attempt, nowMs) => guard("settleOutbox", "write", async () => (await settleOutboxItems(ctx, [{ item, outcome, attempt }], workerId, nowMs))[0] === true),
    settleOutboxItems: (settlements, workerId, nowMs) => guard("settleOutboxItems", "write", () => settleOutboxItems(ctx, settlements, workerId, nowMs)),
    takeSendTokens: (phoneNumberId, wanted, rate, nowMs) => guard("takeSendTokens", "write", () => takeSendTokens(ctx, phoneNumberId, wanted, rate, nowMs)),
    pauseSends: (phoneNumberId, untilMs) => guard("pauseSends", "write", () => pauseSends(ctx, phoneNumberId, untilMs)),
    deferOutbox: (item, workerId, untilMs) => guard("deferOutbox", "write", async () => (await deferOutboxItems(ctx, [item], workerId, untilMs))[0] === true),
    deferOutboxItems: (items, workerId, untilMs) => guard("deferOutboxItems", "write", () => deferOutboxItems(ctx, items, workerId, untilMs)),
    releaseLeases: (workerId) => guard("releaseLeases", "write", () => releaseLeases(ctx, workerId)),

    listOutbox: (filter) => guard("listOutbox", "read", () => listOutbox(ctx, filter)),
    getOutbox: (id) => guard("getOutbox", "read", () => getOutbox(ctx, id)),
    listAttempts: (outboxId) => guard("listAttempts", "read", () => listAttempts(ctx, outboxId)),
    listStatuses: (wamid) => guard("listStatuses", "read", () => listStatuses(ctx, wamid)),
    retryOutbox: (id, nowMs) => guard("retryOutbox", "write", () => retryOutbox(ctx, id, nowMs)),

    depth: () => guard("depth", "read", () => depth(ctx)),
    prune: (olderThanMs, batchSize) => guard("prune", "write", () => prune(ctx, olderThanMs, batchSize)),
  };
}
