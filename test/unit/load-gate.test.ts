import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLoadGate, type LoadGateOptions } from "../../src/load-gate.js";
import { createLoop } from "../../src/loop.js";
import { silentLogger } from "../../src/runtime.js";

// Fake timers drive setTimeout, setImmediate and Date; the gate's clock reads Date.now.
beforeEach(() => void vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setImmediate", "Date"] }));
afterEach(() => void vi.useRealTimers());

const gateWith = (options: Partial<LoadGateOptions> = {}) =>
  // floodBytesPerSec -1: every busy spell counts as a flood, unless a test says otherwise
  createLoadGate({ busyAt: 2, holdMs: 2, share: 0.1, floodBytesPerSec: -1, floodAfterBusyMs: Infinity, maxWaitMs: 10_000, nowMs: () => Date.now(), ...options });

const watch = (p: Promise<void>) => {
  const state = { done: false };
  void p.then(() => (state.done = true));
  return state;
};

const enterTimes = (gate: ReturnType<typeof gateWith>, n: number) => {
  for (let i = 0; i < n; i += 1) gate.enter();
};

/** a 10 ms background tick: at a 10% share it owes 90 ms */
const owe90ms = (gate: ReturnType<typeof gateWith>) => gate.paced(async () => void (await vi.advanceTimersByTimeAsync(10)))();

describe("load gate", () => {
  it("lets background work through while few deliveries are in flight", async () => {
    const gate = gateWith();
    gate.enter();
    const q = watch(gate.quiet());
    await vi.advanceTimersByTimeAsync(0);
    expect(q.done).toBe(true);
  });

  it("while busy, and for holdMs after, makes a tick wait for the time the last one owes", async () => {
    const gate = gateWith({ holdMs: 5 });
    enterTimes(gate, 2);
    await owe90ms(gate);
    const q = watch(gate.quiet());
    await vi.advanceTimersByTimeAsync(50);
    expect(q.done).toBe(false);
    gate.leave(0);
    await vi.advanceTimersByTimeAsync(4);
    // below the threshold, but a flood's next requests may still be unread: the hold is not over
    expect(q.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(q.done).toBe(true);
  });

  it("stays closed when the deliveries come back within the hold", async () => {
    const gate = gateWith({ holdMs: 5 });
    enterTimes(gate, 2);
    await owe90ms(gate);
    const q = watch(gate.quiet());
    gate.leave(0);
    await vi.advanceTimersByTimeAsync(3);
    gate.enter();
    await vi.advanceTimersByTimeAsync(20);
    expect(q.done).toBe(false);
  });

  it("looks after the poll phase: requests read in this turn count before it decides", async () => {
    const gate = gateWith();
    await owe90ms(gate);
    // Requests that arrived while the last tick ran are read before the check phase.
    setImmediate(() => enterTimes(gate, 2));
    const q = watch(gate.quiet());
    await vi.advanceTimersByTimeAsync(50);
    expect(q.done).toBe(false);
  });

  it("while busy, gives background ticks `share` of the time: a 10 ms tick at 10% waits 90 ms", async () => {
    const gate = gateWith();
    enterTimes(gate, 2);
    await owe90ms(gate);
    const q = watch(gate.quiet());
    await vi.advanceTimersByTimeAsync(89);
    expect(q.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(q.done).toBe(true);
  });

  it("while busy, lets one tick run at a time, so several loops do not take several shares", async () => {
    const gate = gateWith();
    enterTimes(gate, 2);
    let finish: () => void = () => undefined;
    const running = gate.paced(() => new Promise<void>((resolve) => (finish = resolve)))();
    const q = watch(gate.quiet());
    await vi.advanceTimersByTimeAsync(1_000);
    expect(q.done).toBe(false);
    finish();
    await running;
    // it ran 1 s, so 9 s are owed; the wait is bounded by maxWaitMs (10 s from the quiet() call)
    await vi.advanceTimersByTimeAsync(8_999);
    expect(q.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(q.done).toBe(true);
  });

  it("charges a tick that ran while quiet at most maxWaitMs", async () => {
    const gate = gateWith({ maxWaitMs: 30 });
    await gate.paced(async () => void (await vi.advanceTimersByTimeAsync(1_000)))();
    enterTimes(gate, 2);
    const q = watch(gate.quiet());
    await vi.advanceTimersByTimeAsync(29);
    expect(q.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(q.done).toBe(true);
  });

  it("never holds a tick longer than maxWaitMs, so a sustained flood still lets replies move", async () => {
    const gate = gateWith({ busyAt: 1, maxWaitMs: 100 });
    gate.enter();
    await gate.paced(async () => void (await vi.advanceTimersByTimeAsync(50)))();
    const q = watch(gate.quiet());
    await vi.advanceTimersByTimeAsync(99);
    expect(q.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(q.done).toBe(true);
  });

  it("throttles a busy webhook only while the bodies acked over the last second exceed the flood rate", async () => {
    const gate = gateWith({ floodBytesPerSec: 10_000 });
    enterTimes(gate, 3);
    gate.leave(9_000);
    await owe90ms(gate);
    // busy (2 in flight) but 9,000 bytes in the last second: no flood, nothing waits
    const calm = watch(gate.quiet());
    await vi.advanceTimersByTimeAsync(0);
    expect(calm.done).toBe(true);
    gate.enter();
    gate.leave(2_000);
    await owe90ms(gate);
    const flood = watch(gate.quiet());
    await vi.advanceTimersByTimeAsync(50);
    expect(flood.done).toBe(false);
    // two seconds later the window holds nothing: the flood is over
    await vi.advanceTimersByTimeAsync(2_100);
    enterTimes(gate, 1);
    gate.leave(0);
    await owe90ms(gate);
    const after = watch(gate.quiet());
    await vi.advanceTimersByTimeAsync(0);
    expect(after.done).toBe(true);
  });

  it("counts a busy spell longer than floodAfterBusyMs as a flood whatever the ingress, and a spell that ended starts over", async () => {
    const gate = gateWith({ floodBytesPerSec: 1_000_000, floodAfterBusyMs: 250, holdMs: 5 });
    enterTimes(gate, 2);
    await owe90ms(gate);
    // busy for 10 ms, next to no bytes: no flood yet
    const early = watch(gate.quiet());
    await vi.advanceTimersByTimeAsync(0);
    expect(early.done).toBe(true);
    // deliveries answered and others arriving within the hold: the same spell goes on
    await vi.advanceTimersByTimeAsync(200);
    gate.leave(100);
    await vi.advanceTimersByTimeAsync(3);
    gate.enter();
    await vi.advanceTimersByTimeAsync(50);
    await owe90ms(gate);
    const late = watch(gate.quiet());
    await vi.advanceTimersByTimeAsync(50);
    expect(late.done).toBe(false);
    await vi.advanceTimersByTimeAsync(50);
    expect(late.done).toBe(true);
    // quiet past the hold, then busy again: a new spell, not yet a flood
    gate.leave(100);
    gate.leave(100);
    await vi.advanceTimersByTimeAsync(20);
    enterTimes(gate, 2);
    await owe90ms(gate);
    const fresh = watch(gate.quiet());
    await vi.advanceTimersByTimeAsync(0);
    expect(fresh.done).toBe(true);
  });

  it("is awaited by a worker loop before each tick", async () => {
    vi.useRealTimers();
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
