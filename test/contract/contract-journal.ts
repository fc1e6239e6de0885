import { describe, expect, it } from "vitest";
import type { WebhookEvent } from "../../src/events/types.js";
import { T0, textMessage } from "./events.js";
import { useStore, type MakeStore } from "./use-store.js";

/** The contract needs no parser: a journaled body here is the JSON of its events. */
const bodyOf = (events: readonly WebhookEvent[]): Buffer => Buffer.from(JSON.stringify(events));
const parseEvents = (body: Uint8Array): WebhookEvent[] => JSON.parse(Buffer.from(body).toString("utf8")) as WebhookEvent[];

export function journalContract(makeStore: MakeStore): void {
  describe("journal and expand", () => {
    const store = useStore(makeStore);

    it("hands expand the exact bytes journaled, oldest first, and empties the journal", async () => {
      const bodies = [Buffer.from('{"a":"\\u00e9\\/"}'), Buffer.from([0x7b, 0xf0, 0x9f, 0x91, 0x8b, 0x7d]), Buffer.alloc(0)];
      await store().journal(bodies.slice(0, 2), T0);
      await store().journal(bodies.slice(2), T0 + 1);
      expect((await store().depth()).journalPending).toBe(3);
      const seen: Buffer[] = [];
      const expansion = await store().expand((body) => (seen.push(Buffer.from(body)), []), 10, T0 + 2);
      expect(expansion).toMatchObject({ deliveries: 3, failed: 0, events: [] });
      expect(seen).toEqual(bodies);
      expect((await store().depth()).journalPending).toBe(0);
      expect((await store().expand(parseEvents, 10, T0 + 3)).deliveries).toBe(0);
    });

    it("records the parsed events as record() does: one inbox row per wamid, repeats counted as duplicates", async () => {
      const delivery = bodyOf([textMessage("wamid.J1"), textMessage("wamid.J2", "4915100000002")]);
      await store().journal([delivery, delivery], T0);
      await store().journal([delivery], T0 + 1);
      const expansion = await store().expand(parseEvents, 10, T0 + 2);
      expect(expansion.deliveries).toBe(3);
      expect(expansion.events.map((e) => (e.kind === "error" ? "" : e.id))).toEqual(["wamid.J1", "wamid.J2", "wamid.J1", "wamid.J2", "wamid.J1", "wamid.J2"]);
      expect(expansion.result).toEqual({ messagesNew: 2, messagesDuplicate: 4, statusesNew: 0, statusesDuplicate: 0, errors: 0 });
      const inbox = await store().listInbox({ limit: 10 });
      expect(inbox.map((r) => r.messageId).sort()).toEqual(["wamid.J1", "wamid.J2"]);
      expect(inbox.every((r) => r.receivedAtMs === T0 + 2 && r.state === "pending")).toBe(true);
    });

    it("takes at most `limit` deliveries per call", async () => {
      await store().journal(Array.from({ length: 5 }, (_, i) => bodyOf([textMessage(`wamid.L${i}`, `49151000000${i}`)])), T0);
      const sizes = [];
      for (let i = 0; i < 4; i++) sizes.push((await store().expand(parseEvents, 2, T0 + 1)).deliveries);
      expect(sizes).toEqual([2, 2, 1, 0]);
      expect(await store().listInbox({ limit: 10 })).toHaveLength(5);
    });

    it("keeps a delivery whose parse throws, marked and never taken again, and expands the others", async () => {
      await store().journal([bodyOf([textMessage("wamid.OK1")]), Buffer.from("not json"), bodyOf([textMessage("wamid.OK2", "4915100000002")])], T0);
      const expansion = await store().expand(parseEvents, 10, T0 + 1);
      expect(expansion).toMatchObject({ deliveries: 3, failed: 1 });
      expect(expansion.result.messagesNew).toBe(2);
      expect((await store().depth()).journalPending).toBe(0);
      expect((await store().expand(parseEvents, 10, T0 + 2)).deliveries).toBe(0);
    });

    it("changes nothing when recording the batch fails, so the same deliveries expand again later", async () => {
      await store().journal([bodyOf([textMessage("wamid.R1")]), bodyOf([textMessage("wamid.R2", "4915100000002")])], T0);
      // A message without an id cannot be stored (NOT NULL): the whole transaction rolls back.
      const broken = (body: Uint8Array) => parseEvents(body).map((e) => ({ ...e, id: null as unknown as string }));
      await expect(store().expand(broken, 10, T0 + 1)).rejects.toThrow();
      expect((await store().depth()).journalPending).toBe(2);
      expect(await store().listInbox({ limit: 10 })).toHaveLength(0);
      const expansion = await store().expand(parseEvents, 10, T0 + 2);
      expect(expansion.result.messagesNew).toBe(2);
      expect((await store().depth()).journalPending).toBe(0);
    });

    it("never gives one delivery to two expansions running at once", async () => {
      await store().journal(Array.from({ length: 40 }, (_, i) => bodyOf([textMessage(`wamid.C${i}`, `4915100001${String(i).padStart(3, "0")}`)])), T0);
      const expansions = await Promise.all(Array.from({ length: 6 }, () => store().expand(parseEvents, 5, T0 + 1)));
      let taken = expansions.reduce((n, x) => n + x.deliveries, 0);
      while (taken < 40) {
        const more = await store().expand(parseEvents, 40, T0 + 2);
        if (more.deliveries === 0) break;
        taken += more.deliveries;
      }
      expect(taken).toBe(40);
      const inbox = await store().listInbox({ limit: 100 });
      expect(new Set(inbox.map((r) => r.messageId)).size).toBe(40);
      expect(expansions.reduce((n, x) => n + x.result.messagesDuplicate, 0)).toBe(0);
    });
  });
}
