import type { GraphClient } from "../graph/client.js";
import type { Metrics } from "../metrics/metrics.js";
import type { Runtime } from "../runtime.js";
import { createGroupCommitter } from "../inbox/group-commit.js";
import type { OutboxItem, OutboxSettlement, ReplyLease, SendOutcome, Store } from "../store/store.js";
import { createWorkPool, nextTurn } from "../work-pool.js";
import { createSlotOffers, type SlotOffer } from "../slot-offers.js";
import { decideRetry } from "./backoff.js";
import { afterConfirmWait, heldUntilMs } from "./confirm-wait.js";

export interface OutboxWorkerOptions {
  store: Store;
  graph: GraphClient;
  runtime: Runtime;
  metrics: Metrics;
  workerId: string;
  leaseMs: number;
  /** per business number, shared by every instance through the store */
  ratePerSecond: number;
  maxAgeMs: number;
  retryMaxDelayMs: number;
  /** sends in flight at once */
  concurrency: number;
  /** the most rows per claim and per settle commit (one transaction each); default concurrency */
  batchSize?: number;
  /**
   * SEND_CONFIRM_WAIT_MS: a send whose answer was never seen (its sender died, or the call timed
   * out) is repeated no earlier than this long after it started, so that Meta's `sent` status
   * webhook can confirm it first (outbox/confirm-wait.ts). Default 30 s.
   */
  sendConfirmWaitMs?: number;
  signal: AbortSignal;
  onSettled?: () => void;
  /** slots promised to an offer came back while the loop slept for want of them */
  onSlotsFree?: () => void;
}

const errorOf = (outcome: SendOutcome) => (outcome.kind === "sent" ? undefined : outcome.error);

/**
 * Free send slots offered to a completion (store.completeInboxLeasing): it leases up to `limit`
 * of its new replies to this worker, which sends them without claiming them.
 */
export type ReplyOffer = ReplyLease & SlotOffer<OutboxItem>;

/**
 * Claims due outbox messages, paces them per number, sends them and settles each attempt. Sends
 * that finish together are settled together, in one transaction (group commit).
 */
