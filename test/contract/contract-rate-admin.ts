import { describe, expect, it } from "vitest";
import { isWahookError } from "../../src/errors.js";
import { draft, errorEvent, PHONE, statusUpdate, T0, textMessage } from "./events.js";
import { claim, useStore, type MakeStore } from "./use-store.js";

export function rateContract(makeStore: MakeStore): void {
  describe("send tokens", () => {
    const store = useStore(makeStore);

    it("grants a full second's burst, then nothing, then refills with elapsed time up to the rate", async () => {
      expect(await store().takeSendTokens(PHONE, 8, 5, T0)).toBe(5);
      expect(await store().takeSendTokens(PHONE, 8, 5, T0)).toBe(0);
      expect(await store().takeSendTokens(PHONE, 8, 5, T0 + 399)).toBe(1);
      expect(await store().takeSendTokens(PHONE, 8, 5, T0 + 400)).toBe(1);
      expect(await store().takeSendTokens(PHONE, 1, 5, T0 + 1000)).toBe(1);
      expect(await store().takeSendTokens(PHONE, 100, 5, T0 + 3_600_000)).toBe(5);
      expect(await store().takeSendTokens(PHONE, 0, 5, T0 + 7_200_000)).toBe(0);
    });

    it("keeps one bucket per business number", async () => {
      expect(await store().takeSendTokens("n1", 3, 2, T0)).toBe(2);
      expect(await store().takeSendTokens("n2", 3, 2, T0)).toBe(2);
      expect(await store().takeSendTokens("n1", 3, 2, T0)).toBe(0);
    });

    it("allows one send at a time below one per second", async () => {
      expect(await store().takeSendTokens(PHONE, 5, 0.5, T0)).toBe(1);
      expect(await store().takeSendTokens(PHONE, 5, 0.5, T0 + 1999)).toBe(0);
      expect(await store().takeSendTokens(PHONE, 5, 0.5, T0 + 2000)).toBe(1);
    });

    it("grants nothing while paused, then restarts from an empty bucket", async () => {
      expect(await store().takeSendTokens(PHONE, 1, 10, T0)).toBe(1);
      await store().pauseSends(PHONE, T0 + 5000);
      await store().pauseSends(PHONE, T0 + 1000); // a shorter pause does not cut the longer one
      expect(await store().takeSendTokens(PHONE, 10, 10, T0 + 4999)).toBe(0);
      expect(await store().takeSendTokens(PHONE, 10, 10, T0 + 5000)).toBe(0);
      expect(await store().takeSendTokens(PHONE, 10, 10, T0 + 5500)).toBe(5);
      await store().pauseSends("other", T0 + 100);
      expect(await store().takeSendTokens("other", 10, 10, T0 + 50)).toBe(0);
      expect(await store().takeSendTokens("other", 10, 10, T0 + 1100)).toBe(10);
    });

    it("never grants more than the bucket holds to concurrent takers", async () => {
      const grants = await Promise.all(Array.from({ length: 30 }, () => store().takeSendTokens(PHONE, 1, 10, T0)));
      expect(grants.reduce((a, b) => a + b, 0)).toBe(10);
    });
  });
}

export function adminContract(makeStore: MakeStore): void {
  describe("depth, prune and lifecycle", () => {
    const store = useStore(makeStore);

    it("counts pending and failed work", async () => {
      expect(await store().depth()).toEqual({ journalPending: 0, inboxPending: 0, inboxFailed: 0, outboxPending: 0, outboxFailed: 0 });
      await store().record([[textMessage("a1", "a"), textMessage("b1", "b"), textMessage("c1", "c")]], T0);
      await store().enqueue([draft("x"), draft("y")], T0);
      const [a1, b1] = await store().claimInbox(claim("w", T0));
      await store().completeInbox(a1!, "w", { replies: [] }, T0);
      await store().failInbox(b1!, "w", { error: "e", retryAtMs: null }, T0);
      const [x] = await store().claimOutbox(claim("w", T0, 1));
      await store().settleOutbox(x!, "w", { kind: "dead", error: { code: null, httpStatus: 503, title: "down" } }, { startedAtMs: T0, durationMs: 1 }, T0);
      expect(await store().depth()).toEqual({ journalPending: 0, inboxPending: 1, inboxFailed: 1, outboxPending: 1, outboxFailed: 1 });
    });

    it("prunes finished inbox rows, statuses and errors older than the cutoff, a batch at a time", async () => {
      await store().record([[textMessage("old-done", "a"), textMessage("old-failed", "b"), textMessage("old-pending", "c"), statusUpdate("w1", "sent"), statusUpdate("w1", "read"), errorEvent()]], T0);
      await store().record([[textMessage("new-done", "d"), statusUpdate("w2", "sent")]], T0 + 10_000);
      const items = await store().claimInbox(claim("w", T0 + 10_000));
      for (const item of items) {
        if (item.messageId === "old-failed") await store().failInbox(item, "w", { error: "e", retryAtMs: null }, T0);
        else if (item.messageId !== "old-pending") await store().completeInbox(item, "w", { replies: [] }, T0);
      }
      const cutoff = T0 + 5000;
      expect(await store().prune(cutoff, 2)).toBe(2);
      expect(await store().prune(cutoff, 2)).toBe(2);
      expect(await store().prune(cutoff, 2)).toBe(1);
      expect(await store().prune(cutoff, 2)).toBe(0);
      expect((await store().listInbox({ limit: 10 })).map((r) => r.messageId).sort()).toEqual(["new-done", "old-pending"]);
      expect(await store().listStatuses("w1")).toEqual([]);
      expect(await store().listStatuses("w2")).toHaveLength(1);
      // Past retention a wamid no longer deduplicates: Meta stops retrying after 7 days.
      expect((await store().record([[textMessage("old-done", "a")]], T0 + 20_000))[0]?.messagesNew).toBe(1);
    });

    it("answers ping, tolerates repeated migrate and close, and reports use after close as unavailable", async () => {
      await store().ping();
      await store().migrate();
      await store().migrate();
      expect(["sqlite", "postgres"]).toContain(store().dialect);
      await store().close();
      await store().close();
      const error = await store().ping().then(() => undefined, (e: unknown) => e);
      expect(isWahookError(error, "STORE_UNAVAILABLE")).toBe(true);
    });
  });
}
