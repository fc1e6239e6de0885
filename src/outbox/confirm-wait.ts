/**
 * Waiting for Meta's own confirmation before a send is repeated. Meta documents no idempotency key
 * for POST /messages [WA-SEND], so a send whose answer we never saw (its sender died, or the call
 * timed out) may or may not have been accepted. But every message we send carries our tag in
 * biz_opaque_callback_data (tag.ts), Meta echoes it in the message's status webhooks and sends a
 * `sent` status for every message it accepted, usually within seconds [WA-MSG status]; record()
 * then settles the row as sent. Repeating the send only after that had time to happen turns most
 * would-be duplicates into nothing. After the wait the message is sent again: a reply lost for
 * good is worse than a rare duplicate. Pure functions; the worker applies them.
 */
import type { GraphVerdict } from "../graph/classify.js";
import type { OutboxItem, SendOutcome } from "../store/store.js";
import { carriesOwnTag } from "./tag.js";

/**
 * For a claim that took over a dead holder's lease: the time until which the message must wait,
 * counted from when the dead holder claimed it (its send started after that), or undefined when
 * it may be sent now (no ambiguity, already waited long enough, or no tag a status could echo).
 */
export function heldUntilMs(item: OutboxItem, nowMs: number, waitMs: number): number | undefined {
  if (item.ambiguousSinceMs === null || !carriesOwnTag(item)) return undefined;
  const untilMs = item.ambiguousSinceMs + waitMs;
  return untilMs > nowMs ? untilMs : undefined;
}

/** A retry after a send that may have been accepted (timeout, cut connection) is due no earlier than waitMs after it started. */
export function afterConfirmWait(outcome: SendOutcome, verdict: GraphVerdict, item: OutboxItem, startedAtMs: number, waitMs: number): SendOutcome {
  if (outcome.kind !== "retry" || verdict.kind !== "retry" || verdict.maybeAccepted !== true || !carriesOwnTag(item)) return outcome;
  return { ...outcome, retryAtMs: Math.max(outcome.retryAtMs, startedAtMs + waitMs) };
}
