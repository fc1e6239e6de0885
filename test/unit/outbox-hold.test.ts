import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { GraphVerdict } from "../../src/graph/classify.js";
import type { GraphClient } from "../../src/graph/client.js";
import { createMetrics } from "../../src/metrics/metrics.js";
import { createOutboxWorker } from "../../src/outbox/worker.js";
import { createRuntime } from "../../src/runtime.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import { draft, statusUpdate, T0 } from "../contract/events.js";

/**
 * The outbox worker with a real (in-memory SQLite) store, a fake Graph client and a fixed clock:
 * a message taken over from an instance that died mid-send waits for Meta's status webhook.
 */
const LEASE_MS = 1000;
const WAIT_MS = 5000;

describe("outbox worker: messages whose sender died mid-send", () => {
  let store: Store;
  let now: number;
  let sent: Record<string, unknown>[];

  let verdict: GraphVerdict | undefined;
  const graph: GraphClient = {
    sendMessage: async (_phone, body) => {
      sent.push(body);
      return { verdict: verdict ?? { kind: "ok", wamid: `wamid.W${sent.length}` }, durationMs: 1 };
    },
    markRead: () => Promise.reject(new Error("not used")),
    getMediaUrl: () => Promise.reject(new Error("not used")),
    downloadMedia: () => Promise.reject(new Error("not used")),
  };

  const worker = () =>
    createOutboxWorker({
      store, graph, runtime: createRuntime({ nowMs: () => now, random: () => 0.5 }), metrics: createMetrics(), workerId: "live",
      leaseMs: LEASE_MS, ratePerSecond: 1000, maxAgeMs: 86_400_000, retryMaxDelayMs: 1000, concurrency: 4, sendConfirmWaitMs: WAIT_MS,
      signal: new AbortController().signal,
    });

  /** One tick at `atMs`, waiting for the sends it started. */
  const tickAt = async (w: ReturnType<typeof worker>, atMs: number) => {
    now = atMs;
    await w.tick();
    await w.drain();
  };

  /** Queues a message and lets an instance claim it at T0 and die (its lease is never given back). */
  const abandoned = async (body?: Record<string, unknown>) => {
    const [id] = await store.enqueue([body ? { ...draft("x"), body } : draft("hi")], T0);
    await store.claimOutbox({ workerId: "dead", nowMs: T0, leaseMs: LEASE_MS, limit: 10 });
    return id!;
  };

  beforeEach(async () => {
    store = await openStore({ kind: "sqlite", path: ":memory:" });
    sent = [];
    verdict = undefined;
  });
  afterEach(() => store.close());

  it("holds a tagged message until the wait after the dead claim has passed, then sends it once", async () => {
    const id = await abandoned();
    const w = worker();
    await tickAt(w, T0 + LEASE_MS);
    expect(sent).toEqual([]);
    expect(await store.getOutbox(id)).toMatchObject({ state: "pending", attempts: 0, nextAttemptAtMs: T0 + WAIT_MS });
    await tickAt(w, T0 + WAIT_MS - 1);
    expect(sent).toEqual([]);
    await tickAt(w, T0 + WAIT_MS);
    expect(sent).toEqual([{ ...draft("hi").body, biz_opaque_callback_data: `wahook:${id}` }]);
    expect(await store.getOutbox(id)).toMatchObject({ state: "sent", wamid: "wamid.W1", attempts: 1 });
  });

  it("never sends it again when Meta's sent status arrives during the hold", async () => {
    const id = await abandoned();
    const w = worker();
    await tickAt(w, T0 + LEASE_MS);
    await store.record([[{ ...statusUpdate("wamid.FIRST", "sent"), bizOpaqueCallbackData: `wahook:${id}` }]], T0 + 2000);
    await tickAt(w, T0 + WAIT_MS);
    await tickAt(w, T0 + 10 * WAIT_MS);
    expect(sent).toEqual([]);
    expect(await store.getOutbox(id)).toMatchObject({ state: "sent", wamid: "wamid.FIRST", attempts: 1 });
  });

  it("sends at once when the dead claim is older than the wait", async () => {
    await abandoned();
    await tickAt(worker(), T0 + WAIT_MS + 1);
    expect(sent).toHaveLength(1);
  });

  it("sends a message with a bot's own biz_opaque_callback_data at once: no status can confirm it", async () => {
    const body = { messaging_product: "whatsapp", to: "4915100000001", type: "text", text: { body: "own" }, biz_opaque_callback_data: "order=42" };
    await abandoned(body);
    await tickAt(worker(), T0 + LEASE_MS);
    expect(sent).toEqual([body]);
  });

  it("sends a message whose previous lease was given back at once", async () => {
    const [id] = await store.enqueue([draft("hi")], T0);
    await store.claimOutbox({ workerId: "stopping", nowMs: T0, leaseMs: LEASE_MS, limit: 10 });
    await store.releaseLeases("stopping");
    await tickAt(worker(), T0 + 1);
    expect(sent.map((b) => b.biz_opaque_callback_data)).toEqual([`wahook:${id}`]);
  });

  it("retries a send that timed out no earlier than the wait after it started; one refused at once as usual", async () => {
    const [timedOut] = await store.enqueue([draft("slow")], T0);
    verdict = { kind: "retry", scope: "message", retryAfterMs: null, error: { code: null, httpStatus: null, title: "Graph request timed out" }, maybeAccepted: true };
    await tickAt(worker(), T0);
    expect(await store.getOutbox(timedOut!)).toMatchObject({ state: "pending", attempts: 1, nextAttemptAtMs: T0 + WAIT_MS });

    const [refused] = await store.enqueue([draft("down")], T0 + 10);
    verdict = { kind: "retry", scope: "message", retryAfterMs: null, error: { code: null, httpStatus: null, title: "network error: ECONNREFUSED" } };
    await tickAt(worker(), T0 + 10);
    const row = await store.getOutbox(refused!);
    expect(row).toMatchObject({ state: "pending", attempts: 1 });
    expect(row!.nextAttemptAtMs).toBeLessThan(T0 + 10 + 1000);
  });
});
