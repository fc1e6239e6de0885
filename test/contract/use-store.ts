import { afterEach, beforeEach } from "vitest";
import type { Store } from "../../src/store/store.js";

export type MakeStore = () => Promise<Store>;

/** A fresh, migrated store for every test of the enclosing describe, closed after it. */
export function useStore(makeStore: MakeStore): () => Store {
  let store: Store | undefined;
  beforeEach(async () => {
    store = await makeStore();
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });
  return () => {
    if (!store) throw new Error("store used outside a test");
    return store;
  };
}

export const claim = (workerId: string, nowMs: number, limit = 10, leaseMs = 60_000) => ({ workerId, nowMs, leaseMs, limit });
