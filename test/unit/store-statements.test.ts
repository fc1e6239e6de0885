import BetterSqlite3 from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrations } from "../../src/store/migrations/index.js";
import { runMigrations } from "../../src/store/migrations/migrate.js";
import { createKyselyStore } from "../../src/store/kysely/store.js";
import type { Database } from "../../src/store/schema.js";
import type { Store } from "../../src/store/store.js";
import { draft, statusUpdate, T0, textMessage } from "../contract/events.js";

/**
 * White-box: which statements the workers' store calls run (SQLite, through Kysely's query log).
 * The contract suite checks what they do; this checks they stay few per batch, whatever its size.
 */
describe("statements per batch", () => {
  let store: Store;
  let statements: string[];

  beforeEach(async () => {
    statements = [];
    const db = new Kysely<Database>({
      dialect: new SqliteDialect({ database: new BetterSqlite3(":memory:") }),
      log: (event) => void statements.push(event.query.sql.split(/\s+/).slice(0, 3).join(" ")),
    });
    await runMigrations(db, "sqlite", migrations, T0);
    store = createKyselyStore(db, "sqlite");
  });
  afterEach(() => store.close());

  const during = async (work: () => Promise<unknown>) => {
    statements = [];
    await work();
    return statements;
  };

  it("completes a batch of items with replies in one transaction of a fixed number of statements, tagging bodies in the INSERT", async () => {
    const contacts = ["a", "b", "c", "d", "e", "f"];
    await store.record([contacts.map((c) => textMessage(`${c}1`, c))], T0);
    const items = await store.claimInbox({ workerId: "w1", nowMs: T0, leaseMs: 1000, limit: 10 });
    const run = await during(() => store.completeInboxItems(items.map((item) => ({ item, replies: [draft("x", item.contactKey), draft("y", item.contactKey)] })), "w1", T0));
    expect(run).toEqual(["begin", 'update "wahook_inbox" set', "select coalesce((select seq", 'insert into "wahook_outbox"', "commit"]);
    expect((await store.listOutbox({ limit: 20 })).every((row) => row.body.biz_opaque_callback_data === `wahook:${row.id}`)).toBe(true);
  });

  it("settles a batch without looking for statuses to apply when none is stored for its wamids, and applies them when one is", async () => {
    await store.enqueue([draft("one"), draft("two"), draft("three")], T0);
    const first = await store.claimOutbox({ workerId: "w1", nowMs: T0, leaseMs: 1000, limit: 2 });
    const log = { startedAtMs: T0, durationMs: 1 };
    const run = await during(() => store.settleOutboxItems(first.map((item, i) => ({ item, outcome: { kind: "sent", wamid: `wamid.N${i}` }, attempt: log })), "w1", T0));
    expect(run).toEqual(["begin", 'update "wahook_outbox" set', 'insert into "wahook_attempts"', "commit"]);

    await store.record([[statusUpdate("wamid.EARLY", "delivered")]], T0);
    const [last] = await store.claimOutbox({ workerId: "w1", nowMs: T0, leaseMs: 1000, limit: 1 });
    const applied = await during(() => store.settleOutboxItems([{ item: last!, outcome: { kind: "sent", wamid: "wamid.EARLY" }, attempt: log }], "w1", T0));
    expect(applied).toEqual(["begin", 'update "wahook_outbox" set', 'insert into "wahook_attempts"', 'update "wahook_outbox" set', "commit"]);
    expect((await store.getOutbox(last!.id))?.deliveryStatus).toBe("delivered");
  });
});
