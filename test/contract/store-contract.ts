import { describe } from "vitest";
import { batchContract } from "./contract-batches.js";
import { confirmContract } from "./contract-confirm.js";
import { handoffContract } from "./contract-handoff.js";
import { inboxContract } from "./contract-inbox.js";
import { journalContract } from "./contract-journal.js";
import { outboxContract } from "./contract-outbox.js";
import { adminContract, rateContract } from "./contract-rate-admin.js";
import { recordContract } from "./contract-record.js";
import type { MakeStore } from "./use-store.js";

/**
 * The Store contract, written once and run against every implementation (sqlite.test.ts,
 * postgres.test.ts). makeStore must return a fresh, migrated, empty store each time.
 */
export function describeStoreContract(name: string, makeStore: MakeStore): void {
  describe(`Store contract: ${name}`, () => {
    journalContract(makeStore);
    recordContract(makeStore);
    inboxContract(makeStore);
    outboxContract(makeStore);
    batchContract(makeStore);
    confirmContract(makeStore);
    handoffContract(makeStore);
    rateContract(makeStore);
    adminContract(makeStore);
  });
}
