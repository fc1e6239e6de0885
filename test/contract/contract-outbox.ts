import { describe, expect, it } from "vitest";
import type { AttemptError, OutboxItem, SendOutcome, Store } from "../../src/store/store.js";
import { draft, T0 } from "./events.js";
import { claim, useStore, type MakeStore } from "./use-store.js";

const serverError: AttemptError = { code: 131000, httpStatus: 500, title: "Something went wrong" };
const permanent: AttemptError = { code: 131047, httpStatus: 400, title: "Re-engagement message" };
const log = (startedAtMs = T0) => ({ startedAtMs, durationMs: 42 });

async function claimOne(store: Store, workerId = "w1", nowMs = T0): Promise<OutboxItem> {
  const [item] = await store.claimOutbox(claim(workerId, nowMs, 1));
  expect(item).toBeDefined();
  return item!;
}

const settle = (store: Store, item: OutboxItem, outcome: SendOutcome, workerId = "w1", nowMs = T0 + 50) => store.settleOutbox(item, workerId, outcome, log(), nowMs);

export function outboxContract(makeStore: MakeStore): void {
  describe("outbox", () => {
    const store = useStore(makeStore);

    it("enqueues drafts, returning their ids in order, and claims the oldest first", async () => {
      const ids = await store().enqueue([draft("one"), draft("two"), draft("three")], T0);
      expect(ids).toHaveLength(3);
      expect([...ids].sort((a, b) => a - b)).toEqual(ids);
      const claimed = await store().claimOutbox(claim("w1", T0, 2));
      expect(claimed.map((i) => i.id)).toEqual(ids.slice(0, 2));
      expect(claimed[0]).toEqual({
        id: ids[0], phoneNumberId: draft("one").phoneNumberId, recipient: "4915100000001", kind: "message", body: { ...draft("one").body, biz_opaque_callback_data: `wahook:${ids[0]}` },
        attempts: 0, createdAtMs: T0, sourceMessageId: null, ambiguousSinceMs: null,
      });
      expect(await store().enqueue([], T0)).toEqual([]);
    });

    it("does not hand out a leased item again until its lease expires", async () => {
      await store().enqueue([draft("one")], T0);
      await store().claimOutbox(claim("w1", T0, 10, 100));
      expect(await store().claimOutbox(claim("w2", T0 + 99))).toEqual([]);
      expect(await store().claimOutbox(claim("w2", T0 + 100))).toHaveLength(1);
    });

    it("settles a send: sent with its wamid, one attempt recorded, not claimed again", async () => {
      const [id] = await store().enqueue([draft("one")], T0);
      const item = await claimOne(store());
      expect(await settle(store(), item, { kind: "sent", wamid: "wamid.S1" })).toBe(true);
      expect(await store().getOutbox(id!)).toMatchObject({ state: "sent", wamid: "wamid.S1", attempts: 1, deliveryStatus: null });
      expect(await store().listAttempts(id!)).toEqual([{ outboxId: id, attempt: 1, outcome: "sent", httpStatus: 200, errorCode: null, errorTitle: null, startedAtMs: T0, durationMs: 42 }]);
      expect(await store().claimOutbox(claim("w1", T0 + 1_000_000))).toEqual([]);
    });

    it("settles a retry: pending again, due at retryAtMs, attempt and error recorded", async () => {
      const [id] = await store().enqueue([draft("one")], T0);
      expect(await settle(store(), await claimOne(store()), { kind: "retry", retryAtMs: T0 + 2000, error: serverError })).toBe(true);
      expect(await store().getOutbox(id!)).toMatchObject({ state: "pending", attempts: 1, nextAttemptAtMs: T0 + 2000, lastErrorCode: 131000, lastErrorTitle: "Something went wrong" });
      expect(await store().claimOutbox(claim("w1", T0 + 1999))).toEqual([]);
      const again = await claimOne(store(), "w1", T0 + 2000);
      expect(again.attempts).toBe(1);
      expect(await settle(store(), again, { kind: "sent", wamid: "wamid.S2" }, "w1", T0 + 2100)).toBe(true);
      expect((await store().listAttempts(id!)).map((a) => [a.attempt, a.outcome, a.httpStatus, a.errorCode])).toEqual([
        [1, "retry", 500, 131000],
        [2, "sent", 200, null],
      ]);
    });

    it("settles failed and dead, counts them, and an operator's retry makes them due again", async () => {
      const [failedId, deadId] = await store().enqueue([draft("f"), draft("d")], T0);
      const [f, d] = await store().claimOutbox(claim("w1", T0));
      expect(await settle(store(), f!, { kind: "failed", error: permanent })).toBe(true);
      expect(await settle(store(), d!, { kind: "dead", error: serverError })).toBe(true);
      expect(await store().getOutbox(failedId!)).toMatchObject({ state: "failed", lastErrorCode: 131047, lastErrorTitle: "Re-engagement message", attempts: 1 });
      expect(await store().getOutbox(deadId!)).toMatchObject({ state: "dead", lastErrorCode: 131000 });
      expect(await store().depth()).toMatchObject({ outboxPending: 0, outboxFailed: 2 });
      expect((await store().listOutbox({ states: ["failed", "dead"], limit: 10 })).map((r) => r.id).sort()).toEqual([failedId, deadId].sort());
      expect(await store().claimOutbox(claim("w1", T0 + 1_000_000))).toEqual([]);

      expect(await store().retryOutbox(failedId!, T0 + 500)).toBe(true);
      expect(await store().retryOutbox(failedId!, T0 + 500)).toBe(false);
      expect(await store().getOutbox(failedId!)).toMatchObject({ state: "pending", nextAttemptAtMs: T0 + 500 });
      expect((await store().claimOutbox(claim("w1", T0 + 500))).map((i) => i.id)).toEqual([failedId]);
      expect(await store().retryOutbox(123456, T0)).toBe(false);
    });

    it("changes nothing when the lease was lost before settling", async () => {
      const [id] = await store().enqueue([draft("one")], T0);
      const stale = (await store().claimOutbox(claim("w1", T0, 1, 100)))[0]!;
      await store().claimOutbox(claim("w2", T0 + 100, 1, 60_000));
      const before = await store().getOutbox(id!);
      for (const outcome of [{ kind: "sent", wamid: "wamid.X" }, { kind: "dead", error: serverError }] as const) {
        expect(await settle(store(), stale, outcome, "w1", T0 + 200)).toBe(false);
      }
      expect(await store().deferOutbox(stale, "w1", T0 + 5000)).toBe(false);
      expect(await store().getOutbox(id!)).toEqual(before);
      expect(await store().listAttempts(id!)).toEqual([]);
    });

    it("defers an item without counting an attempt", async () => {
      const [id] = await store().enqueue([draft("one")], T0);
      const item = await claimOne(store());
      expect(await store().deferOutbox(item, "w1", T0 + 250)).toBe(true);
      expect(await store().getOutbox(id!)).toMatchObject({ state: "pending", attempts: 0, nextAttemptAtMs: T0 + 250 });
      expect(await store().listAttempts(id!)).toEqual([]);
      expect(await store().claimOutbox(claim("w2", T0 + 249))).toEqual([]);
      expect(await store().claimOutbox(claim("w2", T0 + 250))).toHaveLength(1);
    });

    it("settles a receipt that got no wamid back", async () => {
      const [id] = await store().enqueue([draft("wamid.IN", "4915100000001", "receipt")], T0);
      expect(await settle(store(), await claimOne(store()), { kind: "sent", wamid: null })).toBe(true);
      expect(await store().getOutbox(id!)).toMatchObject({ kind: "receipt", state: "sent", wamid: null, body: { status: "read", message_id: "wamid.IN" } });
    });

    it("lists newest first, filters by state, and knows no unknown id", async () => {
      const ids = await store().enqueue([draft("a"), draft("b"), draft("c")], T0);
      await settle(store(), await claimOne(store()), { kind: "sent", wamid: "wamid.L" });
      expect((await store().listOutbox({ limit: 10 })).map((r) => r.id)).toEqual([...ids].reverse());
      expect((await store().listOutbox({ limit: 2 })).map((r) => r.id)).toEqual([ids[2], ids[1]]);
      expect((await store().listOutbox({ states: ["sent"], limit: 10 })).map((r) => r.id)).toEqual([ids[0]]);
      expect(await store().listOutbox({ states: [], limit: 10 })).toEqual([]);
      expect(await store().getOutbox(987654)).toBeUndefined();
      expect(await store().listAttempts(987654)).toEqual([]);
    });

    it("never hands one item to two concurrent claimers", async () => {
      const ids = await store().enqueue(Array.from({ length: 30 }, (_, i) => draft(`m${i}`)), T0);
      const claimed = (await Promise.all(Array.from({ length: 6 }, (_, w) => store().claimOutbox(claim(`w${w}`, T0, 7))))).flat();
      claimed.push(...(await store().claimOutbox(claim("sweeper", T0, 30))));
      expect(claimed.map((i) => i.id).sort((a, b) => a - b)).toEqual(ids);
    });
  });
}
