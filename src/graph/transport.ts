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
 * before); graph/http-fetch.ts is a leaner one over undici's request, which the app uses by default.
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
      exchange.done();
      throw error;
    }
    return endsExchange(response, exchange.done);
  };

  return {
    url: (path) => `${root}/${path}`,
    request,
    redact: (text) => text.split(token).join("[redacted]"),
    secure: root.startsWith("https:"),
  };
}

/**
 * The signal of one exchange: aborted after timeoutMs (a TimeoutError, like AbortSignal.timeout)
 * or when the caller's signal aborts (its reason). done() clears both as soon as the exchange is
 * over. Not AbortSignal.timeout + AbortSignal.any: the first keeps a timer per request for the
 * full timeout after the answer came (15 s of timers and signals, so at a thousand sends a
 * second they all outlive the young generation and fill the old one), and the second leaves an
 * entry per request on the caller's long-lived shutdown signal (nodejs/node#55351). Together
 * that was the end-to-end soak's RSS growth (docs/BENCHMARKS.md).
 */
function exchangeSignal(timeoutMs: number, outer: AbortSignal | undefined): { signal: AbortSignal; done(): void } {
  const controller = new AbortController();
  // Also once the exchange was aborted, so an answer whose body nobody reads leaves nothing behind.
  const done = () => {
    clearTimeout(timer);
    outer?.removeEventListener("abort", onAbort);
  };
  const onAbort = () => {
    done();
    controller.abort(outer?.reason);
  };
  const timer = setTimeout(() => {
    done();
    controller.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError"));
  }, timeoutMs);
  // Like AbortSignal.timeout: a pending request's timer alone never keeps the process alive.
  timer.unref();
  if (outer?.aborted) onAbort();
  else outer?.addEventListener("abort", onAbort, { once: true });
  return { signal: controller.signal, done };
}

/** The same answer, calling done() once its body was read to the end or failed (text() or iteration). */
function endsExchange(response: GraphResponse, done: () => void): GraphResponse {
  const body = response.body;
  return {
    status: response.status,
    ok: response.ok,
    headers: response.headers,
    body:
      body === null
        ? null
        : (async function* () {
            try {
              yield* body;
            } finally {
              done();
            }
          })(),
    text: async () => {
      try {
        return await response.text();
      } finally {
        done();
      }
    },
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
