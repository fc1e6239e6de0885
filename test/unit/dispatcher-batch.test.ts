import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDispatcher } from "../../src/bot/dispatcher.js";
import type { Bot } from "../../src/bot/types.js";
import { createMetrics } from "../../src/metrics/metrics.js";
import { createRuntime } from "../../src/runtime.js";
import { openStore } from "../../src/store/open-store.js";
import type { InboxCompletion, Store } from "../../src/store/store.js";
import { T0, textMessage } from "../contract/events.js";

/**
 * The bot dispatcher with a real (in-memory SQLite) store and a fixed clock: handlers that finish
 * together complete in one store call, and each item keeps its own lease check.
 */
const LEASE_MS = 1000;

describe("bot dispatcher: group-committed completions", () => {
  let store: Store;
  let now: number;
  let batches: number[];
  let failNextBatch: boolean;
  let runs: string[];
  let claimLimits: number[];

  /** The real store, counting completeInboxItems calls (and failing one when asked). */
  const counted = (): Store => ({
    ...store,
    completeInboxItems: async (completions: readonly InboxCompletion[], workerId: string, nowMs: number) => {
      batches.push(completions.length);
      if (failNextBatch) {
        failNextBatch = false;
        throw new Error("disk I/O error");
      }
      return store.completeInboxItems(completions, workerId, nowMs);
    },
    claimInbox: (claim) => {
      claimLimits.push(claim.limit);
      return store.claimInbox(claim);
    },
    getContactState: () => Promise.reject(new Error("the claim brings the state; no separate read")),
  });

  const dispatcher = (bot: Bot, metrics = createMetrics(), sizes: { batchSize: number; concurrency?: number } = { batchSize: 16 }, hints: { claimHints?: boolean; onSettled?: (mayClaim: boolean) => void } = {}) =>
    createDispatcher({
      store: counted(), bot, runtime: createRuntime({ nowMs: () => now, random: () => 0.5 }), metrics, workerId: "w1",
      leaseMs: LEASE_MS, maxAttempts: 3, retryMaxDelayMs: 1000, ...sizes, signal: new AbortController().signal, ...hints,
    });

  const echo: Bot = {
    name: "echo",
    handle: (ctx) => {
      runs.push(ctx.message.id);
      if (ctx.message.type === "text") ctx.reply(ctx.message.text.body.toUpperCase());
    },
  };

  const tickAt = async (d: ReturnType<typeof dispatcher>, atMs: number) => {
    now = atMs;
    const claimed = await d.tick();
    await d.drain();
    return claimed;
  };

  const replies = async () => (await store.listOutbox({ limit: 100 })).map((r) => `${r.recipient}:${(r.body.text as { body: string }).body}`).sort();

  beforeEach(async () => {
    store = await openStore({ kind: "sqlite", path: ":memory:" });
    batches = [];
    failNextBatch = false;
    runs = [];
    claimLimits = [];
  });
  afterEach(() => store.close());

  it("completes handlers that finish together in one store call", async () => {
    await store.record([["a", "b", "c", "d", "e"].map((c) => textMessage(`${c}1`, c, { body: `hi ${c}` }))], T0);
    expect(await tickAt(dispatcher(echo), T0)).toBe(5);
    expect(batches).toEqual([5]);
    expect(await replies()).toEqual(["a:HI A", "b:HI B", "c:HI C", "d:HI D", "e:HI E"]);
  });

  it("runs more handlers than one claim takes: claims of at most batchSize while up to concurrency run, completed in batches of at most batchSize", async () => {
    await store.record([Array.from({ length: 10 }, (_, i) => textMessage(`c${i}-1`, `c${i}`))], T0);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let running = 0;
    const slow: Bot = {
      name: "slow",
      handle: async (ctx) => {
        running += 1;
        await released;
        ctx.reply("done");
      },
    };
    now = T0;
    const d = dispatcher(slow, createMetrics(), { batchSize: 4, concurrency: 10 });
    expect([await d.tick(), await d.tick(), await d.tick()]).toEqual([4, 4, 2]);
    expect(claimLimits).toEqual([4, 4, 2]);
    expect(running).toBe(10);
    release();
    await d.drain();
    expect(Math.max(...batches)).toBeLessThanOrEqual(4);
    expect(batches.reduce((x, y) => x + y, 0)).toBe(10);
    expect(await replies()).toHaveLength(10);
  });

  it("gives handlers the contact state saved by the previous message, from the claim", async () => {
    await store.record([[textMessage("a1", "a"), textMessage("a2", "a")]], T0);
    const seen: unknown[] = [];
    const counter: Bot = {
      name: "counter",
      handle: (ctx) => {
        seen.push({ ...ctx.state });
        ctx.state.count = Number(ctx.state.count ?? 0) + 1;
      },
    };
    const d = dispatcher(counter);
    await tickAt(d, T0);
    await tickAt(d, T0 + 1);
    expect(seen).toEqual([{}, { count: 1 }]);
  });

  it("completes the others of a batch when one item's lease was lost, and counts that one as lease_lost", async () => {
    await store.record([["a", "b", "c"].map((c) => textMessage(`${c}1`, c))], T0);
    const metrics = createMetrics();
    const stealing: Bot = {
      name: "stealing",
      handle: async (ctx) => {
        if (ctx.message.id === "b1") {
          // While its handler works, b1 goes back (as if its lease ran out) and another instance takes it.
          const row = (await store.listInbox({ limit: 10 })).find((r) => r.messageId === "b1")!;
          await store.failInbox(row, "w1", { error: "lease ran out", retryAtMs: T0 }, T0);
          await store.claimInbox({ workerId: "w2", nowMs: T0, leaseMs: LEASE_MS, limit: 10 });
        }
        ctx.reply(`re ${ctx.message.id}`);
      },
    };
    await tickAt(dispatcher(stealing, metrics), T0);
    expect(batches).toEqual([3]);
    expect(await replies()).toEqual(["a:re a1", "c:re c1"]);
    const runsByOutcome = (await metrics.registry.getSingleMetric("wahook_bot_runs_total")?.get())?.values.map((v) => [v.labels.outcome, v.value]);
    expect(runsByOutcome).toEqual(expect.arrayContaining([["done", 2], ["lease_lost", 1]]));
    expect((await store.listInbox({ state: "pending", limit: 10 })).map((r) => r.messageId)).toEqual(["b1"]);
  });

  it("runs every item of a failed completion batch again once its lease expires, and replies once", async () => {
    await store.record([["a", "b"].map((c) => textMessage(`${c}1`, c, { body: `hi ${c}` }))], T0);
    failNextBatch = true;
    const d = dispatcher(echo);
    await tickAt(d, T0);
    expect(await store.listOutbox({ limit: 10 })).toEqual([]);
    expect(await tickAt(d, T0 + LEASE_MS - 1)).toBe(0);
    await tickAt(d, T0 + LEASE_MS);
    expect(runs.sort()).toEqual(["a1", "a1", "b1", "b1"]);
    expect(batches).toEqual([2, 2]);
    expect(await replies()).toEqual(["a:HI A", "b:HI B"]);
  });

  it("with claim hints, asks for a claim after a handler only while items it was told of are left unclaimed", async () => {
    // a2 waits behind a1 (one item per contact at a time); an expansion would report all three.
    await store.record([[textMessage("a1", "a"), textMessage("a2", "a"), textMessage("b1", "b")]], T0);
    const asks: boolean[] = [];
    const d = dispatcher(echo, createMetrics(), { batchSize: 16 }, { claimHints: true, onSettled: (mayClaim) => asks.push(mayClaim) });
    d.unclaimed(3);
    expect(await tickAt(d, T0)).toBe(2);
    expect(asks).toEqual([true, true]);
    expect(await tickAt(d, T0)).toBe(1);
    expect(asks).toEqual([true, true, false]);
  });

  it("with claim hints, a handler that failed and will retry counts as unclaimed again", async () => {
    await store.record([[textMessage("a1", "a")]], T0);
    const asks: boolean[] = [];
    const failing: Bot = { name: "failing", handle: () => { throw new Error("model unavailable"); } };
    await tickAt(dispatcher(failing, createMetrics(), { batchSize: 16 }, { claimHints: true, onSettled: (mayClaim) => asks.push(mayClaim) }), T0);
    expect(asks).toEqual([true]);
  });

  it("without claim hints (PostgreSQL), every finished handler asks for a claim", async () => {
    await store.record([[textMessage("a1", "a")]], T0);
    const asks: boolean[] = [];
    await tickAt(dispatcher(echo, createMetrics(), { batchSize: 16 }, { onSettled: (mayClaim) => asks.push(mayClaim) }), T0);
    expect(asks).toEqual([true]);
  });
});
