import pg from "pg";
import { describe, expect, it } from "vitest";
import type { OpenStoreOptions } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import { PHONE, T0, textMessage } from "./events.js";
import { claim } from "./use-store.js";

/**
 * White-box (PostgreSQL): the race the per-contact lock exists for. Another instance is mid-claim
 * (simulated with raw SQL following the store's protocol: contact row locked, lease written, not
 * committed) of a contact's newest item while an older item of the same contact commits late.
 * Our claim must skip that contact instead of leasing the older item next to it.
 */
export function claimRaceContract(openShared: () => { schema: string; open: (options?: OpenStoreOptions) => Promise<Store> }, url: string): void {
  describe("a contact being claimed elsewhere", () => {
    it("is skipped, even when an older item of it commits after the newer one was claimed", async () => {
      const { schema, open } = openShared();
      const store = await open();
      const late = new pg.Client({ connectionString: url });
      const claimer = new pg.Client({ connectionString: url });
      await Promise.all([late.connect(), claimer.connect()]);
      try {
        for (const client of [late, claimer]) await client.query(`set search_path to "${schema}"`);
        // An older message whose recording transaction commits late (a lower id committed later).
        await late.query("begin");
        await late.query(
          "insert into wahook_inbox (message_id, phone_number_id, contact_key, message, state, attempts, received_at_ms, next_attempt_at_ms) values ($1, $2, 'c', $3, 'pending', 0, $4, $4)",
          ["older", PHONE, JSON.stringify(textMessage("older", "c")), T0],
        );
        await store.record([[textMessage("newer", "c")]], T0);
        // Another instance claims "newer": contact row locked, lease written, not yet committed.
        await claimer.query("begin");
        await claimer.query("select 1 from wahook_contacts where contact_key = 'c' for update");
        await claimer.query("update wahook_inbox set lease_owner = 'other', lease_until_ms = $1 where message_id = 'newer'", [T0 + 60_000]);
        await late.query("commit");

        expect(await store.claimInbox(claim("me", T0))).toEqual([]);
        await claimer.query("commit");
        expect(await store.claimInbox(claim("me", T0))).toEqual([]);
      } finally {
        await Promise.all([late.end(), claimer.end(), store.close()]);
      }
    });
  });
}