export function createOutboxWorker(options: OutboxWorkerOptions) {
  const { store, graph, runtime, metrics, workerId } = options;
  const log = runtime.logger;
  const confirmWaitMs = options.sendConfirmWaitMs ?? 30_000;
  const batchSize = options.batchSize ?? options.concurrency;
  // A failed batch leaves its rows leased: they are sent again when their leases expire.
  const settlements = createGroupCommitter<OutboxSettlement, boolean>((batch) => store.settleOutboxItems(batch, workerId, runtime.nowMs()), { maxBatch: batchSize });

  const send = async (item: OutboxItem) => {
    const startedAtMs = runtime.nowMs();
    const { verdict, durationMs } = await graph.sendMessage(item.phoneNumberId, item.body, options.signal);
    const nowMs = runtime.nowMs();
    const decided = decideRetry({
      verdict,
      attempts: item.attempts,
      createdAtMs: item.createdAtMs,
      nowMs,
      maxAgeMs: options.maxAgeMs,
      random: runtime.random,
      capMs: options.retryMaxDelayMs,
    });
    const outcome = afterConfirmWait(decided, verdict, item, startedAtMs, confirmWaitMs);
    if (verdict.kind === "retry" && verdict.scope === "number") {
      // 130429: the whole number is over its throughput; hold every instance's sends for it.
      await store.pauseSends(item.phoneNumberId, nowMs + (verdict.retryAfterMs ?? 1000));
    }
    if (verdict.kind === "permanent" && verdict.alert) {
      log.error({ outboxId: item.id, code: verdict.error.code }, "Graph refused the access token or permission: replace ACCESS_TOKEN (a System User token with whatsapp_business_messaging) and run `wahook outbox retry`");
    }
    const error = errorOf(outcome);
    metrics.sends.inc({ outcome: outcome.kind, code: String(error?.code ?? error?.httpStatus ?? "") });
    metrics.attemptSeconds.observe(durationMs / 1000);
    log.debug({ outboxId: item.id, outcome: outcome.kind, code: error?.code, attempt: item.attempts + 1 }, "outbox attempt");
    const settled = await settlements.submit({ item, outcome, attempt: { startedAtMs, durationMs } });
    // Also when Meta's status webhook confirmed the send first (record() settled the row then).
    if (!settled) log.warn({ outboxId: item.id }, "outbox row was settled elsewhere during the send (lease lost, or confirmed by a status webhook); this attempt's result was not recorded");
  };

  /** Items taken over from a holder that died or stalled mid-send wait for their status webhook (confirm-wait.ts). */
  const hold = async (items: readonly OutboxItem[]): Promise<OutboxItem[]> => {
    const nowMs = runtime.nowMs();
    const ready: OutboxItem[] = [];
    await Promise.all(items.map(async (item) => {
      const untilMs = heldUntilMs(item, nowMs, confirmWaitMs);
      if (untilMs === undefined) return void ready.push(item);
      log.info({ outboxId: item.id, ambiguousSinceMs: item.ambiguousSinceMs, untilMs }, "outbox message taken over from an expired lease (its instance died or stalled mid-send); waiting for Meta's status webhook before sending it again");
      await store.deferOutbox(item, workerId, untilMs);
    }));
    return ready.sort((a, b) => a.id - b.id);
  };

  const pool = createWorkPool({
    size: options.concurrency,
    onSettled: options.onSettled,
    onError: (error) => log.error({ err: error }, "could not settle an outbox attempt; the message is retried when its lease expires"),
  });

  /** Sends what the shared rate limit allows now; the rest goes back, due a token's time later. */
  const dispatch = async (items: readonly OutboxItem[]) => {
    const byNumber = new Map<string, OutboxItem[]>();
    for (const item of items) {
      const group = byNumber.get(item.phoneNumberId);
      if (group) group.push(item);
      else byNumber.set(item.phoneNumberId, [item]);
    }
    for (const [phoneNumberId, group] of byNumber) {
      const granted = await store.takeSendTokens(phoneNumberId, group.length, options.ratePerSecond, runtime.nowMs());
      group.slice(0, granted).forEach((item) => pool.run(() => send(item)));
      const retryAtMs = runtime.nowMs() + Math.ceil(1000 / options.ratePerSecond);
      // Deferred rows are due again soon: the send loop must claim them (no offers meanwhile).
      if (granted < group.length) offers.mayWait();
      await store.deferOutboxItems(group.slice(granted), workerId, retryAtMs);
    }
  };

  const offers = createSlotOffers<OutboxItem>(pool, {
    batchSize,
    start: (items) => void dispatch(items).catch((error: unknown) => log.error({ err: error }, "could not start sending leased replies; they are sent when their leases expire")),
    ...(options.onSlotsFree ? { onSlotsFree: options.onSlotsFree } : {}),
  });
  const offer = (): ReplyOffer | undefined => {
    const slots = offers.offer();
    return slots && { leaseMs: options.leaseMs, ...slots };
  };

  const tick = async (): Promise<number> => {
    if (pool.free() === 0) {
      await pool.waitForSlot();
      return 1;
    }
    // Every free slot is promised to a completion: it sends those rows itself.
    if (offers.free() === 0) {
      offers.starve();
      return 0;
    }
    // See nextTurn: the webhook's requests go first between bursts.
    await nextTurn();
    // One claim per tick, of at most batchSize: see the dispatcher.
    const limit = Math.min(offers.free(), batchSize);
    const items = await store.claimOutbox({ workerId, nowMs: runtime.nowMs(), leaseMs: options.leaseMs, limit });
    offers.claimed(items.length, limit);
    await dispatch(await hold(items));
    return items.length;
  };

  return {
    tick,
    drain: pool.drain,
    offer,
    /** a completion inserted replies it did not lease: the next claim must take them first */
    unleased: offers.mayWait,
    /** whether the send loop has rows to claim, as far as this worker knows */
    backlog: offers.backlog,
    /** no more offers, and leased rows taken from now on are not sent (shutdown) */
    close: offers.close,
  };
}
