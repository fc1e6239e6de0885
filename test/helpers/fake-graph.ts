/**
 * A fake Graph API on a real loopback socket, for integration, crash and benchmark runs. Answers
 * scripted responses in order, then the default: Meta's send success (same shape as
 * test/fixtures/graph-send-success.json) with a unique `wamid.fake-N`, or `{ success: true }` for a
 * read receipt. To test refused connections, close() it and keep using its old url.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  /** path and query, e.g. /v24.0/391054887612340/messages */
  path: string;
  headers: IncomingHttpHeaders;
  /** parsed JSON; the raw text when it is not JSON; null when empty */
  body: unknown;
  receivedAtMs: number;
}

export type FakeResponse =
  | { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number }
  /** never answers (until close) */
  | { hang: true }
  /** destroys the socket without an answer */
  | { destroy: true };

export type FakeResponder = FakeResponse | ((request: RecordedRequest) => FakeResponse);

export interface FakeGraph {
  /** base URL to use as GRAPH_API_BASE_URL, e.g. http://127.0.0.1:54321 */
  url: string;
  /** every request, in arrival order (empty when started with record: false) */
  requests: RecordedRequest[];
  /** queues responses for the next requests, in order */
  script(...responses: FakeResponse[]): void;
  /** the answer once the script is used up; null restores Meta's success shape */
  setDefault(response: FakeResponder | null): void;
  /** resolves once n requests have arrived in total; rejects after timeoutMs (default 5 s) */
  waitForRequests(n: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  /** requests received so far, recorded or not */
  count(): number;
  close(): Promise<void>;
}

/** A Graph error body in Meta's shape [WA-ERR], e.g. graphError(130429, "Rate limit hit"). */
export const graphError = (code: number, message: string, status = 400, headers?: Record<string, string>): FakeResponse => ({
  status,
  headers,
  body: { error: { message: `(#${code}) ${message}`, type: "OAuthException", code, error_data: { messaging_product: "whatsapp", details: message }, fbtrace_id: "fake-trace" } },
});

const parseBody = (text: string): unknown => {
  if (text === "") return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
};

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null;

function metaSuccess(request: RecordedRequest, wamidNumber: number): FakeResponse {
  const body = isRecord(request.body) ? request.body : {};
  if (body.status === "read") return { status: 200, body: { success: true } };
  const to = typeof body.to === "string" ? body.to : "";
  return {
    status: 200,
    body: { messaging_product: "whatsapp", contacts: [{ input: to, wa_id: to.replace(/\D/g, "") }], messages: [{ id: `wamid.fake-${wamidNumber}` }] },
  };
}

function writeResponse(res: ServerResponse, response: { status: number; body?: unknown; headers?: Record<string, string> }): void {
  const { body } = response;
  const raw = body === undefined ? undefined : typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body);
  const contentType = body instanceof Uint8Array ? "application/octet-stream" : typeof body === "string" ? "text/plain" : "application/json";
  res.writeHead(response.status, { ...(raw === undefined ? {} : { "content-type": contentType }), ...response.headers });
  res.end(raw);
}

export async function startFakeGraph(options: { record?: boolean } = {}): Promise<FakeGraph> {
  const record = options.record ?? true;
  const requests: RecordedRequest[] = [];
  const scripted: FakeResponse[] = [];
  const waiters = new Set<() => void>();
  const timers = new Set<NodeJS.Timeout>();
  let fallback: FakeResponder | null = null;
  let received = 0;

  const respond = (req: IncomingMessage, res: ServerResponse, request: RecordedRequest) => {
    const next = scripted.shift() ?? (typeof fallback === "function" ? fallback(request) : fallback) ?? metaSuccess(request, received);
    if ("hang" in next) return;
    if ("destroy" in next) return void req.socket.destroy();
    if (!next.delayMs) return writeResponse(res, next);
    const timer = setTimeout(() => {
      timers.delete(timer);
      writeResponse(res, next);
    }, next.delayMs);
    timers.add(timer);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const request = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: parseBody(Buffer.concat(chunks).toString("utf8")), receivedAtMs: Date.now() };
      received += 1;
      if (record) requests.push(request);
      respond(req, res, request);
      for (const waiter of waiters) waiter();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const waitForRequests = (n: number, timeoutMs = 5000) =>
    new Promise<RecordedRequest[]>((resolve, reject) => {
      const check = () => {
        if (received < n) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve([...requests]);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`fake Graph: expected ${n} requests within ${timeoutMs} ms, got ${received}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (...responses) => void scripted.push(...responses),
    setDefault: (response) => void (fallback = response),
    waitForRequests,
    count: () => received,
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      // Hung and keep-alive connections would hold close() open forever.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
