import type { Logger } from "pino";
import type { Metrics } from "../metrics/metrics.js";
import { ACK, type Answer, jsonError, textAnswer } from "./answer.js";
import { verifySubscription } from "./handshake.js";
import { verifySignature } from "./signature.js";

export interface ReceiverOptions {
  verifyToken: string;
  appSecrets: readonly string[];
  /**
   * Keeps one verified delivery: its exact bytes and their parsed JSON. The 200 waits for it;
   * a rejection answers 500, so Meta retries. createApp journals the bytes durably (store.journal).
   */
  accept: (body: Buffer, json: unknown) => Promise<void>;
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

const isJsonType = (contentType: string | undefined): boolean =>
  contentType !== undefined && /^application\/json\s*(;|$)/i.test(contentType.trim());

/**
 * The webhook's two verbs, framework-free. Order on POST: signature before anything that looks at
 * the body (nothing unsigned is parsed or kept), then content type, JSON, accept, 200.
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

  // A bound child per status: the hot path skips prom-client's label hashing (1 per request).
  const ackedCounter = metrics.requests.labels({ method: "POST", status: 200 });
  const answered = (answer: Answer): Answer => {
    if (answer.status === 200) ackedCounter.inc();
    else metrics.requests.inc({ method: "POST", status: answer.status });
    return answer;
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
    try {
      await options.accept(delivery.body, json);
    } catch (error) {
      // 500 makes Meta retry; expansion deduplicates the retry by wamid once the store is back.
      logger.error({ requestId: delivery.requestId, err: error }, "could not record the webhook delivery; answering 500 so Meta retries");
      return answered(jsonError(500, "store_write_failed", "The event could not be recorded; retry later."));
    }
    metrics.ackSeconds.observe((performance.now() - startedAt) / 1000);
    logger.debug({ requestId: delivery.requestId, bytes: delivery.body.length }, "webhook recorded");
    return answered(ACK);
  };

  return { handshake, deliver };
}

export type Receiver = ReturnType<typeof createReceiver>;
