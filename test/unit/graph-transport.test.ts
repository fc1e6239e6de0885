import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { createGraphTransport, type GraphFetch, type GraphResponse } from "../../src/graph/transport.js";

// A real collection, so what the test measures is what a request leaves reachable afterwards.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const answer = (body = '{"ok":true}'): GraphResponse => ({
  status: 200,
  ok: true,
  headers: { get: () => null },
  body: (async function* () {
    yield Buffer.from(body);
  })(),
  text: async () => body,
});

const transportWith = (fetch: GraphFetch, timeoutMs = 60_000) =>
  createGraphTransport({ baseUrl: "http://graph.test", apiVersion: "v24.0", accessToken: "EAAG-token", fetch, timeoutMs });

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("graph transport: timeout and the caller's signal", () => {
  it("retains nothing once a request is done, however many ran under one long-lived signal (the app's shutdown signal)", async () => {
    // AbortSignal.any([AbortSignal.timeout(t), shutdown]) kept a timer per request for t and
    // left an entry per request on the shutdown signal (nodejs/node#55351): the soak's growth.
    const shutdown = new AbortController();
    const transport = transportWith(async () => answer());
    const run = async (count: number) => {
      for (let i = 0; i < count; i += 1) {
        const response = await transport.request("http://graph.test/v24.0/1/messages", { method: "POST", json: "{}", signal: shutdown.signal });
        await response.text();
      }
      await settle();
      gc();
      gc();
      return process.memoryUsage().heapUsed;
    };
    const before = await run(2_000);
    const after = await run(40_000);
    // Without cleanup 40,000 requests keep several MiB; with it the heap moves by noise only.
    expect((after - before) / 1_048_576).toBeLessThan(1.5);
  });

  it("still times out a request whose answer never comes, with a TimeoutError", async () => {
    const transport = transportWith((_url, init) => new Promise((_, reject) => init.signal?.addEventListener("abort", () => reject(init.signal?.reason))), 50);
    await expect(transport.request("http://graph.test/x", { method: "GET" })).rejects.toMatchObject({ name: "TimeoutError" });
  });

  it("times out while the body is still being read: the timeout covers the whole exchange", async () => {
    let signal: AbortSignal | undefined;
    const transport = transportWith(async (_url, init) => {
      signal = init.signal;
      return { ...answer(), text: () => new Promise<string>((_, reject) => init.signal?.addEventListener("abort", () => reject(init.signal?.reason))) };
    }, 50);
    const response = await transport.request("http://graph.test/x", { method: "GET" });
    await expect(response.text()).rejects.toMatchObject({ name: "TimeoutError" });
    expect(signal?.aborted).toBe(true);
  });

  it("aborts with the caller's reason when the caller's signal aborts, before or during the request", async () => {
    const pending: GraphFetch = (_url, init) =>
      new Promise((_, reject) => (init.signal?.aborted ? reject(init.signal.reason) : init.signal?.addEventListener("abort", () => reject(init.signal?.reason))));
    const early = new AbortController();
    early.abort(new Error("shut down already"));
    await expect(transportWith(pending).request("http://graph.test/x", { method: "GET", signal: early.signal })).rejects.toThrow("shut down already");
    const late = new AbortController();
    const request = transportWith(pending).request("http://graph.test/x", { method: "GET", signal: late.signal });
    late.abort(new Error("shutting down"));
    await expect(request).rejects.toThrow("shutting down");
  });

  it("passes the answer through: status, headers, text and the body stream", async () => {
    const transport = transportWith(async () => ({ ...answer("chunk"), status: 201, headers: { get: (name) => (name === "x-test" ? "yes" : null) } }));
    const first = await transport.request("http://graph.test/x", { method: "GET" });
    expect([first.status, first.ok, first.headers.get("x-test")]).toEqual([201, true, "yes"]);
    expect(await first.text()).toBe("chunk");
    const second = await transport.request("http://graph.test/x", { method: "GET" });
    const chunks: string[] = [];
    for await (const chunk of second.body ?? []) chunks.push(Buffer.from(chunk).toString());
    expect(chunks).toEqual(["chunk"]);
  });
});
