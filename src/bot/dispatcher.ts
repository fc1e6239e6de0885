import type { Metrics } from "../metrics/metrics.js";
import { backoffDelayMs } from "../outbox/backoff.js";
import type { Runtime } from "../runtime.js";
import type { InboxItem, Store } from "../store/store.js";
import { createBotContext } from "./context.js";
import type { Bot } from "./types.js";
import { createWorkPool } from "../work-pool.js";

export interface DispatcherOptions {
  store: Store;
  bot: Bot;
  runtime: Runtime;
  metrics: Metrics;
  workerId: string;
  leaseMs: number;
  maxAttempts: number;
  retryMaxDelayMs: number;
  /** contacts handled at once by this instance */
  batchSize: number;
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

  const handle = async (item: InboxItem): Promise<void> => {
    if (item.attempts === 0) options.beforeHandle?.(item);
    const state = await store.getContactState(item.phoneNumberId, item.contactKey);
    const before = JSON.stringify(state);
    const logger = runtime.logger.child({ messageId: item.messageId });
    const { ctx, drafts } = createBotContext(item, state, logger, options.signal);
    let timer: NodeJS.Timeout | undefined;
    try {
      // A handler that outlives its lease would race the instance that reclaims the item.
      await Promise.race([
        Promise.resolve(bot.handle(ctx)),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`handler took longer than ${handlerTimeoutMs} ms`)), handlerTimeoutMs))),
      ]);
    } catch (error) {
      await fail(item, error);
      return;
    } finally {
      clearTimeout(timer);
    }
    const changed = JSON.stringify(state) !== before;
    const committed = await store.completeInbox(item, workerId, { replies: drafts, ...(changed ? { state } : {}) }, runtime.nowMs());
    metrics.botRuns.inc({ outcome: committed ? "done" : "lease_lost" });
    if (!committed) logger.warn("inbox lease was lost before the handler finished; another worker owns the message now");
  };

  const pool = createWorkPool({
    size: options.batchSize,
    onSettled: options.onSettled,
    onError: (error) => runtime.logger.error({ err: error }, "could not settle an inbox item; it runs again when its lease expires"),
  });

  const tick = async (): Promise<number> => {
    if (pool.free() === 0) {
      await pool.waitForSlot();
      return 1;
    }
    const items = await store.claimInbox({ workerId, nowMs: runtime.nowMs(), leaseMs: options.leaseMs, limit: pool.free() });
    for (const item of items) pool.run(() => handle(item));
    return items.length;
  };

  return { tick, drain: pool.drain };
}
