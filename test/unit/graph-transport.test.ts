import { getEventListeners } from "node:events";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createGraphTransport, type GraphFetch, type GraphResponse } from "../../src/graph/transport.js";

/**
 * The transport's per-exchange timeout and the caller's signal (the app passes its shutdown
 * signal to every send): each exchange must give back its timer and its hold on that signal when
 * it ends, or a busy sender accumulates one of each per send.
 */
const answer = (): GraphResponse => ({ status: 200, ok: true, headers: { get: () => null }, body: null, text: () => Promise.resolve("{}") });

let seen: AbortSignal[] = [];
const fetchOk: GraphFetch = (_url, init) => {
  seen.push(init.signal as AbortSignal);
  return Promise.resolve(answer());
};
/** Never answers; rejects with the signal's reason once it aborts, like fetch. */
const fetchHanging: GraphFetch = (_url, init) =>
  new Promise((_, reject) => {
    seen.push(init.signal as AbortSignal);
    init.signal?.addEventListener("abort", () => reject(init.signal?.reason));
  });

const transportWith = (fetch: GraphFetch) => createGraphTransport({ baseUrl: "http://graph.test", apiVersion: "v24.0", accessToken: "t0k3n", fetch, timeoutMs: 1000 });

afterEach(() => {
  vi.useRealTimers();
  seen = [];
});

describe("graph transport: one exchange's timeout and signal", () => {
  it("arms one timer per exchange and clears it once the answer was read", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const response = await transportWith(fetchOk).request("http://graph.test/x", { method: "POST", json: "{}" });
    expect(vi.getTimerCount()).toBe(1);
    expect(await response.text()).toBe("{}");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("aborts a hanging exchange with a TimeoutError after timeoutMs", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const pending = transportWith(fetchHanging).request("http://graph.test/x", { method: "POST", json: "{}", timeoutMs: 250 });
    const outcome = pending.then(() => "answered", (error: unknown) => error);
    await vi.advanceTimersByTimeAsync(249);
    expect(seen[0]?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await outcome).toMatchObject({ name: "TimeoutError" });
    expect(vi.getTimerCount()).toBe(0);
  });

  it("passes the caller's abort on, and leaves no listener on the caller's signal once the exchange ended", async () => {
    const shutdown = new AbortController();
    const transport = transportWith(fetchOk);
    const response = await transport.request("http://graph.test/x", { method: "POST", json: "{}", signal: shutdown.signal });
    expect(getEventListeners(shutdown.signal, "abort")).toHaveLength(1);
    await response.text();
    expect(getEventListeners(shutdown.signal, "abort")).toHaveLength(0);

    const hanging = transportWith(fetchHanging).request("http://graph.test/x", { method: "POST", json: "{}", signal: shutdown.signal });
    shutdown.abort(new Error("shutting down"));
    await expect(hanging).rejects.toThrow("shutting down");
    expect(getEventListeners(shutdown.signal, "abort")).toHaveLength(0);
  });

  it("keeps nothing per exchange on a long-lived caller signal", async () => {
    const shutdown = new AbortController();
    const transport = transportWith(fetchOk);
    for (let i = 0; i < 2000; i += 1) await (await transport.request("http://graph.test/x", { method: "POST", json: "{}", signal: shutdown.signal })).text();
    // Node 20's AbortSignal.any keeps one entry per combined signal in this internal set, for ever.
    const dependants = Object.getOwnPropertySymbols(shutdown.signal).find((symbol) => symbol.description === "kDependantSignals");
    const held = dependants === undefined ? undefined : (shutdown.signal as unknown as Record<symbol, Set<unknown> | undefined>)[dependants];
    expect(held?.size ?? 0).toBe(0);
    expect(getEventListeners(shutdown.signal, "abort")).toHaveLength(0);
  });
});
