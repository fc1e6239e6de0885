import { describe, expect, it } from "vitest";
import type { WebhookEvent } from "../../src/events/types.js";
import type { ClaimedInboxItem, Store } from "../../src/store/store.js";
import { draft, T0, textMessage } from "./events.js";
import { claim, useStore, type MakeStore } from "./use-store.js";

const bodyOf = (events: readonly WebhookEvent[]): Buffer => Buffer.from(JSON.stringify(events));
const parseEvents = (body: Uint8Array): WebhookEvent[] => JSON.parse(Buffer.from(body).toString("utf8")) as WebhookEvent[];
const sent = { kind: "sent" as const, wamid: "wamid.OUT" };
const log = { startedAtMs: T0, durationMs: 5 };

/** a1, b1, c1 recorded and claimed by w1; each completion replies once. */
async function claimedThree(store: Store): Promise<ClaimedInboxItem[]> {
  await store.record([[textMessage("a1", "a"), textMessage("b1", "b"), textMessage("c1", "c")]], T0);
  return store.claimInbox(claim("w1", T0));
}
const replyingTo = (items: readonly ClaimedInboxItem[]) => items.map((item) => ({ item, replies: [draft(`re ${item.messageId}`, item.contactKey)] }));

/**
 * Work handed from one stage to the next inside the transaction that creates it (ReplyLease,
 * InboxLease): leased to the worker as a claim would lease it, so the worker skips the claim.
 */
export function handoffContract(makeStore: MakeStore): void {
  describe("leasing new work to its own worker (handoff)", () => {
    const store = useStore(makeStore);

    it("a completion leases at most `limit` of its new replies, tagged and durable, and no one else can claim them", async () => {
      const items = await claimedThree(store());
      const result = await store().completeInboxLeasing(replyingTo(items), "w1", T0 + 1, { leaseMs: 60_000, limit: 2 });
      expect(result.completed).toEqual([true, true, true]);
      const rows = (await store().listOutbox({ limit: 10 })).sort((a, b) => a.id - b.id);
      expect(result.leased).toEqual(rows.slice(0, 2).map((row) => ({
        id: row.id, phoneNumberId: row.phoneNumberId, recipient: row.recipient, kind: "message", body: row.body, attempts: 0, createdAtMs: T0 + 1, sourceMessageId: row.sourceMessageId, ambiguousSinceMs: null,
      })));
      expect(result.leased.map((item) => item.body.biz_opaque_callback_data)).toEqual(rows.slice(0, 2).map((row) => `wahook:${row.id}`));
      expect((await store().claimOutbox(claim("w2", T0 + 2))).map((item) => item.id)).toEqual([rows[2]!.id]);
      expect(await store().settleOutboxItems(result.leased.map((item) => ({ item, outcome: sent, attempt: log })), "w1", T0 + 3)).toEqual([true, true]);
    });

    it("leases nothing for a completion whose inbox lease was lost, nor with limit 0", async () => {
      const items = await claimedThree(store());
      await store().failInbox(items[0]!, "w1", { error: "lost", retryAtMs: T0 }, T0);
      const lost = await store().completeInboxLeasing(replyingTo(items.slice(0, 1)), "w1", T0 + 1, { leaseMs: 60_000, limit: 5 });
      expect(lost).toEqual({ completed: [false], leased: [] });
      const none = await store().completeInboxLeasing(replyingTo(items.slice(1)), "w1", T0 + 1, { leaseMs: 60_000, limit: 0 });
      expect(none).toEqual({ completed: [true, true], leased: [] });
      expect(await store().claimOutbox(claim("w2", T0 + 2))).toHaveLength(2);
    });

    it("a leased reply whose worker died is taken over as ambiguous, like a claimed one", async () => {
      const items = await claimedThree(store());
      const { leased } = await store().completeInboxLeasing(replyingTo(items.slice(0, 1)), "w1", T0 + 1, { leaseMs: 100, limit: 1 });
      expect(await store().claimOutbox(claim("w2", T0 + 50))).toEqual([]);
      const taken = await store().claimOutbox(claim("w2", T0 + 200));
      expect(taken.map((item) => [item.id, item.ambiguousSinceMs])).toEqual([[leased[0]!.id, T0 + 1]]);
    });

    it("an expansion leases its new items by the claim's rules on SQLite (a contact's oldest only, none while it has one leased); PostgreSQL leaves them to the claim", async () => {
      await store().record([[textMessage("c0", "c")]], T0);
      await store().record([[textMessage("d0", "d")]], T0);
      const [c0, d0] = await store().claimInbox(claim("w0", T0));
      await store().completeInboxItems([{ item: d0!, replies: [], state: { step: 2 } }], "w0", T0);
      await store().journal([bodyOf([textMessage("a1", "a"), textMessage("a2", "a"), textMessage("b1", "b"), textMessage("c1", "c"), textMessage("d1", "d")])], T0 + 1);
      const expansion = await store().expand(parseEvents, 10, T0 + 2, { workerId: "w1", leaseMs: 60_000, limit: 10 });
      expect(expansion.result.messagesNew).toBe(5);
      if (store().dialect === "sqlite") {
        expect(expansion.claimed.map((i) => [i.messageId, i.contactKey, i.attempts, i.receivedAtMs, i.contactState])).toEqual([["a1", "a", 0, T0 + 2, {}], ["b1", "b", 0, T0 + 2, {}], ["d1", "d", 0, T0 + 2, { step: 2 }]]);
        expect(expansion.claimed[0]!.message).toEqual(JSON.parse(JSON.stringify(textMessage("a1", "a"))));
        expect(await store().claimInbox(claim("w2", T0 + 3))).toEqual([]);
      } else {
        expect(expansion.claimed).toEqual([]);
        expect((await store().claimInbox(claim("w2", T0 + 3))).map((i) => i.messageId)).toEqual(["a1", "b1", "d1"]);
      }
      expect(await store().completeInboxItems([{ item: c0!, replies: [] }], "w0", T0 + 4)).toEqual([true]);
    });

    it("an expansion leases at most `limit` items, oldest first", async () => {
      await store().journal([bodyOf([textMessage("a1", "a"), textMessage("b1", "b"), textMessage("c1", "c")])], T0);
      const expansion = await store().expand(parseEvents, 10, T0 + 1, { workerId: "w1", leaseMs: 60_000, limit: 2 });
      const leased = store().dialect === "sqlite" ? ["a1", "b1"] : [];
      expect(expansion.claimed.map((i) => i.messageId)).toEqual(leased);
      expect((await store().claimInbox(claim("w2", T0 + 2))).map((i) => i.messageId)).toEqual(["a1", "b1", "c1"].filter((id) => !leased.includes(id)));
    });
  });
}
