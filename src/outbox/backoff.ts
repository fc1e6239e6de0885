/**
 * When to try a send again, and when to stop. Pure: time and randomness come in as arguments.
 */
import type { GraphVerdict, RetryScope } from "../graph/classify.js";
import { BOUNDED_RETRY_MAX_ATTEMPTS, boundedRetryCodes, noSecondChanceCodes } from "../graph/error-codes.js";
import type { SendOutcome } from "../store/store.js";

export interface BackoffInput {
  /** 0 for the first retry (the delay after the first failed attempt) */
  attempt: number;
  /** uniform in [0, 1) */
  random: () => number;
  baseMs?: number;
  capMs?: number;
  /** from Retry-After: a floor, honoured even above capMs, because the server asked for it */
  retryAfterMs?: number | null;
  scope?: RetryScope;
}

/**
 * Exponential backoff with full jitter, `random() * min(capMs, baseMs * 2^attempt)`: retries from
 * many messages spread out instead of arriving together, and the first retry comes within baseMs.
 *
 * The pair rate limit (131056, scope "recipient") uses Meta's own schedule instead, 4^attempt
 * seconds (1, 4, 16, 64 s ...) [WA-TP], without jitter since only that user's messages wait. It
 * is capped at capMs, the operator's limit on any wait between attempts: with the default 30 s
 * the schedule is 1, 4, 16, 30, 30 ... s, which still keeps a user far below the ~1 message per
 * 6 s pair limit. Raise RETRY_MAX_DELAY_MS to follow Meta's schedule further.
 */
export function backoffDelayMs({ attempt, random, baseMs = 1000, capMs = 30_000, retryAfterMs, scope }: BackoffInput): number {
  const exponent = Math.max(0, Math.floor(attempt));
  const computedMs =
    scope === "recipient" ? Math.min(capMs, 1000 * 4 ** exponent) : Math.floor(random() * Math.min(capMs, baseMs * 2 ** exponent));
  return Math.max(computedMs, retryAfterMs ?? 0);
}

export interface RetryDecisionInput {
  verdict: GraphVerdict;
  /** attempts made before the one that produced `verdict` (OutboxItem.attempts) */
  attempts: number;
  createdAtMs: number;
  nowMs: number;
  /** a reply older than this is no longer worth sending (MESSAGE_MAX_AGE_MS) */
  maxAgeMs: number;
  random: () => number;
  capMs: number;
  baseMs?: number;
}

/**
 * A permanent error gets one more attempt when it is the first attempt, in case Graph misreported
 * a transient problem; never for errors where a retry is known to be useless or harmful: the
 * 24-hour window, undeliverable, marketing caps, and token/permission/policy errors that need an
 * operator [WA-ERR].
 */
function deservesSecondChance(verdict: Extract<GraphVerdict, { kind: "permanent" }>, attempts: number): boolean {
  const code = verdict.error.code;
  return attempts === 0 && !verdict.alert && !(code !== null && noSecondChanceCodes.has(code));
}

export function decideRetry(input: RetryDecisionInput): SendOutcome {
  const { verdict, attempts, nowMs } = input;
  if (verdict.kind === "ok") return { kind: "sent", wamid: verdict.wamid };
  const { error } = verdict;
  const delayMs = (retryAfterMs: number | null, scope: RetryScope) =>
    backoffDelayMs({ attempt: attempts, random: input.random, baseMs: input.baseMs, capMs: input.capMs, retryAfterMs, scope });
  const tooOld = (retryAtMs: number) => retryAtMs - input.createdAtMs > input.maxAgeMs;

  if (verdict.kind === "permanent") {
    if (!deservesSecondChance(verdict, attempts)) return { kind: "failed", error };
    const retryAtMs = nowMs + delayMs(null, "message");
    return tooOld(retryAtMs) ? { kind: "failed", error } : { kind: "retry", retryAtMs, error };
  }
  // "Unknown error": Meta says try again, but a few times only [WA-ERR].
  if (error.code !== null && boundedRetryCodes.has(error.code) && attempts + 1 >= BOUNDED_RETRY_MAX_ATTEMPTS) {
    return { kind: "dead", error };
  }
  const retryAtMs = nowMs + delayMs(verdict.retryAfterMs, verdict.scope);
  return tooOld(retryAtMs) ? { kind: "dead", error } : { kind: "retry", retryAtMs, error };
}
