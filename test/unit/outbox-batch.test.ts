import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { GraphVerdict } from "../../src/graph/classify.js";
import type { GraphClient } from "../../src/graph/client.js";
import { createMetrics } from "../../src/metrics/metrics.js";
import { createOutboxWorker } from "../../src/outbox/worker.js";
import { createRuntime } from "../../src/runtime.js";
import { openStore } from "../../src/store/open-store.js";
import type { OutboxItem, OutboxSettlement, Store } from "../../src/store/store.js";
import { draft, T0 } from "../contract/events.js";

/**
 * The outbox worker with a real (in-memory SQLite) store, a fake Graph client and a fixed clock:
 * sends that finish together settle in one store call, each by its own outcome.
 */
const LEASE_MS = 1000;

describe("outbox worker: group-committed settles", () => {
  let store: Store;
  let now: number;
  let settleBatches: number[];
  let deferBatches: number[];
  let failNextSettle: boolean;
  let sent: string[];
  let claimLimits: number[];
  const verdicts = new Map<string, GraphVerdict>();

  const graph: GraphClient = {
    sendMessage: async (_phone, body) => {
      const text = (body.text as { body: string }).body;
      sent.push(text);
      return { verdict: verdicts.get(text) ?? { kind: "ok", wamid: `wamid.${text}` }, durationMs: 3 };
    },
    markRead: () => Promise.reject(new Error("not used")),
    getMediaUrl: () => Promise.reject(new Error("not used")),
    downloadMedia: () => Promise.reject(new Error("not used")),
  };

  /** The real store, counting batch calls (and failing one settle batch when asked). */
  const counted = (): Store => ({
    ...store,
    settleOutboxItems: async (settlements: readonly OutboxSettlement[], workerId: string, nowMs: number) => {
      settleBatches.push(settlements.length);
      if (failNextSettle) {
        failNextSettle = false;
        throw new Error("disk I/O error");
      }
      return store.settleOutboxItems(settlements, workerId, nowMs);
    },
    claimOutbox: (claim) => {
      claimLimits.push(claim.limit);
      return store.claimOutbox(claim);
    },
    deferOutboxItems: (items: readonly OutboxItem[], workerId: string, untilMs: number) => {
      deferBatches.push(items.length);
      return store.deferOutboxItems(items, workerId, untilMs);
    },
  });

  const worker = (ratePerSecond = 1000, sizes: { concurrency: number; batchSize?: number } = { concurrency: 8 }) =>
    createOutboxWorker({
      store: counted(), graph, runtime: createRuntime({ nowMs: () => now, random: () => 0.5 }), metrics: createMetrics(), workerId: "live",
      leaseMs: LEASE_MS, ratePerSecond, maxAgeMs: 86_400_000, retryMaxDelayMs: 1000, ...sizes, sendConfirmWaitMs: 5000,
      signal: new AbortController().signal,
    });

  const tickAt = async (w: ReturnType<typeof worker>, atMs: number) => {
    now = atMs;
    await w.tick();
    await w.drain();
  };

  beforeEach(async () => {
    store = await openStore({ kind: "sqlite", path: ":memory:" });
    settleBatches = [];
    deferBatches = [];
    failNextSettle = false;
    sent = [];
    claimLimits = [];
    verdicts.clear();
  });
  afterEach(() => store.close());

  it("settles sends that finish together in one store call, each by its own outcome", async () => {
    const ids = await store.enqueue([draft("ok"), draft("busy"), draft("late")], T0);
    verdicts.set("busy", { kind: "retry", scope: "message", retryAfterMs: null, error: { code: 131000, httpStatus: 500, title: "Something went wrong" } });
    verdicts.set("late", { kind: "permanent", alert: false, error: { code: 131047, httpStatus: 400, title: "Re-engagement message" } });
    await tickAt(worker(), T0);
    expect(settleBatches).toEqual([3]);
    const rows = await Promise.all(ids.map((id) => store.getOutbox(id)));
    expect(rows.map((r) => [r?.state, r?.wamid, r?.attempts, r?.lastErrorCode])).toEqual([
      ["sent", "wamid.ok", 1, null],
      ["pending", null, 1, 131000],
      ["failed", null, 1, 131047],
    ]);
  });

  it("treats the rows of a failed settle batch like sends whose answer was lost: held for Meta's status, then sent again", async () => {
    const ids = await store.enqueue([draft("one"), draft("two")], T0);
    failNextSettle = true;
    const w = worker();
    await tickAt(w, T0);
    expect((await Promise.all(ids.map((id) => store.getOutbox(id)))).map((r) => [r?.state, r?.attempts])).toEqual([["pending", 0], ["pending", 0]]);
    await tickAt(w, T0 + LEASE_MS - 1);
    await tickAt(w, T0 + LEASE_MS);
    expect(sent).toEqual(["one", "two"]);
    expect((await Promise.all(ids.map((id) => store.getOutbox(id)))).map((r) => r?.nextAttemptAtMs)).toEqual([T0 + 5000, T0 + 5000]);
    await tickAt(w, T0 + 5000);
    expect(sent).toEqual(["one", "two", "one", "two"]);
    expect((await Promise.all(ids.map((id) => store.getOutbox(id)))).map((r) => [r?.state, r?.attempts])).toEqual([["sent", 1], ["sent", 1]]);
  });

  it("has more sends in flight than one claim takes: claims of at most batchSize while up to concurrency run, settled in batches of at most batchSize", async () => {
    const texts = Array.from({ length: 10 }, (_, i) => `m${i}`);
    await store.enqueue(texts.map((text) => draft(text)), T0);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const sendOk = graph.sendMessage;
    graph.sendMessage = async (phone, body, signal) => {
      await released;
      return sendOk(phone, body, signal);
    };
    try {
      now = T0;
      const w = worker(1000, { concurrency: 10, batchSize: 4 });
      expect([await w.tick(), await w.tick(), await w.tick()]).toEqual([4, 4, 2]);
      expect(claimLimits).toEqual([4, 4, 2]);
      release();
      await w.drain();
    } finally {
      graph.sendMessage = sendOk;
    }
    expect([...sent].sort()).toEqual([...texts].sort());
    expect(Math.max(...settleBatches)).toBeLessThanOrEqual(4);
    expect(settleBatches.reduce((x, y) => x + y, 0)).toBe(10);
  });

  it("gives back what the send rate does not cover in one store call", async () => {
    await store.enqueue(["a", "b", "c", "d", "e"].map((text) => draft(text)), T0);
    await tickAt(worker(2), T0);
    expect(sent).toEqual(["a", "b"]);
    expect(deferBatches).toEqual([3]);
    expect((await store.listOutbox({ states: ["pending"], limit: 10 })).map((r) => [r.attempts, r.nextAttemptAtMs])).toEqual([[0, T0 + 500], [0, T0 + 500], [0, T0 + 500]]);
  });
});
