import { describe, expect, it } from "vitest";
import type { InboxItem, Store } from "../../src/store/store.js";
import { draft, T0, textMessage } from "./events.js";
import { claim, useStore, type MakeStore } from "./use-store.js";

const ids = (items: readonly InboxItem[]) => items.map((i) => i.messageId);
const done = (store: Store, item: InboxItem | undefined, workerId: string, nowMs = T0) => store.completeInbox(item!, workerId, { replies: [] }, nowMs);

export function inboxContract(makeStore: MakeStore): void {
  describe("inbox claims", () => {
    const store = useStore(makeStore);

    it("claims one item per contact, its oldest, and different contacts together", async () => {
      await store().record([[textMessage("a1", "a"), textMessage("a2", "a"), textMessage("b1", "b")], [textMessage("c1", "c")]], T0);
      expect(ids(await store().claimInbox(claim("w1", T0)))).toEqual(["a1", "b1", "c1"]);
      expect(await store().claimInbox(claim("w2", T0))).toEqual([]);
    });

    it("gives a contact's next item only when the previous one is finished", async () => {
      await store().record([[textMessage("a1", "a"), textMessage("a2", "a")]], T0);
      const [a1] = await store().claimInbox(claim("w1", T0));
      expect(await store().claimInbox(claim("w2", T0 + 1))).toEqual([]);
      expect(await done(store(), a1, "w1", T0 + 2)).toBe(true);
      expect(ids(await store().claimInbox(claim("w2", T0 + 3)))).toEqual(["a2"]);
    });

    it("returns the oldest contacts first, no more than the limit", async () => {
      await store().record([["c1", "c2", "c3", "c4", "c5"].map((c) => textMessage(`m-${c}`, c))], T0);
      expect(ids(await store().claimInbox(claim("w1", T0, 2)))).toEqual(["m-c1", "m-c2"]);
      expect(ids(await store().claimInbox(claim("w1", T0, 0)))).toEqual([]);
    });

    it("holds a contact's later items while its item waits for a retry, then resumes in order", async () => {
      await store().record([[textMessage("a1", "a"), textMessage("a2", "a"), textMessage("b1", "b")]], T0);
      const [a1] = await store().claimInbox(claim("w1", T0, 1));
      expect(await store().failInbox(a1!, "w1", { error: "boom", retryAtMs: T0 + 1000 }, T0)).toBe(true);
      expect(ids(await store().claimInbox(claim("w1", T0 + 999)))).toEqual(["b1"]);
      const [again] = await store().claimInbox(claim("w1", T0 + 1000));
      expect(again).toMatchObject({ messageId: "a1", attempts: 1 });
    });

    it("lets another worker reclaim an expired lease, after which the first worker's completion changes nothing", async () => {
      await store().record([[textMessage("a1", "a")]], T0);
      const [first] = await store().claimInbox(claim("w1", T0, 10, 100));
      expect(await store().claimInbox(claim("w2", T0 + 99))).toEqual([]);
      const [second] = await store().claimInbox(claim("w2", T0 + 100));
      expect(second?.id).toBe(first?.id);
      const lost = await store().completeInbox(first!, "w1", { replies: [draft("late")], state: { step: 9 } }, T0 + 101);
      expect(lost).toBe(false);
      expect(await store().listOutbox({ limit: 10 })).toEqual([]);
      expect(await store().getContactState(first!.phoneNumberId, "a")).toEqual({});
      expect(await store().failInbox(first!, "w1", { error: "x", retryAtMs: null }, T0 + 101)).toBe(false);
      expect(await done(store(), second, "w2", T0 + 102)).toBe(true);
      expect((await store().listInbox({ limit: 1 }))[0]).toMatchObject({ state: "done", attempts: 0 });
    });

    it("still completes with an expired lease that nobody took over", async () => {
      await store().record([[textMessage("a1", "a")]], T0);
      const [item] = await store().claimInbox(claim("w1", T0, 10, 100));
      expect(await done(store(), item, "w1", T0 + 10_000)).toBe(true);
      expect(await done(store(), item, "w1", T0 + 10_001)).toBe(false);
    });

    it("writes the replies and the contact state together with done", async () => {
      await store().record([[textMessage("a1", "a")]], T0);
      const [item] = await store().claimInbox(claim("w1", T0));
      const replies = [draft("one", "a"), draft("two", "a"), draft("a1", "a", "receipt")];
      expect(await store().completeInbox(item!, "w1", { replies, state: { step: 1, name: "Zoë" } }, T0 + 5)).toBe(true);
      const rows = (await store().listOutbox({ limit: 10 })).reverse();
      // Messages are stored tagged with their outbox id (status webhooks echo it); receipts are not.
      expect(rows.map((r) => [r.kind, r.body, r.sourceMessageId, r.state, r.createdAtMs, r.nextAttemptAtMs])).toEqual(
        replies.map((r, i) => [r.kind, r.kind === "message" ? { ...r.body, biz_opaque_callback_data: `wahook:${rows[i]!.id}` } : r.body, "a1", "pending", T0 + 5, T0 + 5]),
      );
      expect(await store().getContactState(item!.phoneNumberId, "a")).toEqual({ step: 1, name: "Zoë" });
      expect(await store().completeInbox(item!, "w1", { replies, state: { step: 2 } }, T0 + 6)).toBe(false);
      expect(await store().listOutbox({ limit: 10 })).toHaveLength(3);
    });

    it("keeps a contact's state when a handler saves none, and has an empty state for unknown contacts", async () => {
      await store().record([[textMessage("a1", "a"), textMessage("a2", "a")]], T0);
      const [a1] = await store().claimInbox(claim("w1", T0));
      await store().completeInbox(a1!, "w1", { replies: [], state: { n: 1 } }, T0);
      const [a2] = await store().claimInbox(claim("w1", T0));
      await store().completeInbox(a2!, "w1", { replies: [] }, T0);
      expect(await store().getContactState(a1!.phoneNumberId, "a")).toEqual({ n: 1 });
      expect(await store().getContactState(a1!.phoneNumberId, "nobody")).toEqual({});
    });

    it("parks a finally failed item as failed, visible with its error, without blocking its contact", async () => {
      await store().record([[textMessage("a1", "a"), textMessage("a2", "a")]], T0);
      const [a1] = await store().claimInbox(claim("w1", T0));
      expect(await store().failInbox(a1!, "w1", { error: "handler bug", retryAtMs: null }, T0)).toBe(true);
      const failed = await store().listInbox({ state: "failed", limit: 10 });
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({ messageId: "a1", attempts: 1, lastError: "handler bug", state: "failed" });
      expect(failed[0]?.message.type).toBe("text");
      expect((await store().depth()).inboxFailed).toBe(1);
      expect(ids(await store().claimInbox(claim("w1", T0)))).toEqual(["a2"]);
      expect(ids(await store().listInbox({ state: "pending", limit: 10 }))).toEqual(["a2"]);
    });

    it("releaseLeases makes a worker's inbox and outbox items claimable at once, and no one else's", async () => {
      await store().record([[textMessage("a1", "a"), textMessage("b1", "b")]], T0);
      await store().enqueue([draft("x"), draft("y")], T0);
      const [a1] = await store().claimInbox(claim("w1", T0, 1));
      await store().claimInbox(claim("w2", T0, 1));
      await store().claimOutbox(claim("w1", T0, 1));
      await store().claimOutbox(claim("w2", T0, 1));
      await store().releaseLeases("w1");
      expect(ids(await store().claimInbox(claim("w3", T0)))).toEqual([a1!.messageId]);
      expect(await store().claimOutbox(claim("w3", T0))).toHaveLength(1);
      expect((await store().claimInbox(claim("w3", T0))).length + (await store().claimOutbox(claim("w3", T0))).length).toBe(0);
    });

    it("never gives two concurrent claimers the same contact", async () => {
      const contacts = Array.from({ length: 12 }, (_, i) => `c${i}`);
      await store().record([contacts.flatMap((c) => [textMessage(`${c}-1`, c), textMessage(`${c}-2`, c)])], T0);
      const claimed = (await Promise.all(Array.from({ length: 6 }, (_, w) => store().claimInbox(claim(`w${w}`, T0, 5))))).flat();
      // A claimer skips contacts another one has locked, so a sweep may be needed for the rest.
      claimed.push(...(await store().claimInbox(claim("sweeper", T0, 20))));
      const keys = claimed.map((i) => i.contactKey);
      expect(new Set(keys).size).toBe(keys.length);
      expect(claimed.every((i) => i.messageId.endsWith("-1"))).toBe(true);
      expect(keys.sort()).toEqual([...contacts].sort());
    });
  });
}
