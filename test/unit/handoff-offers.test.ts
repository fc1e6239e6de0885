import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { createDispatcher } from "../../src/bot/dispatcher.js";
import { simulatedDelivery } from "../../src/cli/simulated-events.js";
import { parseConfig } from "../../src/config.js";
import type { GraphClient } from "../../src/graph/client.js";
import { createMetrics } from "../../src/metrics/metrics.js";
import { createOutboxWorker } from "../../src/outbox/worker.js";
import { createRuntime } from "../../src/runtime.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import type { WebhookEvent } from "../../src/events/types.js";
import { draft, T0, textMessage } from "../contract/events.js";
import { eventually } from "../helpers/eventually.js";
import { signedBody } from "../helpers/signed-request.js";

/**
 * The workers' side of the handoff (store: contract-handoff.ts): free slots offered to the stage
 * before, taken back exactly once, never while rows may wait for a claim, none after close().
 */
describe("handoff offers: the bot and the sender take new work without claiming it", () => {
  let store: Store;
  let now: number;
  let claims: number;
  let sent: string[];
  let slotsFree: number;
  beforeEach(async () => {
    store = await openStore({ kind: "sqlite", path: ":memory:" });
    now = T0;
    claims = 0;
    sent = [];
    slotsFree = 0;
  });
  afterEach(() => store.close());

  const runtime = () => createRuntime({ nowMs: () => now, random: () => 0.5 });
  const counted = (): Store => ({
    ...store,
    claimOutbox: (c) => ((claims += 1), store.claimOutbox(c)),
    claimInbox: (c) => ((claims += 1), store.claimInbox(c)),
  });
  const graph: GraphClient = {
    sendMessage: async (_phone, body) => (sent.push((body.text as { body: string }).body), { verdict: { kind: "ok", wamid: "wamid.X" }, durationMs: 1 }),
    markRead: () => Promise.reject(new Error("not used")),
    getMediaUrl: () => Promise.reject(new Error("not used")),
    downloadMedia: () => Promise.reject(new Error("not used")),
  };
  const sender = () =>
    createOutboxWorker({
      store: counted(), graph, runtime: runtime(), metrics: createMetrics(), workerId: "w1", leaseMs: 60_000, ratePerSecond: 1000, maxAgeMs: 86_400_000,
      retryMaxDelayMs: 1000, concurrency: 8, batchSize: 4, signal: new AbortController().signal, onSlotsFree: () => (slotsFree += 1),
    });
  /** two items of two contacts, claimed by w1: completions to lease replies from */
  const claimedItems = async () => {
    await store.record([[textMessage("a1", "a"), textMessage("b1", "b")]], T0);
    return store.claimInbox({ workerId: "w1", nowMs: T0, leaseMs: 60_000, limit: 10 });
  };

  it("sender: no offer until a claim came back short; then at most batchSize, within the free slots", async () => {
    const w = sender();
    expect(w.offer()).toBeUndefined();
    expect(await w.tick()).toBe(0);
    const first = w.offer();
    const second = w.offer();
    expect([first?.limit, second?.limit, w.offer()]).toEqual([4, 4, undefined]);
    expect(await w.tick()).toBe(0);
    expect(claims).toBe(1);
    first?.take([]);
    first?.take([]);
    expect([slotsFree, w.offer()?.limit]).toEqual([1, 4]);
  });

  it("sender: sends and settles the replies a completion leased to it, with no claim", async () => {
    const w = sender();
    await w.tick();
    const offer = w.offer()!;
    const items = await claimedItems();
    const { leased } = await store.completeInboxLeasing(items.map((item) => ({ item, replies: [draft(`re ${item.messageId}`, item.contactKey)] })), "w1", now, offer);
    offer.take(leased);
    await w.drain();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await w.drain();
    expect([sent.sort(), claims]).toEqual([["re a1", "re b1"], 1]);
    expect((await store.listOutbox({ limit: 10 })).map((row) => row.state)).toEqual(["sent", "sent"]);
  });

  it("sender: stops offering when rows may wait unclaimed, and sends nothing taken after close()", async () => {
    const w = sender();
    await w.tick();
    w.unleased();
    expect([w.offer(), w.backlog()]).toEqual([undefined, true]);
    await w.tick();
    const offer = w.offer()!;
    w.close();
    const items = await claimedItems();
    offer.take((await store.completeInboxLeasing(items.map((item) => ({ item, replies: [draft("late", item.contactKey)] })), "w1", now, offer)).leased);
    await w.drain();
    expect([sent, w.offer()]).toEqual([[], undefined]);
  });

  it("dispatcher: runs the items an expansion leased to it, with no claim", async () => {
    const runs: string[] = [];
    const d = createDispatcher({
      store: counted(), bot: { name: "echo", handle: (ctx) => void runs.push(ctx.message.id) }, runtime: runtime(), metrics: createMetrics(), workerId: "w1",
      leaseMs: 60_000, maxAttempts: 3, retryMaxDelayMs: 1000, batchSize: 4, concurrency: 8, signal: new AbortController().signal,
    });
    expect(d.offer()).toBeUndefined();
    await d.tick();
    const offer = d.offer()!;
    expect(offer).toMatchObject({ workerId: "w1", limit: 4 });
    const events: WebhookEvent[] = [textMessage("a1", "a"), textMessage("b1", "b")];
    await store.journal([Buffer.from(JSON.stringify(events))], now);
    const expansion = await store.expand((body) => JSON.parse(Buffer.from(body).toString("utf8")) as WebhookEvent[], 10, now, offer);
    offer.take(expansion.claimed);
    await d.drain();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await d.drain();
    expect([runs, claims]).toEqual([["a1", "b1"], 1]);
    expect((await store.listInbox({ limit: 10 })).map((row) => row.state)).toEqual(["done", "done"]);
    d.close();
    expect(d.offer()).toBeUndefined();
  });
});

