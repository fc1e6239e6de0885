import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createExpander } from "../../src/inbox/expander.js";
import { createMetrics } from "../../src/metrics/metrics.js";
import { createRuntime } from "../../src/runtime.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import { PHONE, T0 } from "../contract/events.js";

/**
 * The expander sizes each transaction by events, not deliveries: one expansion blocks the event
 * loop (SQLite), and a delivery may carry one message or dozens.
 */
const delivery = (first: number, messages: number): Buffer => {
  const list = Array.from({ length: messages }, (_, i) => ({ from: `4915100${String(first + i).padStart(6, "0")}`, id: `wamid.test-${first + i}`, timestamp: "1781702400", type: "text", text: { body: `hi ${first + i}` } }));
  const value = { messaging_product: "whatsapp", metadata: { display_phone_number: "15550783881", phone_number_id: PHONE }, contacts: list.map((m) => ({ profile: { name: "A" }, wa_id: m.from })), messages: list };
  return Buffer.from(JSON.stringify({ object: "whatsapp_business_account", entry: [{ id: "0", changes: [{ field: "messages", value }] }] }));
};

describe("expander: transactions bounded by events and by time", () => {
  let store: Store;
  let limits: number[];

  beforeEach(async () => {
    store = await openStore({ kind: "sqlite", path: ":memory:" });
    limits = [];
    clock.ms = 0;
    clock.costMsPerEvent = 0;
    clock.readMs = 0;
  });
  afterEach(() => store.close());

  // A fake monotonic clock: each expansion moves it on by readMs before the store parses anything
  // (as reading the log does) and by costMsPerEvent for every event it read.
  const clock = { ms: 0, costMsPerEvent: 0, readMs: 0 };
  const expanderFor = (maxEventsPerTick: number, maxTickMs = Infinity, minEventsPerTick = 1) => {
    const counted: Store = {
      ...store,
      expand: async (parse, limit, nowMs) => {
        limits.push(limit);
        clock.ms += clock.readMs;
        const expansion = await store.expand(parse, limit, nowMs);
        clock.ms += expansion.events.length * clock.costMsPerEvent;
        return expansion;
      },
    };
    return createExpander({
      store: counted, runtime: createRuntime({ nowMs: () => T0 }), metrics: createMetrics({ depth: () => store.depth() }), phoneNumberId: PHONE,
      batchSize: 256, maxEventsPerTick, maxTickMs, minEventsPerTick, monotonicMs: () => clock.ms, onNewMessages: () => undefined,
    });
  };

  it("takes fewer deliveries per transaction once they turn out to carry many events", async () => {
    await store.journal(Array.from({ length: 40 }, (_, i) => delivery(i * 24, 24)), T0);
    const expander = expanderFor(96);
    const taken: number[] = [];
    for (let n = await expander.tick(); n > 0; n = await expander.tick()) taken.push(n);
    // The first knows nothing yet (one event each, so 96 deliveries: all 40); nothing is left after.
    expect(taken).toEqual([40]);
    await store.journal(Array.from({ length: 40 }, (_, i) => delivery(10_000 + i * 24, 24)), T0);
    for (let n = await expander.tick(); n > 0; n = await expander.tick()) taken.push(n);
    // 96 first, then 96 / 24 = 4 for every later call (the empty ones that end each loop too).
    expect(limits).toEqual([96, ...Array.from({ length: 12 }, () => 4)]);
    expect(taken.slice(1)).toEqual([4, 4, 4, 4, 4, 4, 4, 4, 4, 4]);
    expect((await store.depth()).inboxPending).toBe(80 * 24);
  });

  it("keeps the delivery limit for one-message deliveries, and never goes below one", async () => {
    await store.journal(Array.from({ length: 300 }, (_, i) => delivery(i, 1)), T0);
    const expander = expanderFor(512);
    expect([await expander.tick(), await expander.tick()]).toEqual([256, 44]);
    await store.journal([delivery(1000, 24), delivery(2000, 24)], T0);
    const tiny = expanderFor(8);
    expect([await tiny.tick(), await tiny.tick(), await tiny.tick()]).toEqual([2, 0, 0]);
    expect(limits.slice(-3)).toEqual([8, 1, 1]);
  });

  it("takes as many events as the time budget fits, by the last expansion's time per event", async () => {
    await store.journal(Array.from({ length: 300 }, (_, i) => delivery(i, 1)), T0);
    const expander = expanderFor(512, 10);
    clock.costMsPerEvent = 0.5;
    // The first knows no cost yet (256 deliveries, 128 ms); then 10 ms / 0.5 ms = 20 events.
    expect([await expander.tick(), await expander.tick()]).toEqual([256, 20]);
    // Cheaper events: the tick after the first cheap one takes 10 / 0.125 = 80 (only 4 are left).
    clock.costMsPerEvent = 0.125;
    expect([await expander.tick(), await expander.tick(), await expander.tick()]).toEqual([20, 4, 0]);
    expect(limits).toEqual([256, 20, 20, 80, 80]);
  });

  it("does not count the time before the first parse, when the store reads the log and the loop is free", async () => {
    await store.journal(Array.from({ length: 300 }, (_, i) => delivery(i, 1)), T0);
    const expander = expanderFor(512, 10);
    clock.costMsPerEvent = 0.125;
    clock.readMs = 1000;
    expect([await expander.tick(), await expander.tick()]).toEqual([256, 44]);
    expect(limits).toEqual([256, 80]);
  });

  it("never goes below minEventsPerTick for the time bound", async () => {
    await store.journal(Array.from({ length: 300 }, (_, i) => delivery(i, 1)), T0);
    const expander = expanderFor(512, 10, 64);
    clock.costMsPerEvent = 1;
    // 10 ms / 1 ms would be 10 events: the floor makes it 64.
    expect([await expander.tick(), await expander.tick()]).toEqual([256, 44]);
    expect(limits).toEqual([256, 64]);
  });

  it("never takes less than one delivery, however slow the last expansion was", async () => {
    await store.journal([delivery(0, 24), delivery(100, 24), delivery(200, 24)], T0);
    const expander = expanderFor(512, 1);
    clock.costMsPerEvent = 5;
    expect([await expander.tick(), await expander.tick()]).toEqual([3, 0]);
    await store.journal([delivery(1000, 24), delivery(2000, 24)], T0);
    expect([await expander.tick(), await expander.tick(), await expander.tick()]).toEqual([1, 1, 0]);
  });
});
