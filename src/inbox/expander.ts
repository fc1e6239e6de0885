import type { Metrics } from "../metrics/metrics.js";
import type { Runtime } from "../runtime.js";
import type { ItemOffer } from "../bot/dispatcher.js";
import type { Expansion, Store } from "../store/store.js";
import { countEvents, deliveryEvents } from "./delivery-events.js";

export interface ExpanderOptions {
  store: Store;
  runtime: Runtime;
  metrics: Metrics;
  /** when set, events for other business numbers are acknowledged and ignored */
  phoneNumberId: string | undefined;
  /** journal rows per transaction, at most */
  batchSize: number;
  /**
   * events per transaction, roughly: one expansion is one synchronous SQLite transaction, and
   * the event loop answers no webhook while it runs. A ~30 KB delivery carries ~24 messages, so
   * 256 of them made one transaction of ~6,000 inserts, and under a flood of them the full
   * server acked 0.16x the reference with a p99 of 911 ms; 16 per transaction made 0.29x and 70 ms.
   */
  maxEventsPerTick: number;
  /**
   * Wall time one expansion should take, roughly; Infinity for none. A SQLite expansion runs on
   * the event loop, so its length is added to every webhook answer that waits behind it: on a
   * shared 2-core VM one of 512 events from ~30 KB deliveries held the loop for 95-109 ms, and the
   * full server's ack p99 stood at 20x the reference's (docs/BENCHMARKS.md). The next expansion takes as many events
   * as the last one's time per event says fit, timed from its first parse (inside the store's
   * transaction) to its end: the wall time of the whole call would count the log read too, during
   * which the loop serves requests, and shrink the batches of a busy server for nothing.
   */
  maxTickMs: number;
  /**
   * the time bound never takes fewer events than this (nor less than one delivery): one slow
   * expansion, e.g. while another process had the core, would otherwise shrink the next ones to
   * a few events each, whose fixed cost per transaction then slows the catching up
   */
  minEventsPerTick: number;
  /** a monotonic clock in ms, for the tick's length; defaults to performance.now */
  monotonicMs?: () => number;
  /** new inbound messages were recorded, and `unclaimed` of them not leased to the bot: it has work */
  onNewMessages: (unclaimed: number) => void;
  /** the bot's free slots for the new items of the next expansion (bot/dispatcher.ts) */
  itemOffer?: () => ItemOffer | undefined;
}

/**
 * The step after the 200: journal rows -> keyed inbox rows, statuses and errors (store.expand).
 * Bodies were verified and JSON-checked before they were journaled, so parsing them again here
 * cannot fail on Meta's input; a throw would be our bug, and the store keeps that row.
 */
export function createExpander(options: ExpanderOptions) {
  const { store, runtime, metrics } = options;
  // Events per delivery in the last expansion: the next one takes as many deliveries as fit.
  let eventsPerDelivery = 1;
  // Time per event of the last expansion that had events; 0 until one did.
  let msPerEvent = 0;
  const clock = options.monotonicMs ?? (() => performance.now());
  const tick = async (): Promise<number> => {
    // Counted once the expansion committed: a transaction that failed and runs again counts once.
    const ignored = { skipped: 0, otherNumber: 0 };
    // The first parse runs inside the store's transaction: what went before (reading the log,
    // which awaits the thread pool while the loop serves requests) did not hold the loop.
    let heldSinceMs: number | undefined;
    const parse = (body: Uint8Array) => {
      heldSinceMs ??= clock();
      const parsed = deliveryEvents(JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8")), options.phoneNumberId);
      ignored.skipped += parsed.skipped;
      ignored.otherNumber += parsed.otherNumber;
      return parsed.events;
    };
    const maxEvents = msPerEvent > 0 ? Math.min(options.maxEventsPerTick, Math.max(options.minEventsPerTick, options.maxTickMs / msPerEvent)) : options.maxEventsPerTick;
    const limit = Math.max(1, Math.min(options.batchSize, Math.floor(maxEvents / eventsPerDelivery)));
    const offer = options.itemOffer?.();
    let expansion: Expansion | undefined;
    try {
      expansion = await store.expand(parse, limit, runtime.nowMs(), offer);
    } finally {
      offer?.take(expansion?.claimed ?? []);
    }
    if (expansion.deliveries > 0) eventsPerDelivery = Math.max(1, expansion.events.length / expansion.deliveries);
    if (heldSinceMs !== undefined && expansion.events.length > 0) msPerEvent = (clock() - heldSinceMs) / expansion.events.length;
    const { result } = expansion;
    countEvents(metrics, { events: expansion.events, ...ignored });
    if (result.messagesDuplicate > 0) metrics.duplicates.inc({ kind: "message" }, result.messagesDuplicate);
    if (result.statusesDuplicate > 0) metrics.duplicates.inc({ kind: "status" }, result.statusesDuplicate);
    if (expansion.failed > 0) runtime.logger.error({ failed: expansion.failed }, "journaled deliveries could not be expanded; they are kept in wahook_deliveries with expand_error set (a wahook bug: please report it)");
    if (result.messagesNew > expansion.claimed.length) options.onNewMessages(result.messagesNew - expansion.claimed.length);
    return expansion.deliveries;
  };

  return { tick };
}
