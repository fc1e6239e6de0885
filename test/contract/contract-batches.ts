import { describe, expect, it } from "vitest";
import type { AttemptError, ClaimedInboxItem, OutboxItem, Store } from "../../src/store/store.js";
import { draft, PHONE, statusUpdate, T0, textMessage } from "./events.js";
import { claim, useStore, type MakeStore } from "./use-store.js";

const serverError: AttemptError = { code: 131000, httpStatus: 500, title: "Something went wrong" };
const permanent: AttemptError = { code: 131047, httpStatus: 400, title: "Re-engagement message" };
const log = { startedAtMs: T0, durationMs: 7 };

/** Items a1, b1, c1 of three contacts claimed by w1 (lease 100 ms); b1's lease then taken over by w2. */
async function oneLost(store: Store): Promise<{ items: ClaimedInboxItem[]; lost: ClaimedInboxItem }> {
  await store.record([[textMessage("a1", "a"), textMessage("b1", "b"), textMessage("c1", "c")]], T0);
  const items = await store.claimInbox(claim("w1", T0, 10, 100));
  const lost = items.find((i) => i.contactKey === "b")!;
  await store.failInbox(lost, "w1", { error: "make b claimable", retryAtMs: T0 }, T0);
  expect((await store.claimInbox(claim("w2", T0 + 1))).map((i) => i.messageId)).toEqual(["b1"]);
  return { items, lost };
}

