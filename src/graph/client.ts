/**
 * The Graph API client: sends, read receipts (with the typing indicator) and media download.
 * Sends never throw for HTTP or network failures: they answer a verdict the outbox settles on.
 */
import { classifyGraphResponse, classifyNetworkError, type GraphVerdict } from "./classify.js";
import { createMediaClient, type MediaInfo, type MediaOptions } from "./media.js";
import { readReceipt } from "./messages.js";
import { createGraphTransport, readJson, type GraphFetch, type GraphTransport } from "./transport.js";

export type { MediaInfo, MediaOptions } from "./media.js";
export type { GraphFetch, GraphResponse } from "./transport.js";

export interface GraphClientOptions {
  /** e.g. https://graph.facebook.com (GRAPH_API_BASE_URL) */
  baseUrl: string;
  /** e.g. v24.0 (GRAPH_API_VERSION) */
  apiVersion: string;
  accessToken: string;
  /** Node's fetch, a fake, or graph/http-fetch.ts (the app's default) */
  fetch: GraphFetch;
  /** per request, including reading the answer (GRAPH_TIMEOUT_MS) */
  timeoutMs?: number;
  nowMs: () => number;
}

export interface GraphCallResult {
  verdict: GraphVerdict;
  durationMs: number;
}

export interface GraphClient {
  /** POST /{version}/{phoneNumberId}/messages with `body` (see graph/messages toGraphBody, readReceipt). */
  sendMessage(phoneNumberId: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<GraphCallResult>;
  markRead(phoneNumberId: string, messageId: string, options?: { typing?: boolean; signal?: AbortSignal }): Promise<GraphCallResult>;
  getMediaUrl(mediaId: string, options?: MediaOptions): Promise<MediaInfo>;
  downloadMedia(mediaId: string, options?: MediaOptions): Promise<{ bytes: Buffer; mimeType: string }>;
}

/** Graph's titles do not contain the token, but an error from a proxy or fetch might: scrub anyway. */
const redactVerdict = (verdict: GraphVerdict, transport: GraphTransport): GraphVerdict =>
  verdict.kind === "ok" ? verdict : { ...verdict, error: { ...verdict.error, title: transport.redact(verdict.error.title) } };

export function createGraphClient(options: GraphClientOptions): GraphClient {
  const { nowMs } = options;
  const transport = createGraphTransport({ ...options, timeoutMs: options.timeoutMs ?? 15_000 });

  async function post(phoneNumberId: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<GraphVerdict> {
    if (typeof phoneNumberId !== "string" || phoneNumberId === "") throw new TypeError("phoneNumberId must be a non-empty string");
    const url = transport.url(`${encodeURIComponent(phoneNumberId)}/messages`);
    const json = JSON.stringify(body);
    try {
      const response = await transport.request(url, { method: "POST", json, signal });
      return classifyGraphResponse({
        httpStatus: response.status,
        body: await readJson(response),
        retryAfterHeader: response.headers.get("retry-after"),
        nowMs: nowMs(),
      });
    } catch (error) {
      return classifyNetworkError(error);
    }
  }

  async function sendMessage(phoneNumberId: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<GraphCallResult> {
    const startedAtMs = nowMs();
    const verdict = redactVerdict(await post(phoneNumberId, body, signal), transport);
    return { verdict, durationMs: Math.max(0, nowMs() - startedAtMs) };
  }

  return {
    sendMessage,
    markRead: (phoneNumberId, messageId, { typing = false, signal } = {}) =>
      sendMessage(phoneNumberId, readReceipt(messageId, { typing }), signal),
    ...createMediaClient(transport),
  };
}
