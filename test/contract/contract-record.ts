import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { advanceStatus } from "../../src/status/rank.js";
import type { Store } from "../../src/store/store.js";
import { draft, errorEvent, graphError, statusUpdate, stored, T0, textMessage } from "./events.js";
import { claim, useStore, type MakeStore } from "./use-store.js";

const zero = { messagesNew: 0, messagesDuplicate: 0, statusesNew: 0, statusesDuplicate: 0, errors: 0 };

/** An outbox message that was sent and got `wamid` back from Graph. */
async function sentMessage(store: Store, wamid: string): Promise<number> {
  const [id] = await store.enqueue([draft("hi")], T0);
  const [item] = (await store.claimOutbox(claim("sender", T0))).filter((i) => i.id === id);
  expect(await store.settleOutbox(item!, "sender", { kind: "sent", wamid }, { startedAtMs: T0, durationMs: 5 }, T0 + 5)).toBe(true);
  return id!;
}

export function recordContract(makeStore: MakeStore): void {
  describe("record", () => {
    const store = useStore(makeStore);

    it("records a delivery recorded five times once, counting the repeats as duplicates", async () => {
      const delivery = [textMessage("wamid.A")];
      const results = [];
      for (let i = 0; i < 5; i++) results.push(...(await store().record([delivery], T0 + i)));
      expect(results.map((r) => r.messagesNew)).toEqual([1, 0, 0, 0, 0]);
      expect(results.map((r) => r.messagesDuplicate)).toEqual([0, 1, 1, 1, 1]);
      expect(await store().listInbox({ limit: 10 })).toHaveLength(1);
    });

    it("keeps the message exactly as given, including emoji and a NUL character", async () => {
      const message = textMessage("wamid.U", "4915100000009", { body: "héllo 👋🏽 \u0000 end" });
      await store().record([[message]], T0);
      const [row] = await store().listInbox({ limit: 1 });
      expect(row).toMatchObject({ messageId: "wamid.U", phoneNumberId: message.to.phoneNumberId, contactKey: "4915100000009", attempts: 0, receivedAtMs: T0, state: "pending", lastError: null });
      expect(row?.message).toEqual(stored(message));
    });

    it("counts the first occurrence of a wamid in one call as new and later ones as duplicates", async () => {
      const results = await store().record([[textMessage("A"), textMessage("A"), textMessage("B")], [textMessage("B"), textMessage("C")]], T0);
      expect(results).toEqual([
        { ...zero, messagesNew: 2, messagesDuplicate: 1 },
        { ...zero, messagesNew: 1, messagesDuplicate: 1 },
      ]);
      expect((await store().listInbox({ limit: 10 })).map((r) => r.messageId).sort()).toEqual(["A", "B", "C"]);
    });

    it("stores one row when 20 calls record the same wamid at once", async () => {
      const results = (await Promise.all(Array.from({ length: 20 }, (_, i) => store().record([[textMessage("wamid.SAME")]], T0 + i)))).flat();
      expect(results.reduce((n, r) => n + r.messagesNew, 0)).toBe(1);
      expect(results.reduce((n, r) => n + r.messagesDuplicate, 0)).toBe(19);
      expect(await store().listInbox({ limit: 10 })).toHaveLength(1);
    });

    it("counts statuses by (wamid, status) and error events per delivery", async () => {
      const results = await store().record(
        [
          [statusUpdate("X", "sent"), statusUpdate("X", "delivered"), statusUpdate("X", "sent"), errorEvent()],
          [statusUpdate("X", "delivered"), errorEvent(), errorEvent(190)],
        ],
        T0,
      );
      expect(results).toEqual([
        { ...zero, statusesNew: 2, statusesDuplicate: 1, errors: 1 },
        { ...zero, statusesDuplicate: 1, errors: 2 },
      ]);
      expect((await store().listStatuses("X")).map((s) => s.status)).toEqual(["sent", "delivered"]);
      expect((await store().record([[statusUpdate("X", "read")]], T0 + 1))[0]).toEqual({ ...zero, statusesNew: 1 });
    });

    it("returns one zero result per delivery, empty deliveries included", async () => {
      expect(await store().record([], T0)).toEqual([]);
      expect(await store().record([[], []], T0)).toEqual([zero, zero]);
    });

    it("keeps Meta's first error code and title on a failed status", async () => {
      await store().record([[statusUpdate("F", "failed", [graphError(131026, "Message undeliverable"), graphError(1, "other")])]], T0);
      expect(await store().listStatuses("F")).toEqual([{ wamid: "F", status: "failed", timestampSec: T0 / 1000, errorCode: 131026, errorTitle: "Message undeliverable" }]);
    });

    it("orders one contact's messages within a batch by their timestamps", async () => {
      await store().record([[textMessage("late", "c", { timestampSec: 200 }), textMessage("early", "c", { timestampSec: 100 })]], T0);
      const [first] = await store().claimInbox(claim("w", T0));
      expect(first?.messageId).toBe("early");
    });
  });

  describe("delivery statuses on outbox rows", () => {
    const store = useStore(makeStore);

    it.each([
      ["read before delivered", ["read", "delivered"], "read"],
      ["failed then delivered", ["failed", "delivered"], "delivered"],
      ["delivered then failed", ["delivered", "failed"], "delivered"],
      ["sent after read", ["read", "sent"], "read"],
      ["sent then failed", ["sent", "failed"], "failed"],
    ])("only moves forward: %s", async (_, statuses, expected) => {
      const id = await sentMessage(store(), "wamid.OUT");
      for (const status of statuses) await store().record([[statusUpdate("wamid.OUT", status)]], T0 + 10);
      expect((await store().getOutbox(id))?.deliveryStatus).toBe(expected);
    });

    it("applies statuses that arrived before the send returned the wamid", async () => {
      await store().record([[statusUpdate("wamid.EARLY", "delivered")], [statusUpdate("wamid.EARLY", "sent")]], T0);
      const id = await sentMessage(store(), "wamid.EARLY");
      expect((await store().getOutbox(id))?.deliveryStatus).toBe("delivered");
    });

    it("puts Meta's error on the row when failed is the best status, and ignores unknown statuses", async () => {
      const id = await sentMessage(store(), "wamid.FAIL");
      await store().record([[statusUpdate("wamid.FAIL", "failed", [graphError(131049, "Not delivered to maintain engagement")]), statusUpdate("wamid.FAIL", "deleted")]], T0 + 10);
      expect(await store().getOutbox(id)).toMatchObject({ deliveryStatus: "failed", lastErrorCode: 131049, lastErrorTitle: "Not delivered to maintain engagement" });
      expect((await store().listStatuses("wamid.FAIL")).map((s) => s.status).sort()).toEqual(["deleted", "failed"]);
    });

    it("ends at the best status in any arrival order, before or after the wamid is known", async () => {
      const all = ["sent", "delivered", "read", "played", "failed", "deleted"];
      let round = 0;
      await fc.assert(
        fc.asyncProperty(fc.shuffledSubarray(all, { minLength: 1 }), fc.nat(), fc.boolean(), async (statuses, split, batched) => {
          const wamid = `wamid.P${round++}`;
          const cut = split % (statuses.length + 1);
          const recordAll = async (part: string[]) => {
            if (batched) await store().record([part.map((s) => statusUpdate(wamid, s))], T0);
            else for (const s of part) await store().record([[statusUpdate(wamid, s)]], T0);
          };
          await recordAll(statuses.slice(0, cut));
          const id = await sentMessage(store(), wamid);
          await recordAll(statuses.slice(cut));
          const expected = statuses.reduce<string | null>((current, s) => advanceStatus(current, s), null);
          expect((await store().getOutbox(id))?.deliveryStatus).toBe(expected);
        }),
        { numRuns: 40, seed: 20260101 },
      );
    });

    it("never loses a status recorded while the send that returns its wamid is being settled", async () => {
      for (let round = 0; round < 15; round++) {
        const wamid = `wamid.RACE${round}`;
        const [id] = await store().enqueue([draft("race")], T0);
        const [item] = (await store().claimOutbox(claim("racer", T0))).filter((i) => i.id === id);
        await Promise.all([
          store().record([[statusUpdate(wamid, "read")]], T0 + 1),
          store().settleOutbox(item!, "racer", { kind: "sent", wamid }, { startedAtMs: T0, durationMs: 1 }, T0 + 1),
        ]);
        expect((await store().getOutbox(id!))?.deliveryStatus).toBe("read");
      }
    });
  });
}