export function batchContract(makeStore: MakeStore): void {
  describe("batches: many completions or settles in one transaction", () => {
    const store = useStore(makeStore);

    it("hands each claimed item its contact's saved state", async () => {
      await store().record([[textMessage("a1", "a"), textMessage("a2", "a"), textMessage("b1", "b")]], T0);
      const first = await store().claimInbox(claim("w1", T0));
      expect(first.map((i) => [i.messageId, i.contactState])).toEqual([["a1", {}], ["b1", {}]]);
      await store().completeInboxItems([{ item: first[0]!, replies: [], state: { step: 1, name: "Zoë" } }, { item: first[1]!, replies: [] }], "w1", T0);
      expect((await store().claimInbox(claim("w1", T0))).map((i) => [i.messageId, i.contactState])).toEqual([["a2", { step: 1, name: "Zoë" }]]);
    });

    it("completes every item still leased, with its replies and state, and skips the one whose lease was lost", async () => {
      const { items, lost } = await oneLost(store());
      const completions = items.map((item) => ({ item, replies: [draft(`re ${item.messageId}`, item.contactKey), draft(`again ${item.messageId}`, item.contactKey)], state: { seen: item.messageId } }));
      expect(await store().completeInboxItems(completions, "w1", T0 + 5)).toEqual(items.map((i) => i !== lost));
      const rows = (await store().listOutbox({ limit: 10 })).reverse();
      expect(rows.map((r) => [r.sourceMessageId, r.recipient, (r.body.text as { body: string }).body, r.body.biz_opaque_callback_data])).toEqual([
        ["a1", "a", "re a1", `wahook:${rows[0]!.id}`],
        ["a1", "a", "again a1", `wahook:${rows[1]!.id}`],
        ["c1", "c", "re c1", `wahook:${rows[2]!.id}`],
        ["c1", "c", "again c1", `wahook:${rows[3]!.id}`],
      ]);
      expect(rows.map((r) => r.id)).toEqual([...rows.map((r) => r.id)].sort((x, y) => x - y));
      expect(await store().getContactState(PHONE, "a")).toEqual({ seen: "a1" });
      expect(await store().getContactState(PHONE, "b")).toEqual({});
      const inbox = await store().listInbox({ limit: 10 });
      expect(inbox.map((r) => [r.messageId, r.state]).sort()).toEqual([["a1", "done"], ["b1", "pending"], ["c1", "done"]]);
      expect(await store().completeInboxItems([{ item: lost, replies: [] }], "w2", T0 + 6)).toEqual([true]);
    });

    it("counts an item given twice in one batch once", async () => {
      await store().record([[textMessage("a1", "a")]], T0);
      const [item] = await store().claimInbox(claim("w1", T0));
      expect(await store().completeInboxItems([{ item: item!, replies: [draft("one", "a")] }, { item: item!, replies: [draft("two", "a")] }], "w1", T0)).toEqual([true, false]);
      expect((await store().listOutbox({ limit: 10 })).map((r) => (r.body.text as { body: string }).body)).toEqual(["one"]);
      expect(await store().completeInboxItems([], "w1", T0)).toEqual([]);
    });

    it("writes nothing of a batch whose transaction fails: every item stays pending and leased, and completes on the next try", async () => {
      await store().record([[textMessage("a1", "a"), textMessage("b1", "b")]], T0);
      const [a1, b1] = await store().claimInbox(claim("w1", T0));
      // A state that cannot be stored (JSON has no BigInt) fails the transaction after the items were marked done.
      const broken = [{ item: a1!, replies: [draft("re a1", "a")] }, { item: b1!, replies: [draft("re b1", "b")], state: { n: 1n } }];
      await expect(store().completeInboxItems(broken, "w1", T0)).rejects.toMatchObject({ code: "STORE_WRITE_FAILED" });
      expect((await store().listInbox({ limit: 10 })).map((r) => r.state)).toEqual(["pending", "pending"]);
      expect(await store().listOutbox({ limit: 10 })).toEqual([]);
      expect(await store().claimInbox(claim("w2", T0 + 1))).toEqual([]);
      expect(await store().completeInboxItems([{ item: a1!, replies: [draft("re a1", "a")] }, { item: b1!, replies: [] }], "w1", T0 + 2)).toEqual([true, true]);
      expect(await store().listOutbox({ limit: 10 })).toHaveLength(1);
    });

    it("settles a batch of mixed outcomes, each by its own, and skips the row whose lease was lost", async () => {
      const ids = await store().enqueue(["sent", "retry", "failed", "dead", "lost", "receipt"].map((text) => draft(text, "4915100000001", text === "receipt" ? "receipt" : "message")), T0);
      const items = await store().claimOutbox(claim("w1", T0, 10, 100));
      const lost = items[4]!;
      await store().deferOutboxItems([lost], "w1", T0);
      expect((await store().claimOutbox(claim("w2", T0 + 1))).map((i) => i.id)).toEqual([lost.id]);
      const outcomes = [
        { kind: "sent", wamid: "wamid.B1" },
        { kind: "retry", retryAtMs: T0 + 2000, error: serverError },
        { kind: "failed", error: permanent },
        { kind: "dead", error: serverError },
        { kind: "sent", wamid: "wamid.LATE" },
        { kind: "sent", wamid: null },
      ] as const;
      const settled = await store().settleOutboxItems(items.map((item, i) => ({ item, outcome: outcomes[i]!, attempt: log })), "w1", T0 + 50);
      expect(settled).toEqual([true, true, true, true, false, true]);
      const rows = await Promise.all(ids.map((id) => store().getOutbox(id)));
      expect(rows.map((r) => [r?.state, r?.wamid, r?.attempts, r?.lastErrorCode, r?.nextAttemptAtMs])).toEqual([
        ["sent", "wamid.B1", 1, null, T0],
        ["pending", null, 1, 131000, T0 + 2000],
        ["failed", null, 1, 131047, T0],
        ["dead", null, 1, 131000, T0],
        ["pending", null, 0, null, T0],
        ["sent", null, 1, null, T0],
      ]);
      const attempts = await Promise.all(ids.map((id) => store().listAttempts(id)));
      expect(attempts.map((list) => list.map((a) => [a.attempt, a.outcome, a.httpStatus, a.errorCode, a.durationMs]))).toEqual([
        [[1, "sent", 200, null, 7]],
        [[1, "retry", 500, 131000, 7]],
        [[1, "failed", 400, 131047, 7]],
        [[1, "dead", 500, 131000, 7]],
        [],
        [[1, "sent", 200, null, 7]],
      ]);
    });

    it("applies statuses that arrived before their wamids were settled, to each row of the batch", async () => {
      await store().enqueue([draft("one"), draft("two"), draft("three")], T0);
      const items = await store().claimOutbox(claim("w1", T0));
      await store().record([[statusUpdate("wamid.S1", "delivered"), statusUpdate("wamid.S3", "read"), statusUpdate("wamid.S3", "sent")]], T0 + 10);
      const wamids = ["wamid.S1", "wamid.S2", "wamid.S3"];
      expect(await store().settleOutboxItems(items.map((item, i) => ({ item, outcome: { kind: "sent", wamid: wamids[i]! }, attempt: log })), "w1", T0 + 20)).toEqual([true, true, true]);
      expect((await Promise.all(items.map((i) => store().getOutbox(i.id)))).map((r) => r?.deliveryStatus)).toEqual(["delivered", null, "read"]);
    });

    it("writes nothing of a settle batch whose transaction fails: the rows stay pending and leased", async () => {
      const ids = await store().enqueue([draft("one"), draft("two")], T0);
      const items = await store().claimOutbox(claim("w1", T0));
      // A start time the attempts table cannot take fails the transaction after the rows were updated.
      const settlements = items.map((item, i) => ({ item, outcome: { kind: "sent", wamid: `wamid.F${i}` } as const, attempt: { startedAtMs: i === 1 ? Number.NaN : T0, durationMs: 1 } }));
      await expect(store().settleOutboxItems(settlements, "w1", T0 + 5)).rejects.toMatchObject({ code: "STORE_WRITE_FAILED" });
      expect((await Promise.all(ids.map((id) => store().getOutbox(id)))).map((r) => [r?.state, r?.attempts, r?.wamid])).toEqual([["pending", 0, null], ["pending", 0, null]]);
      expect(await store().claimOutbox(claim("w2", T0 + 10))).toEqual([]);
      expect(await Promise.all(ids.map((id) => store().listAttempts(id)))).toEqual([[], []]);
    });

    it("defers a batch in one call, only the rows still leased by the worker", async () => {
      await store().enqueue([draft("one"), draft("two"), draft("three")], T0);
      const items: OutboxItem[] = await store().claimOutbox(claim("w1", T0, 10, 100));
      await store().deferOutboxItems([items[2]!], "w1", T0);
      await store().claimOutbox(claim("w2", T0 + 1));
      expect(await store().deferOutboxItems(items, "w1", T0 + 500)).toEqual([true, true, false]);
      expect((await Promise.all(items.map((i) => store().getOutbox(i.id)))).map((r) => [r?.attempts, r?.nextAttemptAtMs])).toEqual([[0, T0 + 500], [0, T0 + 500], [0, T0]]);
      expect(await store().deferOutboxItems([], "w1", T0)).toEqual([]);
    });
  });
}