describe("handoff in the app: a message's item and reply skip the claims", () => {
  it("the expansion leases the item to the bot and the completion leases the reply to the sender; no outbox claim after the first", async () => {
    const store = await openStore({ kind: "sqlite", path: ":memory:" });
    const counts = { outboxClaims: 0, leasedByExpansion: 0 };
    const sent: string[] = [];
    const counted: Store = {
      ...store,
      claimOutbox: (c) => ((counts.outboxClaims += 1), store.claimOutbox(c)),
      expand: async (parse, limit, nowMs, lease) => {
        const expansion = await store.expand(parse, limit, nowMs, lease);
        counts.leasedByExpansion += expansion.claimed.length;
        return expansion;
      },
    };
    const graph: GraphClient = {
      sendMessage: async (_phone, body) => (sent.push((body.text as { body: string }).body), { verdict: { kind: "ok", wamid: "wamid.OUT" }, durationMs: 1 }),
      markRead: () => Promise.reject(new Error("not used")),
      getMediaUrl: () => Promise.reject(new Error("not used")),
      downloadMedia: () => Promise.reject(new Error("not used")),
    };
    const secret = "handoff-secret";
    const app = createApp({ config: parseConfig({ APP_SECRET: secret, VERIFY_TOKEN: "vt", LOG_LEVEL: "silent", ACCESS_TOKEN: "t" }), store: counted, graph, idleMs: 60_000 });
    try {
      app.start();
      await eventually(async () => counts.outboxClaims, (n) => n === 1);
      const body = simulatedDelivery({ type: "text", text: "hello", from: "4915100000009", messageId: "wamid.HANDOFF1", nowSec: T0 / 1000, random: () => 0.5 });
      const answer = await app.fetch(new Request("http://localhost/webhook", { method: "POST", headers: signedBody(body, secret).headers, body }));
      expect(answer.status).toBe(200);
      await eventually(async () => sent.length, (n) => n > 0);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(sent).toEqual(["HELLO"]);
      expect(counts).toEqual({ outboxClaims: 1, leasedByExpansion: 1 });
    } finally {
      await app.stop();
      await store.close();
    }
  });
});
