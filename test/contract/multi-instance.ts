import { describe, expect, it } from "vitest";
import type { OpenStoreOptions } from "../../src/store/open-store.js";
import type { InboxItem, Store } from "../../src/store/store.js";
import { draft, PHONE, T0, textMessage } from "./events.js";
import { claim } from "./use-store.js";

type OpenShared = () => (options?: OpenStoreOptions) => Promise<Store>;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function withStores<T>(open: (options?: OpenStoreOptions) => Promise<Store>, count: number, run: (stores: Store[]) => Promise<T>): Promise<T> {
  const stores: Store[] = [];
  try {
    for (let i = 0; i < count; i++) stores.push(await open());
    return await run(stores);
  } finally {
    await Promise.all(stores.map((s) => s.close()));
  }
}

/**
 * What several instances (separate connection pools) on one database must guarantee. Used for
 * PostgreSQL; SQLite serializes writers with BEGIN IMMEDIATE, and one process should open one store per file.
 */
export function multiInstanceContract(openShared: OpenShared): void {
  describe("several instances on one database", () => {
    it("lets instances starting together migrate a fresh schema once, all succeeding", async () => {
      const open = openShared();
      const stores = await Promise.all(Array.from({ length: 4 }, () => open({ migrate: false })));
      try {
        await Promise.all(stores.map((s) => s.migrate()));
        await Promise.all(stores.map((s) => s.migrate()));
        expect((await stores[0]!.record([[textMessage("after-migrate")]], T0))[0]?.messagesNew).toBe(1);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
      // openStore migrates by default: instances opening at once also succeed.
      await Promise.all(Array.from({ length: 3 }, () => open().then((s) => s.close())));
    });

    it("never gives two instances the same inbox item or two items of one contact, and keeps each contact's order", async () => {
      await withStores(openShared(), 2, async (stores) => {
        for (let round = 0; round < 4; round++) {
          const contacts = Array.from({ length: 8 }, (_, c) => `r${round}c${c}`);
          const messages = contacts.flatMap((c) => Array.from({ length: 5 }, (_, n) => textMessage(`${c}-m${n}`, c)));
          await stores[0]!.record([messages], T0);
          const inFlight = new Set<string>();
          const completed: string[] = [];
          const violations: string[] = [];
          const worker = async (store: Store, workerId: string) => {
            for (let idle = 0; idle < 200 && completed.length < messages.length; ) {
              const items = await store.claimInbox(claim(workerId, Date.now(), 3));
              if (items.length === 0) {
                idle += 1;
                await pause(1);
                continue;
              }
              idle = 0;
              await Promise.all(items.map(async (item: InboxItem) => {
                if (inFlight.has(item.contactKey)) violations.push(`${workerId} got ${item.messageId} while ${item.contactKey} was in flight`);
                inFlight.add(item.contactKey);
                await pause(Math.floor(Math.random() * 3));
                // Leave the set before completing: nobody may claim the contact until our commit.
                inFlight.delete(item.contactKey);
                if (await store.completeInbox(item, workerId, { replies: [] }, Date.now())) completed.push(item.messageId);
                else violations.push(`${workerId} lost the lease of ${item.messageId}`);
              }));
            }
          };
          await Promise.all(stores.flatMap((store, s) => [0, 1, 2].map((w) => worker(store, `i${s}w${w}`))));
          expect(violations).toEqual([]);
          expect([...completed].sort()).toEqual(messages.map((m) => m.id).sort());
          for (const c of contacts) expect(completed.filter((id) => id.startsWith(`${c}-`))).toEqual(messages.filter((m) => m.from.key === c).map((m) => m.id));
        }
      });
    });

    it("never gives two instances the same outbox item", async () => {
      await withStores(openShared(), 2, async (stores) => {
        for (let round = 0; round < 4; round++) {
          const ids = await stores[0]!.enqueue(Array.from({ length: 60 }, (_, i) => draft(`r${round}m${i}`)), T0);
          const sent: number[] = [];
          const worker = async (store: Store, workerId: string) => {
            for (let idle = 0; idle < 50 && sent.length < ids.length; ) {
              const items = await store.claimOutbox(claim(workerId, Date.now(), 4));
              if (items.length === 0) {
                idle += 1;
                await pause(1);
                continue;
              }
              idle = 0;
              for (const item of items) {
                if (await store.settleOutbox(item, workerId, { kind: "sent", wamid: `wamid.${item.id}` }, { startedAtMs: T0, durationMs: 1 }, Date.now())) sent.push(item.id);
              }
            }
          };
          await Promise.all(stores.flatMap((store, s) => [0, 1, 2].map((w) => worker(store, `i${s}w${w}`))));
          expect([...sent].sort((a, b) => a - b)).toEqual(ids);
          expect((await stores[1]!.listAttempts(ids[0]!)).length).toBe(1);
        }
      });
    });

    it("shares one send-token bucket between instances", async () => {
      await withStores(openShared(), 2, async (stores) => {
        const grants = await Promise.all(Array.from({ length: 40 }, (_, i) => stores[i % 2]!.takeSendTokens(PHONE, 1, 12, T0)));
        expect(grants.reduce((a, b) => a + b, 0)).toBe(12);
      });
    });
  });
}

export function liveRecordingContract(openShared: OpenShared): void {
  describe("claims while messages keep arriving", () => {
    it("never has two items of one contact in flight, even when a lower id commits after a higher one", async () => {
      await withStores(openShared(), 3, async (stores) => {
        const contacts = ["a", "b", "c"];
        const total = 240;
        let recorded = 0;
        let done = 0;
        const inFlight = new Set<string>();
        const violations: string[] = [];
        const recorder = async (store: Store, r: number) => {
          while (recorded < total) {
            const n = recorded++;
            await store.record([[textMessage(`live-${r}-${n}`, contacts[n % contacts.length])]], T0);
          }
        };
        const worker = async (store: Store, workerId: string) => {
          while (done < total) {
            const items = await store.claimInbox(claim(workerId, Date.now(), 3));
            if (items.length === 0) await pause(0);
            await Promise.all(items.map(async (item: InboxItem) => {
              if (inFlight.has(item.contactKey)) violations.push(`${workerId} got ${item.messageId} while ${item.contactKey} was in flight`);
              inFlight.add(item.contactKey);
              await pause(0);
              inFlight.delete(item.contactKey);
              if (await store.completeInbox(item, workerId, { replies: [] }, Date.now())) done += 1;
            }));
          }
        };
        await Promise.all([
          ...[0, 1, 2, 3].map((r) => recorder(stores[r % 3]!, r)),
          ...stores.flatMap((store, s) => [0, 1].map((w) => worker(store, `i${s}w${w}`))),
        ]);
        expect(violations).toEqual([]);
      });
    });
  });
}
