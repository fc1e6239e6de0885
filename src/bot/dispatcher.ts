import { createGroupCommitter } from "../inbox/group-commit.js";
import type { Metrics } from "../metrics/metrics.js";
import { backoffDelayMs } from "../outbox/backoff.js";
import type { Runtime } from "../runtime.js";
import type { ClaimedInboxItem, InboxCompletion, InboxItem, Store } from "../store/store.js";
import { createBotContext } from "./context.js";
import type { Bot } from "./types.js";
import { createWorkPool, nextTurn } from "../work-pool.js";

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
  /** a handler finished: the contact's next message may be claimable now */
  onSettled?: () => void;
}

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

  const fail = async (item: InboxItem, error: unknown) => {
    const attempts = item.attempts + 1;
    const now = runtime.nowMs();
    const retryAtMs =
      attempts >= options.maxAttempts ? null : now + backoffDelayMs({ attempt: item.attempts, random: runtime.random, capMs: options.retryMaxDelayMs });
    metrics.botRuns.inc({ outcome: retryAtMs === null ? "parked" : "retry" });
    runtime.logger.warn({ messageId: item.messageId, attempts, parked: retryAtMs === null, err: describe(error) }, "bot handler failed");
    await store.failInbox(item, workerId, { error: describe(error), retryAtMs }, now);
  };

  // A failed batch leaves its items leased and pending: they run again when their leases expire.
  const completions = createGroupCommitter<InboxCompletion, boolean>((batch) => store.completeInboxItems(batch, workerId, runtime.nowMs()), { maxBatch: options.batchSize });

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
    const logger = runtime.logger.child({ messageId: item.messageId });
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
    if (!committed) logger.warn("inbox lease was lost before the handler finished; another worker owns the message now");
  };

  const pool = createWorkPool({
    size: options.concurrency ?? options.batchSize,
    onSettled: options.onSettled,
    onError: (error) => runtime.logger.error({ err: error }, "could not settle an inbox item; it runs again when its lease expires"),
  });

  const tick = async (): Promise<number> => {
    if (pool.free() === 0) {
      await pool.waitForSlot();
      return 1;
    }
    // Every SQLite statement runs on the event loop: let the webhook's requests in between bursts.
    await nextTurn();
    // One claim per tick, so the loop's gate (load-gate.ts) still paces the stage under a flood.
    const items = await store.claimInbox({ workerId, nowMs: runtime.nowMs(), leaseMs: options.leaseMs, limit: Math.min(pool.free(), options.batchSize) });
    for (const item of items) pool.run(() => handle(item));
    return items.length;
  };

  return { tick, drain: pool.drain };
}
