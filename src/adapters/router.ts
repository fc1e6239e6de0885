import type { Logger } from "pino";
import type { Metrics } from "../metrics/metrics.js";
import { type Answer, jsonAnswer, jsonError } from "../webhook/answer.js";
import type { RawBody } from "../webhook/raw-body.js";
import type { Receiver } from "../webhook/receive.js";

/** What the router needs from any HTTP stack; each adapter supplies it in a few lines. */
export interface HttpRequestLike {
  method: string;
  /** path and query, e.g. `/webhook?hub.mode=subscribe` */
  url: string;
  header(name: string): string | undefined;
  readBody(maxBytes: number): Promise<RawBody>;
}

export interface RouterOptions {
  receiver: Receiver;
  webhookPath: string;
  maxBodyBytes: number;
  metrics: Metrics;
  logger: Logger;
  /** throws when a dependency (the store) does not answer */
  ready: () => Promise<void>;
  newRequestId: () => string;
  /** told of every POST from its headers to its answer, so background work can give way (load-gate.ts) */
  load?: { enter(): void; leave(bodyBytes: number): void };
}

export const tooLarge = (maxBodyBytes: number): Answer => ({
  ...jsonError(413, "body_too_large", `The body is larger than MAX_BODY_BYTES (${maxBodyBytes} bytes).`),
  headers: { connection: "close" },
});

export function createRouter(options: RouterOptions) {
  const { receiver, metrics } = options;

  const webhook = async (request: HttpRequestLike, query: string): Promise<Answer> => {
    if (request.method === "GET") return receiver.handshake(new URLSearchParams(query));
    if (request.method !== "POST") return { ...jsonError(405, "method_not_allowed", "Use GET (handshake) or POST (events)."), headers: { allow: "GET, POST" } };
    // From the headers on, not from the body's end: a body still arriving is load already.
    options.load?.enter();
    const read = { bytes: 0 };
    try {
      return await post(request, read);
    } finally {
      options.load?.leave(read.bytes);
    }
  };

  const post = async (request: HttpRequestLike, read: { bytes: number }): Promise<Answer> => {
    const raw = await request.readBody(options.maxBodyBytes);
    if (raw.ok) read.bytes = raw.body.length;
    if (!raw.ok) {
      metrics.requests.inc({ method: "POST", status: raw.reason === "too-large" ? 413 : 400 });
      return raw.reason === "too-large" ? tooLarge(options.maxBodyBytes) : jsonError(400, "aborted", "The request body was not received completely.");
    }
    return receiver.deliver({
      body: raw.body,
      signature: request.header("x-hub-signature-256"),
      contentType: request.header("content-type"),
      requestId: request.header("x-request-id") ?? options.newRequestId(),
    });
  };

  const readyz = async (): Promise<Answer> => {
    try {
      await options.ready();
      return jsonAnswer(200, { status: "ready" });
    } catch (error) {
      options.logger.warn({ err: error }, "readiness check failed");
      return jsonAnswer(503, { status: "unavailable", reason: "the database does not answer" });
    }
  };

  const split = (url: string) => {
    const q = url.indexOf("?");
    return q === -1 ? { path: url, query: "" } : { path: url.slice(0, q), query: url.slice(q + 1) };
  };

  /** every path: the webhook, health, readiness and metrics (the built-in server) */
  const route = async (request: HttpRequestLike): Promise<Answer> => {
    const { path, query } = split(request.url);
    if (!options.logger.isLevelEnabled("debug")) return dispatch(request, path, query);
    const startedAt = performance.now();
    const answer = await dispatch(request, path, query);
    // The path only: the verify token travels in the handshake's query string.
    options.logger.debug({ method: request.method, path, status: answer.status, ms: Math.round((performance.now() - startedAt) * 100) / 100 }, "request");
    return answer;
  };

  const dispatch = async (request: HttpRequestLike, path: string, query: string): Promise<Answer> => {
    if (path === options.webhookPath) return webhook(request, query);
    if (request.method !== "GET" && request.method !== "HEAD") return jsonError(404, "not_found", "No such route.");
    if (path === "/healthz") return jsonAnswer(200, { status: "ok" });
    if (path === "/readyz") return readyz();
    if (path === "/metrics") {
      return { status: 200, contentType: metrics.registry.contentType, body: await metrics.registry.metrics() };
    }
    return jsonError(404, "not_found", "No such route.");
  };

  /** the webhook alone, whatever path the host app mounted it on (Express, Fastify) */
  const webhookOnly = (request: HttpRequestLike): Promise<Answer> => webhook(request, split(request.url).query);

  return { route, webhook: webhookOnly };
}

export type Router = ReturnType<typeof createRouter>;
