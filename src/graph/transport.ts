/**
 * What every Graph call shares: the versioned base URL, the Bearer header, a timeout combined with
 * the caller's signal, and redaction of the access token from any text we pass on.
 */
import { WahookError } from "../errors.js";

/** What the client reads of an answer: a fetch Response has all of it. */
export interface GraphResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  readonly body: AsyncIterable<Uint8Array> | null;
  text(): Promise<string>;
}

/**
 * The part of fetch the client uses. Node's global fetch is one (inject it, or a fake, as
 * before); graph/http-fetch.ts is a leaner one over node:http, which the app uses by default.
 */
export type GraphFetch = (url: string, init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal }) => Promise<GraphResponse>;

export interface GraphTransportOptions {
  /** e.g. https://graph.facebook.com (GRAPH_API_BASE_URL) */
  baseUrl: string;
  /** e.g. v24.0: pinned, because Meta changes shapes between versions [WA-SEND] */
  apiVersion: string;
  accessToken: string;
  fetch: GraphFetch;
  timeoutMs: number;
}

export interface GraphRequest {
  method: "GET" | "POST";
  /** JSON text, serialised by the caller so a body bug throws instead of looking like a network error */
  json?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface GraphTransport {
  /** `${baseUrl}/${apiVersion}/${path}` */
  url(path: string): string;
  /** Sends with the Bearer header; rejects on network errors, timeouts and aborts. */
  request(url: string, request: GraphRequest): Promise<GraphResponse>;
  /** Replaces the access token wherever it appears, for text that may reach logs or errors. */
  redact(text: string): string;
  /** Whether the base URL is https, in which case the token is never sent over plain http. */
  secure: boolean;
}

/**
 * One exchange's signal: aborted by its timeout or by the caller's signal, and released by end().
 * Not AbortSignal.timeout + AbortSignal.any: that timer cannot be cleared, so every call kept one
 * armed for its full timeout; and on Node 20 a long-lived source (the app's shutdown signal, passed
 * to every send) keeps an entry per signal combined with it, for ever: memory that grew with each
 * send (measured: +6 MB per 100,000).
 */
function exchangeSignal(timeoutMs: number, caller: AbortSignal | undefined): { signal: AbortSignal; end(): void } {
  const controller = new AbortController();
  const onAbort = () => controller.abort(caller?.reason);
  const end = () => {
    clearTimeout(timer);
    caller?.removeEventListener("abort", onAbort);
  };
  // The reason fetch gives for AbortSignal.timeout, which classify.ts reports as a timeout.
  const timer = setTimeout(() => {
    controller.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError"));
    end();
  }, timeoutMs);
  // Like AbortSignal.timeout: the pending request keeps the process alive, not its timer.
  timer.unref();
  if (caller?.aborted) onAbort();
  else caller?.addEventListener("abort", onAbort, { once: true });
  return { signal: controller.signal, end };
}

export function createGraphTransport(options: GraphTransportOptions): GraphTransport {
  const token = options.accessToken;
  if (typeof token !== "string" || token.trim() === "") {
    throw new WahookError("CONFIG_MISSING", "ACCESS_TOKEN is missing: sending needs a System User access token with the whatsapp_business_messaging permission (Business Settings > System users)");
  }
  const root = `${options.baseUrl.replace(/\/+$/, "")}/${encodeURIComponent(options.apiVersion)}`;
  const authorization = `Bearer ${token}`;

  const request = async (url: string, { method, json, signal, timeoutMs = options.timeoutMs }: GraphRequest): Promise<GraphResponse> => {
    // The timeout covers the whole exchange including the body, since fetch honours the signal while reading.
    const exchange = exchangeSignal(timeoutMs, signal);
    const headers: Record<string, string> = { authorization };
    if (json !== undefined) headers["content-type"] = "application/json";
    let response: GraphResponse;
    try {
      response = await options.fetch(url, { method, headers, body: json, signal: exchange.signal });
    } catch (error) {
      exchange.end();
      throw error;
    }
    const { status, ok, headers: answer, body } = response;
    // A body read with text() ends the exchange; one streamed instead (media) ends at the timeout.
    return { status, ok, headers: answer, body, text: () => response.text().finally(exchange.end) };
  };

  return {
    url: (path) => `${root}/${path}`,
    request,
    redact: (text) => text.split(token).join("[redacted]"),
    secure: root.startsWith("https:"),
  };
}

/** The body as JSON, or null when it is empty or not JSON (an HTML 502 page from a proxy, say). */
export async function readJson(response: GraphResponse): Promise<unknown> {
  const text = await response.text();
  try {
    return text === "" ? null : (JSON.parse(text) as unknown);
  } catch {
    return null;
  }
}
