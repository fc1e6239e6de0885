import type { Logger } from "pino";
import { createGroupCommitter } from "../inbox/group-commit.js";
import type { Metrics } from "../metrics/metrics.js";
import { backoffDelayMs } from "../outbox/backoff.js";
import type { Runtime } from "../runtime.js";
import type { ClaimedInboxItem, InboxCompletion, InboxItem, InboxLease, OutboxItem, Store } from "../store/store.js";
import type { ReplyOffer } from "../outbox/worker.js";
import { createBotContext } from "./context.js";
import type { Bot } from "./types.js";
import { createWorkPool, nextTurn } from "../work-pool.js";
import { createSlotOffers, type SlotOffer } from "../slot-offers.js";

export interface DispatcherOptions {
  store: Store;
  bot: Bot;
  runtime: Runtime;
  metrics: Metrics;
  workerId: string;
  leaseMs: number;
  maxAttempts: number;
  retryMaxDelayMs: number;
  /** the most items per claim and per completion commit (one transaction each) */
  batchSize: number;
  /**
   * contacts handled at once by this instance (default batchSize). Above batchSize, a claim and
   * a commit can be under way while other handlers run, instead of the stages taking turns.
   */
  concurrency?: number;
  signal: AbortSignal;
  /** best-effort read receipt / typing indicator before the handler runs (MARK_READ) */
  beforeHandle?: (item: InboxItem) => void;
  /**
   * a handler finished; `mayClaim`: the contact's next message (or another left unclaimed) may be
   * claimable now, so a claim is worth its transaction (see `claimHints`)
   */
  onSettled?: (mayClaim: boolean) => void;
  /**
   * SQLite: the only expanding process hands its new items over (`offer`) and reports the rest
   * (`unclaimed`), so a claim after a handler finished is needed only while some are left. With
   * it off (PostgreSQL: other instances expand too) every settled handler asks for a claim.
   */
  claimHints?: boolean;
  /** slots promised to an offer came back while the loop slept for want of them */
  onSlotsFree?: () => void;
  /** the sender's free slots for the replies of the next completion (outbox/worker.ts) */
  replyOffer?: () => ReplyOffer | undefined;
  /** a completion left replies in the outbox that it did not lease: they wait for a claim */
  onUnleased?: () => void;
}

/**
 * Free handler slots offered to an expansion (store.expand with an InboxLease): it leases up to
 * `limit` of the items it inserts to this worker, which runs them without claiming them.
 */
export type ItemOffer = InboxLease & SlotOffer<ClaimedInboxItem>;

const describe = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 500);

/**
 * Claims recorded inbound messages and runs the bot on them. The replies enter the outbox in the
 * transaction that marks the item done, so a crash in between repeats the handler, never a send.
 * Handlers that finish together are completed together: one transaction for the whole group
 * (group commit), each item still only while its lease holds.
 */
