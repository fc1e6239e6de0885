import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isWahookError } from "../../src/errors.js";
import { readNodeBody, readWebBody, type RawBody } from "../../src/webhook/raw-body.js";

const LIMIT_BYTES = 1000;
// Emoji, a lone continuation byte and a truncated sequence: bytes must pass through untouched.
const TRICKY = Buffer.concat([Buffer.from('{"t":"hi 👋 äöå"}'), Buffer.from([0xff, 0x80, 0xc3])]);

const post = (body: RequestInit["body"], headers: Record<string, string> = {}): Request =>
  new Request("http://127.0.0.1/webhook", { method: "POST", body, headers, duplex: "half" } as RequestInit);

/** A stream of `chunkBytes`-sized chunks, `totalBytes` in all, that records how much was pulled. */
const countingStream = (chunkBytes: number, totalBytes: number) => {
  const state = { pulledBytes: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (state.pulledBytes >= totalBytes) return controller.close();
        state.pulledBytes += chunkBytes;
        controller.enqueue(new Uint8Array(chunkBytes).fill(0x61));
      },
      cancel() {
        state.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, state };
};

describe("readWebBody", () => {
  it("returns the exact bytes, including emoji and invalid UTF-8", async () => {
    const result = await readWebBody(post(TRICKY), LIMIT_BYTES);
    expect(result.ok && result.body.equals(TRICKY)).toBe(true);
  });

  it("joins a body that arrives in several chunks", async () => {
    const { stream } = countingStream(100, 300);
    const result = await readWebBody(post(stream), LIMIT_BYTES);
    expect(result.ok && result.body.equals(Buffer.alloc(300, 0x61))).toBe(true);
  });

  it("returns an empty buffer for a request without a body", async () => {
    expect(await readWebBody(post(null), LIMIT_BYTES)).toEqual({ ok: true, body: Buffer.alloc(0) });
  });

  it("accepts a body of exactly maxBytes, declared or streamed", async () => {
    const exact = Buffer.alloc(LIMIT_BYTES, 0x62);
    const declared = await readWebBody(post(exact, { "content-length": String(LIMIT_BYTES) }), LIMIT_BYTES);
    expect(declared.ok && declared.body.equals(exact)).toBe(true);
    const streamed = await readWebBody(post(countingStream(100, LIMIT_BYTES).stream), LIMIT_BYTES);
    expect(streamed.ok && streamed.body.length).toBe(LIMIT_BYTES);
  });

  it("refuses a Content-Length over the limit without reading anything", async () => {
    const { stream, state } = countingStream(100, 10 * LIMIT_BYTES);
    const request = post(stream, { "content-length": String(LIMIT_BYTES + 1) });
    expect(await readWebBody(request, LIMIT_BYTES)).toEqual({ ok: false, reason: "too-large" });
    expect(state.pulledBytes).toBe(0);
  });

  it("stops a chunked body as soon as it passes the limit and cancels the stream", async () => {
    const { stream, state } = countingStream(100, 10 * LIMIT_BYTES);
    expect(await readWebBody(post(stream), LIMIT_BYTES)).toEqual({ ok: false, reason: "too-large" });
    await new Promise((resolve) => setImmediate(resolve));
    expect(state.cancelled).toBe(true);
    expect(state.pulledBytes).toBeLessThanOrEqual(LIMIT_BYTES + 100);
  });

  it("reports a stream that fails mid-body as aborted", async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(10));
        controller.error(new Error("connection reset"));
      },
    });
    expect(await readWebBody(post(stream), LIMIT_BYTES)).toEqual({ ok: false, reason: "aborted" });
  });

  it("throws RAW_BODY_UNAVAILABLE when something already consumed the body", async () => {
    const request = post("{}");
    await request.text();
    await expect(readWebBody(request, LIMIT_BYTES)).rejects.toSatisfy((error) =>
      isWahookError(error, "RAW_BODY_UNAVAILABLE"),
    );
  });
});

describe("readNodeBody on a real socket", () => {
  let server: Server;
  let port: number;
  // Each request carries an id so a test only ever sees the result of its own request.
  const settled = new Map<string, (result: RawBody) => void>();
  let requestCount = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      void readNodeBody(req, LIMIT_BYTES).then((result) => {
        settled.get(String(req.headers["x-test-id"]))?.(result);
        if (result.ok) res.end(result.body);
        else res.writeHead(result.reason === "too-large" ? 413 : 400, { connection: "close" }).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Starts a POST; the caller decides what to write and whether to end. */
  const send = (headers: Record<string, string | number>) => {
    const id = String((requestCount += 1));
    // A reader that waits for bytes that never come would hang the test; fail it quickly instead.
    const result = new Promise<RawBody>((resolve, reject) => {
      settled.set(id, resolve);
      setTimeout(() => reject(new Error("readNodeBody did not settle within 5 s")), 5000).unref();
    });
    const client = httpRequest({
      host: "127.0.0.1",
      port,
      method: "POST",
      path: "/webhook",
      headers: { ...headers, "x-test-id": id },
    });
    client.on("error", () => undefined); // the server may close while we are still writing
    const response = new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
      setTimeout(() => reject(new Error("no response within 5 s")), 5000).unref();
      client.on("response", (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      });
    });
    return { client, response, result };
  };

  it("returns the exact bytes, including emoji and invalid UTF-8", async () => {
    const { client, response, result } = send({ "content-length": TRICKY.length });
    client.end(TRICKY);
    const { status, body } = await response;
    expect(status).toBe(200);
    expect(body.equals(TRICKY)).toBe(true);
    expect(await result).toEqual({ ok: true, body: TRICKY });
  });

  it("accepts exactly maxBytes sent chunked, without a Content-Length", async () => {
    const { client, response, result } = send({ "transfer-encoding": "chunked" });
    for (let sent = 0; sent < LIMIT_BYTES; sent += 250) client.write(Buffer.alloc(250, 0x63));
    client.end();
    expect((await response).body.equals(Buffer.alloc(LIMIT_BYTES, 0x63))).toBe(true);
    expect((await result).ok).toBe(true);
  });

  it("answers 413 on a Content-Length over the limit before the client sends any body", async () => {
    const { client, response, result } = send({ "content-length": 10 * LIMIT_BYTES });
    client.flushHeaders();
    expect(await result).toEqual({ ok: false, reason: "too-large" });
    expect((await response).status).toBe(413);
    client.destroy();
  });

  it("answers 413 on a chunked body once it passes the limit, while the client is still sending", async () => {
    const { client, response, result } = send({ "transfer-encoding": "chunked" });
    client.write(Buffer.alloc(LIMIT_BYTES, 0x64));
    client.write(Buffer.alloc(1, 0x64)); // one byte over; the body never ends from the client's side
    expect(await result).toEqual({ ok: false, reason: "too-large" });
    expect((await response).status).toBe(413);
    client.destroy();
  });

  it("reports a client that disconnects mid-body as aborted", async () => {
    const { client, result } = send({ "content-length": 500 });
    client.write(Buffer.alloc(10), () => client.destroy());
    expect(await result).toEqual({ ok: false, reason: "aborted" });
  });
});
