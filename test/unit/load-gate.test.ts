import { describe, expect, it, vi } from "vitest";
import { createLoadGate } from "../../src/load-gate.js";
import { createLoop } from "../../src/loop.js";
import { silentLogger } from "../../src/runtime.js";

const settled = async (p: Promise<void>) => {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
};

describe("load gate", () => {
  it("lets background work through at once while few deliveries are in flight", async () => {
    const gate = createLoadGate({ busyAt: 2, maxWaitMs: 10_000 });
    gate.enter();
    expect(await settled(gate.quiet())).toBe(true);
  });

  it("holds it while many are in flight and releases it when they drop below the threshold", async () => {
    const gate = createLoadGate({ busyAt: 2, maxWaitMs: 10_000 });
    gate.enter();
    gate.enter();
    const waiting = gate.quiet();
    expect(await settled(waiting)).toBe(false);
    gate.leave();
    expect(await settled(waiting)).toBe(true);
  });

  it("never holds it longer than maxWaitMs, so a sustained flood still lets replies move", async () => {
    vi.useFakeTimers();
    try {
      const gate = createLoadGate({ busyAt: 1, maxWaitMs: 100 });
      gate.enter();
      let done = false;
      void gate.quiet().then(() => (done = true));
      await vi.advanceTimersByTimeAsync(99);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(done).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it("is awaited by a worker loop before each tick", async () => {
    const order: string[] = [];
    let open: () => void = () => undefined;
    const loop = createLoop({
      name: "test",
      idleMs: 10_000,
      logger: silentLogger(),
      beforeTick: () => (order.push("gate"), new Promise<void>((resolve) => (open = resolve))),
      tick: async () => (order.push("tick"), 0),
    });
    loop.start();
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(["gate"]);
    open();
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(["gate", "tick"]);
    const stopped = loop.stop();
    open();
    await stopped;
  });
});
