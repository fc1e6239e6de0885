/**
 * Turns a Graph API answer into what the outbox should do: done, try again (and who waits), or
 * give up. Pure. Classification goes by Graph's `error.code` first and the HTTP status second,
 * because Meta reports throttling as HTTP 400 with a code and says the status is unreliable [WA-ERR].
 */
import type { AttemptError } from "../store/store.js";
import { isAlertCode, isPermanentCode, retryScopeByCode } from "./error-codes.js";
import { parseRetryAfterMs } from "./retry-after.js";

/** Who waits before the next attempt: this message, every message to this user, or the whole number. */
export type RetryScope = "message" | "recipient" | "number";

export type GraphVerdict =
  | { kind: "ok"; wamid: string | null }
  | {
      kind: "retry"; scope: RetryScope; retryAfterMs: number | null; error: AttemptError;
      /** no answer came back although the request may have reached Meta (timeout, connection cut) */
      maybeAccepted?: true;
    }
  | { kind: "permanent"; error: AttemptError; alert: boolean };

export interface GraphResponseInput {
  httpStatus: number;
  /** the parsed JSON body, or null when there was none or it was not JSON */
  body: unknown;
  retryAfterHeader: string | null;
  /** only needed for the HTTP-date form of Retry-After */
  nowMs?: number;
}

const TITLE_MAX_CHARS = 200;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** One line, at most 200 characters: titles end up in logs, metrics labels and the CLI. */
export function shortTitle(text: string): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length <= TITLE_MAX_CHARS ? oneLine : `${oneLine.slice(0, TITLE_MAX_CHARS - 1)}…`;
}

function graphErrorOf(body: unknown): { code: number | null; message: string } | null {
  if (!isRecord(body) || !isRecord(body.error)) return null;
  const { code, message } = body.error;
  const numeric = typeof code === "string" && /^\d+$/.test(code) ? Number(code) : code;
  return { code: Number.isInteger(numeric) ? (numeric as number) : null, message: typeof message === "string" ? message : "" };
}

/** A send answers `messages[0].id` (accepted, not delivered); a read receipt answers `{ success: true }` [WA-SEND]. */
function wamidOf(body: unknown): string | null {
  if (!isRecord(body) || !Array.isArray(body.messages)) return null;
  const first: unknown = body.messages[0];
  return isRecord(first) && typeof first.id === "string" ? first.id : null;
}

export function classifyGraphResponse(input: GraphResponseInput): GraphVerdict {
  const { httpStatus, body } = input;
  const graphError = graphErrorOf(body);
  const success = httpStatus >= 200 && httpStatus < 300;
  if (success && graphError === null) return { kind: "ok", wamid: wamidOf(body) };

  const code = graphError?.code ?? null;
  const error: AttemptError = { code, httpStatus, title: shortTitle(graphError?.message || `HTTP ${httpStatus}`) };
  const retry = (scope: RetryScope): GraphVerdict => ({
    kind: "retry",
    scope,
    retryAfterMs: parseRetryAfterMs(input.retryAfterHeader, input.nowMs),
    error,
  });
  if (code !== null) {
    const scope = retryScopeByCode.get(code);
    if (scope !== undefined) return retry(scope);
    if (isPermanentCode(code)) return { kind: "permanent", error, alert: isAlertCode(code) };
  }
  // No code, or one Meta does not document: the HTTP status decides. A 429 without a code is
  // still a rate limit, and the number is the widest scope we can hold back.
  if (httpStatus === 429) return retry("number");
  if (httpStatus >= 500 || httpStatus === 408) return retry("message");
  return { kind: "permanent", error, alert: httpStatus === 401 || httpStatus === 403 };
}

const errnoCode = (value: unknown): string | null =>
  isRecord(value) && typeof value.code === "string" ? value.code : null;

/** The socket error code of a fetch rejection (undici nests it in `cause`), if there is one. */
function socketErrorCode(error: unknown): string | null {
  const cause = isRecord(error) ? error.cause : undefined;
  const nested = isRecord(cause) && Array.isArray(cause.errors) ? cause.errors[0] : undefined;
  return errnoCode(cause) ?? errnoCode(nested) ?? errnoCode(error);
}

/** A one-line title for a fetch rejection: timeout, abort, or the socket error code. */
export function describeNetworkError(error: unknown): string {
  const name = isRecord(error) && typeof error.name === "string" ? error.name : "";
  if (name === "TimeoutError") return "Graph request timed out";
  if (name === "AbortError") return "Graph request aborted";
  // undici throws TypeError("fetch failed") with the socket error (ECONNREFUSED, ...) as its cause.
  const message = error instanceof Error ? error.message : String(error);
  return shortTitle(`network error: ${socketErrorCode(error) ?? message}`);
}

/** Socket errors that mean no connection was made, so the request cannot have reached Meta. */
const NOT_CONNECTED = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);

/**
 * Network failures and timeouts are retried. A timeout or a cut connection is ambiguous: Meta may
 * have accepted the message, and /messages documents no idempotency key, so the retry can deliver
 * it twice; we prefer that to losing a reply (spec §5, our inference). Such verdicts say
 * `maybeAccepted`, so the outbox can first give Meta's status webhook time to confirm the send.
 */
export function classifyNetworkError(error: unknown): GraphVerdict {
  const code = socketErrorCode(error);
  const maybeAccepted = code === null || !NOT_CONNECTED.has(code);
  return {
    kind: "retry", scope: "message", retryAfterMs: null, error: { code: null, httpStatus: null, title: describeNetworkError(error) },
    ...(maybeAccepted ? { maybeAccepted: true as const } : {}),
  };
}
