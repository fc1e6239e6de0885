import { describe, expect, it } from "vitest";
import type { OutboxItem, SendOutcome, Store } from "../../src/store/store.js";
import { draft, PHONE, recipient, statusUpdate, T0 } from "./events.js";
import { claim, useStore, type MakeStore } from "./use-store.js";

const log = { startedAtMs: T0, durationMs: 5 };
const confirmedAttempt = { outcome: "sent", httpStatus: null, errorCode: null, errorTitle: "confirmed by status webhook" };

/** A status webhook for our message, echoing the biz_opaque_callback_data we sent it with. */
const echoed = (wamid: string, status: string, data: string | undefined, phoneNumberId = PHONE) => ({
  ...statusUpdate(wamid, status),
  to: recipient(phoneNumberId),
  bizOpaqueCallbackData: data,
});

/** One queued message, claimed by `workerId` (leaseMs 1000): a send in flight, or its holder died. */
async function claimed(store: Store, workerId = "dead"): Promise<OutboxItem> {
  const [id] = await store.enqueue([draft("hi")], T0);
  const [item] = (await store.claimOutbox(claim(workerId, T0, 100, 1000))).filter((i) => i.id === id);
  expect(item).toBeDefined();
  return item!;
}

export function confirmContract(makeStore: MakeStore): void {
  describe("send tags and confirmation by status webhook", () => {
    const store = useStore(makeStore);

    it("tags every message with its outbox id, but not receipts or a bot's own value", async () => {
      const own = { ...draft("own"), body: { type: "text", text: { body: "own" }, biz_opaque_callback_data: "ticket=7" } };
      const ids = await store().enqueue([draft("a"), draft("wamid.IN", "4915100000001", "receipt"), own], T0);
      const bodies = await Promise.all(ids.map(async (id) => (await store().getOutbox(id))?.body));
      expect(bodies).toEqual([{ ...draft("a").body, biz_opaque_callback_data: `wahook:${ids[0]}` }, draft("wamid.IN", "x", "receipt").body, own.body]);
    });

    it("marks a pending row whose sender died sent with the status's wamid, one attempt, and never sends it again", async () => {
      const item = await claimed(store());
      const results = await store().record([[echoed("wamid.C1", "sent", `wahook:${item.id}`)]], T0 + 300);
      expect(results[0]?.statusesNew).toBe(1);
      expect(await store().getOutbox(item.id)).toMatchObject({ state: "sent", wamid: "wamid.C1", deliveryStatus: "sent", attempts: 1 });
      expect(await store().listAttempts(item.id)).toEqual([{ outboxId: item.id, attempt: 1, ...confirmedAttempt, startedAtMs: T0 + 300, durationMs: 0 }]);
      expect(await store().claimOutbox(claim("w2", T0 + 60_000))).toEqual([]);
      // The dead holder's settle, had it come late, changes nothing.
      expect(await store().settleOutbox(item, "dead", { kind: "sent", wamid: "wamid.C1" }, log, T0 + 400)).toBe(false);
      expect(await store().listAttempts(item.id)).toHaveLength(1);
      // Duplicates of the status change nothing either; later statuses apply as usual.
      await store().record([[echoed("wamid.C1", "sent", `wahook:${item.id}`)], [echoed("wamid.C1", "read", `wahook:${item.id}`)]], T0 + 500);
      expect(await store().getOutbox(item.id)).toMatchObject({ state: "sent", wamid: "wamid.C1", deliveryStatus: "read", attempts: 1 });
    });

    it("confirms a row whose send timed out (pending, one failed attempt) and applies statuses stored before", async () => {
      const item = await claimed(store(), "w1");
      const timeout: SendOutcome = { kind: "retry", retryAtMs: T0 + 5000, error: { code: null, httpStatus: null, title: "timeout" } };
      expect(await store().settleOutbox(item, "w1", timeout, log, T0 + 100)).toBe(true);
      await store().record([[echoed("wamid.C2", "read", undefined)]], T0 + 200);
      await store().record([[echoed("wamid.C2", "delivered", `wahook:${item.id}`)]], T0 + 300);
      expect(await store().getOutbox(item.id)).toMatchObject({ state: "sent", wamid: "wamid.C2", deliveryStatus: "read", attempts: 2 });
      expect((await store().listAttempts(item.id)).map((a) => [a.attempt, a.outcome, a.errorTitle])).toEqual([
        [1, "retry", "timeout"],
        [2, "sent", "confirmed by status webhook"],
      ]);
    });

    it("leaves a row sent with another wamid as it is, and keeps that status under its own wamid", async () => {
      const item = await claimed(store(), "w1");
      expect(await store().settleOutbox(item, "w1", { kind: "sent", wamid: "wamid.RESENT" }, log, T0 + 100)).toBe(true);
      await store().record([[echoed("wamid.FIRST", "delivered", `wahook:${item.id}`)]], T0 + 200);
      expect(await store().getOutbox(item.id)).toMatchObject({ state: "sent", wamid: "wamid.RESENT", deliveryStatus: null, attempts: 1 });
      expect(await store().listAttempts(item.id)).toHaveLength(1);
      expect((await store().listStatuses("wamid.FIRST")).map((s) => s.status)).toEqual(["delivered"]);
    });

    it("ignores a bot's own value, a malformed tag, a tag of another business number and a tag of no row", async () => {
      const item = await claimed(store());
      await store().record([[
        echoed("wamid.X1", "sent", `ticket=${item.id}`),
        echoed("wamid.X2", "sent", `wahook:${item.id}x`),
        echoed("wamid.X3", "sent", `wahook:${item.id}`, "999000000000001"),
        echoed("wamid.X4", "sent", "wahook:987654"),
      ]], T0 + 300);
      expect(await store().getOutbox(item.id)).toMatchObject({ state: "pending", wamid: null, attempts: 0 });
      expect(await store().listAttempts(item.id)).toEqual([]);
    });

    it("settles a row once when its settle and its status webhook race, whichever wins", async () => {
      for (let round = 0; round < 12; round++) {
        const item = await claimed(store(), "racer");
        const wamid = `wamid.RACE${round}`;
        // Even rounds: the send's own answer; odd rounds: a resend's answer (another wamid) or a timeout.
        const timeout: SendOutcome = { kind: "retry", retryAtMs: T0 + 9000, error: { code: null, httpStatus: null, title: "timeout" } };
        const outcome: SendOutcome = round % 4 === 1 ? { kind: "sent", wamid: `${wamid}-other` } : round % 4 === 3 ? timeout : { kind: "sent", wamid };
        const [, settled] = await Promise.all([
          store().record([[echoed(wamid, "sent", `wahook:${item.id}`)]], T0 + 10),
          store().settleOutbox(item, "racer", outcome, log, T0 + 10),
        ]);
        const row = await store().getOutbox(item.id);
        const attempts = await store().listAttempts(item.id);
        expect(row?.state).toBe("sent");
        expect(row?.attempts).toBe(attempts.length);
        expect(attempts.filter((a) => a.outcome === "sent")).toHaveLength(1);
        if (outcome.kind === "sent" && outcome.wamid === wamid) {
          expect(row).toMatchObject({ wamid, deliveryStatus: "sent" });
        } else if (outcome.kind === "sent") {
          expect(row?.wamid).toBe(settled ? outcome.wamid : wamid);
        } else {
          expect(row?.wamid).toBe(wamid);
        }
      }
    });
  });

  describe("ambiguous claims", () => {
    const store = useStore(makeStore);

    it("reports a lease that expired unreleased as ambiguous since it was taken", async () => {
      const [id] = await store().enqueue([draft("one")], T0);
      expect((await store().claimOutbox(claim("w1", T0 + 10, 1, 100)))[0]?.ambiguousSinceMs).toBeNull();
      const [again] = await store().claimOutbox(claim("w2", T0 + 110, 1, 100));
      expect(again).toMatchObject({ id, ambiguousSinceMs: T0 + 10 });
      // w2 dies as well: the next claim dates the ambiguity from w2's claim.
      expect((await store().claimOutbox(claim("w3", T0 + 210, 1, 100)))[0]?.ambiguousSinceMs).toBe(T0 + 110);
    });

    it.each([
      ["deferred", (s: Store, item: OutboxItem) => s.deferOutbox(item, "w1", T0 + 50)],
      ["released", (s: Store) => s.releaseLeases("w1")],
      ["settled for a retry", (s: Store, item: OutboxItem) => s.settleOutbox(item, "w1", { kind: "retry", retryAtMs: T0 + 50, error: { code: 131000, httpStatus: 500, title: "x" } }, log, T0 + 20)],
    ])("does not report a lease that was %s as ambiguous", async (_, giveBack) => {
      await store().enqueue([draft("one")], T0);
      const [item] = await store().claimOutbox(claim("w1", T0, 1, 100));
      await giveBack(store(), item!);
      const [again] = await store().claimOutbox(claim("w2", T0 + 200, 1, 100));
      expect(again).toMatchObject({ id: item!.id, ambiguousSinceMs: null });
    });
  });
}
