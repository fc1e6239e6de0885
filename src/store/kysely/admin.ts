import { sql } from "kysely";
import type { StoreDepth } from "../store.js";
import type { StoreContext } from "./context.js";

export async function ping(ctx: StoreContext): Promise<void> {
  await sql`select 1`.execute(ctx.db);
}

/** Graceful shutdown: this worker's inbox and outbox items become claimable at once. */
export async function releaseLeases(ctx: StoreContext, workerId: string): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const free = { lease_owner: null, lease_until_ms: null };
    await trx.updateTable("wahook_inbox").set(free).where("state", "=", "pending").where("lease_owner", "=", workerId).execute();
    await trx.updateTable("wahook_outbox").set(free).where("state", "=", "pending").where("lease_owner", "=", workerId).execute();
  });
}

export async function depth(ctx: StoreContext): Promise<StoreDepth> {
  const row = await ctx.db
    .selectNoFrom(({ selectFrom }) => [
      selectFrom("wahook_deliveries").select(({ fn }) => fn.countAll<number>().as("n")).where("expand_error", "is", null).as("journal_pending"),
      selectFrom("wahook_inbox").select(({ fn }) => fn.countAll<number>().as("n")).where("state", "=", "pending").as("inbox_pending"),
      selectFrom("wahook_inbox").select(({ fn }) => fn.countAll<number>().as("n")).where("state", "=", "failed").as("inbox_failed"),
      selectFrom("wahook_outbox").select(({ fn }) => fn.countAll<number>().as("n")).where("state", "=", "pending").as("outbox_pending"),
      selectFrom("wahook_outbox").select(({ fn }) => fn.countAll<number>().as("n")).where("state", "in", ["failed", "dead"]).as("outbox_failed"),
    ])
    .executeTakeFirstOrThrow();
  return {
    journalPending: Number(row.journal_pending) + (ctx.log?.pending() ?? 0),
    inboxPending: Number(row.inbox_pending),
    inboxFailed: Number(row.inbox_failed),
    outboxPending: Number(row.outbox_pending),
    outboxFailed: Number(row.outbox_failed),
  };
}

/**
 * Deletes old finished inbox rows (their wamids stop deduplicating: keep retention above Meta's
 * 7 days of retries), old statuses and old webhook errors, at most batchSize rows in all. Each
 * delete is its own short statement with an indexed LIMIT, so it never holds locks the webhook's
 * hot path waits on for long; call it repeatedly until it returns less than batchSize.
 */
export async function prune(ctx: StoreContext, olderThanMs: number, batchSize: number): Promise<number> {
  let budget = Math.max(0, Math.floor(batchSize));
  let deleted = 0;
  const take = (n: bigint) => {
    deleted += Number(n);
    budget -= Number(n);
  };
  if (budget > 0) {
    const old = ctx.db.selectFrom("wahook_inbox").select("id").where("received_at_ms", "<", olderThanMs).where("state", "in", ["done", "failed"]).orderBy("received_at_ms").orderBy("id").limit(budget);
    take((await ctx.db.deleteFrom("wahook_inbox").where("id", "in", old).executeTakeFirst()).numDeletedRows);
  }
  if (budget > 0) {
    const old = ctx.db.selectFrom("wahook_statuses").select("id").where("received_at_ms", "<", olderThanMs).orderBy("received_at_ms").orderBy("id").limit(budget);
    take((await ctx.db.deleteFrom("wahook_statuses").where("id", "in", old).executeTakeFirst()).numDeletedRows);
  }
  if (budget > 0) {
    const old = ctx.db.selectFrom("wahook_webhook_errors").select("id").where("received_at_ms", "<", olderThanMs).orderBy("received_at_ms").orderBy("id").limit(budget);
    take((await ctx.db.deleteFrom("wahook_webhook_errors").where("id", "in", old).executeTakeFirst()).numDeletedRows);
  }
  return deleted;
}
