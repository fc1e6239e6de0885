import type { Logger } from "pino";
import { parseWebhook } from "../events/parse.js";
import type { WebhookEvent } from "../events/types.js";
import type { Metrics } from "../metrics/metrics.js";
import type { RecordResult } from "../store/store.js";
import { statusRank } from "../status/rank.js";
import { ACK, type Answer, jsonError, textAnswer } from "./answer.js";
import { verifySubscription } from "./handshake.js";
import { verifySignature } from "./signature.js";

export interface ReceiverOptions {
  verifyToken: string;
  appSecrets: readonly string[];
  /** when set, events for other business numbers are acknowledged and ignored */
  phoneNumberId: string | undefined;
  /** durably records one delivery's events; the 200 waits for it */
  record: (events: readonly WebhookEvent[]) => Promise<RecordResult>;
  metrics: Metrics;
  logger: Logger;
}

export interface Delivery {
  body: Buffer;
  signature: string | undefined;
  contentType: string | undefined;
  requestId: string;
}

// For the operator's log only; the 403 itself says nothing that would help a forger.
const signatureHints = {
  missing: "no X-Hub-Signature-256 header: not sent by Meta, or a proxy dropped the header",
  malformed: "X-Hub-Signature-256 is not 'sha256=' + 64 hex digits",
  mismatch: "if Meta's own deliveries fail: APP_SECRET is not this app's secret, or something changed the body before verification (a JSON body parser, a proxy)",
  "no-secret": "no APP_SECRET configured",
} as const;

// Status strings are kept as Meta sends them; bound the label's values so metrics stay small.
const metricType = (event: WebhookEvent): string =>
  event.kind === "message" ? event.type : event.kind === "status" ? (statusRank(event.status) > 0 ? event.status : "other") : "error";

const isJsonType = (contentType: string | undefined): boolean =>
  contentType !== undefined && /^application\/json\s*(;|$)/i.test(contentType.trim());

/**
 * The webhook's two verbs, framework-free. Order on POST: signature before anything that looks at
 * the body (nothing unsigned is parsed or recorded), then content type, JSON, record, 200.
 */
export function createReceiver(options: ReceiverOptions) {
  const { metrics, logger } = options;

  const handshake = (query: URLSearchParams): Answer => {
    const result = verifySubscription(query, options.verifyToken);
    metrics.requests.inc({ method: "GET", status: result.ok ? 200 : result.status });
    if (result.ok) return textAnswer(200, result.challenge);
    logger.warn({ status: result.status, reason: result.reason }, "subscription handshake refused");
    return jsonError(result.status, result.status === 403 ? "verification_failed" : "bad_request", result.reason);
  };

  const answered = (answer: Answer): Answer => {
    metrics.requests.inc({ method: "POST", status: answer.status });
    return answer;
  };

  const keep = (events: WebhookEvent[]): WebhookEvent[] => {
    const only = options.phoneNumberId;
    if (only === undefined) return events;
    const kept = events.filter((event) => event.to.phoneNumberId === only);
    if (kept.length < events.length) metrics.eventsIgnored.inc({ reason: "other_phone_number" }, events.length - kept.length);
    return kept;
  };

  const deliver = async (delivery: Delivery): Promise<Answer> => {
    const startedAt = performance.now();
    const check = verifySignature(delivery.body, delivery.signature, options.appSecrets);
    if (!check.ok) {
      metrics.signatureFailures.inc({ reason: check.reason });
      logger.warn({ requestId: delivery.requestId, reason: check.reason, bytes: delivery.body.length, hint: signatureHints[check.reason] }, "signature check failed");
      return answered(jsonError(403, "invalid_signature", "X-Hub-Signature-256 is missing or does not match."));
    }
    if (!isJsonType(delivery.contentType)) {
      return answered(jsonError(415, "unsupported_media_type", "Send Content-Type: application/json."));
    }
    let json: unknown;
    try {
      json = JSON.parse(delivery.body.toString("utf8"));
    } catch {
      logger.warn({ requestId: delivery.requestId, bytes: delivery.body.length }, "signed body is not JSON");
      return answered(jsonError(400, "invalid_json", "The body is not valid JSON."));
    }
    const parsed = parseWebhook(json);
    if (parsed.skipped.length > 0) metrics.eventsIgnored.inc({ reason: "skipped" }, parsed.skipped.length);
    const events = keep(parsed.events);
    if (events.length > 0) {
      try {
        const result = await options.record(events);
        if (result.messagesDuplicate > 0) metrics.duplicates.inc({ kind: "message" }, result.messagesDuplicate);
        if (result.statusesDuplicate > 0) metrics.duplicates.inc({ kind: "status" }, result.statusesDuplicate);
      } catch (error) {
        // 500 makes Meta retry; the idempotent record absorbs the retry once the store is back.
        logger.error({ requestId: delivery.requestId, err: error }, "could not record webhook events; answering 500 so Meta retries");
        return answered(jsonError(500, "store_write_failed", "The event could not be recorded; retry later."));
      }
      for (const event of events) metrics.eventsReceived.inc({ kind: event.kind, type: metricType(event) });
    }
    metrics.ackSeconds.observe((performance.now() - startedAt) / 1000);
    logger.debug({ requestId: delivery.requestId, events: events.length, skipped: parsed.skipped.length }, "webhook recorded");
    return answered(ACK);
  };

  return { handshake, deliver };
}

export type Receiver = ReturnType<typeof createReceiver>;
