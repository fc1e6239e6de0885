import type { Metrics } from "../metrics/metrics.js";
import type { Runtime } from "../runtime.js";
import type { Store } from "../store/store.js";
import { countEvents, deliveryEvents } from "./delivery-events.js";

export interface ExpanderOptions {
  store: Store;
  runtime: Runtime;
  metrics: Metrics;
  /** when set, events for other business numbers are acknowledged and ignored */
  phoneNumberId: string | undefined;
  /** journal rows per transaction */
  batchSize: number;
  /** new inbound messages were recorded: the bot has work */
  onNewMessages: () => void;
}

/**
 * The step after the 200: journal rows -> keyed inbox rows, statuses and errors (store.expand).
 * Bodies were verified and JSON-checked before they were journaled, so parsing them again here
 * cannot fail on Meta's input; a throw would be our bug, and the store keeps that row.
 */
export function createExpander(options: ExpanderOptions) {
  const { store, runtime, metrics } = options;
  const tick = async (): Promise<number> => {
    // Counted once the expansion committed: a transaction that failed and runs again counts once.
    const ignored = { skipped: 0, otherNumber: 0 };
    const parse = (body: Uint8Array) => {
      const parsed = deliveryEvents(JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8")), options.phoneNumberId);
      ignored.skipped += parsed.skipped;
      ignored.otherNumber += parsed.otherNumber;
      return parsed.events;
    };
    const expansion = await store.expand(parse, options.batchSize, runtime.nowMs());
    const { result } = expansion;
    countEvents(metrics, { events: expansion.events, ...ignored });
    if (result.messagesDuplicate > 0) metrics.duplicates.inc({ kind: "message" }, result.messagesDuplicate);
    if (result.statusesDuplicate > 0) metrics.duplicates.inc({ kind: "status" }, result.statusesDuplicate);
    if (expansion.failed > 0) runtime.logger.error({ failed: expansion.failed }, "journaled deliveries could not be expanded; they are kept in wahook_deliveries with expand_error set (a wahook bug: please report it)");
    if (result.messagesNew > 0) options.onNewMessages();
    return expansion.deliveries;
  };

  return { tick };
}