export function createDispatcher(options: DispatcherOptions) {
  const { store, bot, runtime, metrics, workerId } = options;
  const handlerTimeoutMs = Math.max(1000, Math.floor(options.leaseMs * 0.8));
  // Items recorded but not leased to us that we know of (left by an expansion, or back for a
  // retry), less those our claims took since: while it is 0 a claim after a handler finished
  // would find nothing (at 200 msg/s, 2,996 such claims for 3,000 messages, each a transaction).
  // Too high costs a claim that finds nothing (as with the hints off); work it misses (another
  // process's, an expired lease) is found by the loop's idle poll.
  let unclaimed = 0;

  const fail = async (item: InboxItem, error: unknown) => {
    const attempts = item.attempts + 1;
    const now = runtime.nowMs();
    const retryAtMs =
      attempts >= options.maxAttempts ? null : now + backoffDelayMs({ attempt: item.attempts, random: runtime.random, capMs: options.retryMaxDelayMs });
    metrics.botRuns.inc({ outcome: retryAtMs === null ? "parked" : "retry" });
    if (retryAtMs !== null) unclaimed += 1;
    runtime.logger.warn({ messageId: item.messageId, attempts, parked: retryAtMs === null, err: describe(error) }, "bot handler failed");
    await store.failInbox(item, workerId, { error: describe(error), retryAtMs }, now);
  };

  /**
   * The replies go straight to the sender's free slots, leased in the completion's transaction,
   * instead of waiting for its next claim: one statement and one hop less per batch.
   */
  const complete = async (batch: readonly InboxCompletion[]): Promise<boolean[]> => {
    const offer = options.replyOffer?.();
    if (!offer) return store.completeInboxItems(batch, workerId, runtime.nowMs());
    let leased: readonly OutboxItem[] = [];
    try {
      const result = await store.completeInboxLeasing(batch, workerId, runtime.nowMs(), offer);
      leased = result.leased;
      const replies = batch.reduce((n, c, i) => n + (result.completed[i] ? c.replies.length : 0), 0);
      if (replies > leased.length) options.onUnleased?.();
      return result.completed;
    } finally {
      offer.take(leased);
    }
  };
  // A failed batch leaves its items leased and pending: they run again when their leases expire.
  const completions = createGroupCommitter<InboxCompletion, boolean>(complete, { maxBatch: options.batchSize });

  /** Resolves when the handler is done; a handler that outlives its lease would race the instance that reclaims the item. */
  const runHandler = async (ctx: Parameters<Bot["handle"]>[0]) => {
    const running = bot.handle(ctx);
    // A synchronous handler (echo-upper) is already done: no timer needed.
    if (running === undefined || typeof running.then !== "function") return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([running, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`handler took longer than ${handlerTimeoutMs} ms`)), handlerTimeoutMs)))]);
    } finally {
      clearTimeout(timer);
    }
  };

  const handle = async (item: ClaimedInboxItem): Promise<void> => {
    if (item.attempts === 0) options.beforeHandle?.(item);
    const state = item.contactState;
    const before = JSON.stringify(state);
    let child: Logger | undefined;
    const logger = () => (child ??= runtime.logger.child({ messageId: item.messageId }));
    const { ctx, drafts } = createBotContext(item, state, logger, options.signal);
    try {
      await runHandler(ctx);
    } catch (error) {
      await fail(item, error);
      return;
    }
    const changed = JSON.stringify(state) !== before;
    const committed = await completions.submit({ item, replies: drafts, ...(changed ? { state } : {}) });
    metrics.botRuns.inc({ outcome: committed ? "done" : "lease_lost" });
    if (!committed) logger().warn("inbox lease was lost before the handler finished; another worker owns the message now");
  };

  const pool = createWorkPool({
    size: options.concurrency ?? options.batchSize,
    onSettled: () => options.onSettled?.(!options.claimHints || unclaimed > 0),
    onError: (error) => runtime.logger.error({ err: error }, "could not settle an inbox item; it runs again when its lease expires"),
  });

  const offers = createSlotOffers<ClaimedInboxItem>(pool, {
    batchSize: options.batchSize,
    start: (items) => items.forEach((item) => pool.run(() => handle(item))),
    ...(options.onSlotsFree ? { onSlotsFree: options.onSlotsFree } : {}),
  });
  const offer = (): ItemOffer | undefined => {
    const slots = offers.offer();
    return slots && { workerId, leaseMs: options.leaseMs, ...slots };
  };

  const tick = async (): Promise<number> => {
    if (pool.free() === 0) {
      await pool.waitForSlot();
      return 1;
    }
    // Every free slot is promised to an expansion: it hands those items over itself.
    if (offers.free() === 0) {
      offers.starve();
      return 0;
    }
    // Every SQLite statement runs on the event loop: let the webhook's requests in between bursts.
    await nextTurn();
    // One claim per tick, so the loop's gate (load-gate.ts) still paces the stage under a flood.
    const limit = Math.min(offers.free(), options.batchSize);
    const items = await store.claimInbox({ workerId, nowMs: runtime.nowMs(), leaseMs: options.leaseMs, limit });
    offers.claimed(items.length, limit);
    unclaimed = Math.max(0, unclaimed - items.length);
    for (const item of items) pool.run(() => handle(item));
    return items.length;
  };

  return {
    tick,
    drain: pool.drain,
    offer,
    /** an expansion recorded `count` new items that it did not lease to this worker */
    unclaimed: (count: number) => void (unclaimed += count),
    /** no more offers; items taken from now on are not run (shutdown) */
    close: offers.close,
  };
}
