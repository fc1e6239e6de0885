/**
 * How wahook treats each Graph error code, from Meta's error-code page [WA-ERR] and the Graph
 * error-handling guide [G-ERR]. Meta says to base logic on `code`, not on the HTTP status, the
 * deprecated subcode or the title; the HTTP status is only a fallback for codes not listed here.
 */
import type { RetryScope } from "./classify.js";

/**
 * Retryable codes and who has to wait. "number" pauses every send from the business number,
 * "recipient" only that user's queue, "message" only this message.
 */
export const retryScopeByCode: ReadonlyMap<number, RetryScope> = new Map<number, RetryScope>([
  // throughput (messages per second) of the business number exceeded [WA-TP]
  [130429, "number"],
  // pair rate limit: ~1 message per 6 s to one user; Meta: retry that user after 4^X s [WA-TP]
  [131056, "recipient"],
  // app call-rate / WABA rate limits: account-wide windows, so the whole number backs off [WA-ERR]
  [4, "number"],
  [80007, "number"],
  // throughput upgrade in progress (up to 1 minute) for this number [WA-TP]
  [131057, "number"],
  // service unavailable / API down / unknown error: Meta says "try again" [WA-ERR]
  [131016, "message"],
  [2, "message"],
  [131000, "message"],
  [1, "message"],
]);

/** "Unknown error": retryable, but Meta's advice is a few tries only [WA-ERR]. */
export const boundedRetryCodes: ReadonlySet<number> = new Set([131000, 1]);
export const BOUNDED_RETRY_MAX_ATTEMPTS = 3;

/**
 * Permanent until an operator acts: token (190, 0), permissions (3, 10, 200–299, 131005), policy
 * block (368), account locked (131031), country restriction (130497) [WA-ERR], [G-ERR], and the
 * spam/quality limit 131048, which Meta says to answer by fixing quality, not by retrying.
 */
export const isAlertCode = (code: number): boolean =>
  [0, 3, 10, 190, 368, 131005, 131031, 130497, 131048].includes(code) || (code >= 200 && code <= 299);

/** Permanent: payload, template, media, window or recipient problems [WA-ERR]. */
export const isPermanentCode = (code: number): boolean =>
  isAlertCode(code) ||
  [33, 100, 131008, 131009, 131021, 131026, 131047, 131049, 131050, 131051, 131053].includes(code) ||
  (code >= 132000 && code <= 132016);

/**
 * Permanent codes that must not get even the one extra attempt other permanent errors get: the
 * 24-hour window (131047: send a template instead), undeliverable (131026), marketing caps (131049:
 * wait 24 h; 131050: user opted out, never retry) [WA-ERR].
 */
export const noSecondChanceCodes: ReadonlySet<number> = new Set([131047, 131026, 131049, 131050]);
