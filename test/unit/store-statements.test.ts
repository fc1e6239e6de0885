import BetterSqlite3 from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql, type CompiledQuery, type LogEvent } from "kysely";
import pg from "pg";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrations } from "../../src/store/migrations/index.js";
import { runMigrations } from "../../src/store/migrations/migrate.js";
import { createKyselyStore } from "../../src/store/kysely/store.js";
import { openPostgres } from "../../src/store/postgres/open.js";
import type { Database } from "../../src/store/schema.js";
import type { Store } from "../../src/store/store.js";
import { draft, PHONE, statusUpdate, T0, textMessage } from "../contract/events.js";
import { freshPostgresSchema, postgresUrl, skipWithoutPostgres } from "../helpers/databases.js";

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

/** The compiled queries a store call ran, in order (Kysely's query log). */
const recorder = () => {
  const queries: CompiledQuery[] = [];
  return { queries, log: (event: LogEvent) => void queries.push(event.query), take: () => queries.splice(0) };
};
const head = (query: CompiledQuery) => query.sql.trim().split(/\s+/).slice(0, 3).join(" ");

/**
 * The workers' hot statements are built and compiled once per store (prepared.ts): a second batch
 * of another size runs the very same compiled query (same operation node, same SQL text), so the
 * SQLite driver reuses its prepared statement and no Kysely building happens per batch.
 */
async function batchesTwice(store: Store, take: () => CompiledQuery[]) {
  const runs: CompiledQuery[][] = [];
  for (const [n, contact] of [[1, "p"], [3, "q"]] as const) {
    const contacts = Array.from({ length: n }, (_, i) => `${contact}${i}`);
    await store.record([contacts.map((c) => textMessage(`${c}-m`, c))], T0);
    const items = await store.claimInbox({ workerId: "w1", nowMs: T0, leaseMs: 1000, limit: 10 });
    take();
    await store.completeInboxItems(items.map((item) => ({ item, replies: [draft("x", item.contactKey)], state: { n } })), "w1", T0);
    const complete = take();
    const sends = await store.claimOutbox({ workerId: "w1", nowMs: T0, leaseMs: 1000, limit: 10 });
    take();
    await store.settleOutboxItems(sends.map((item) => ({ item, outcome: { kind: "sent", wamid: `wamid.${item.id}` }, attempt: { startedAtMs: T0, durationMs: 1 } })), "w1", T0);
    runs.push([...complete, ...take()]);
  }
  return runs;
}

const sameCompiled = (first: CompiledQuery[], second: CompiledQuery[]) => {
  expect(second.map(head)).toEqual(first.map(head));
  second.forEach((query, i) => {
    expect(query.sql).toBe(first[i]!.sql);
    // A query built per call would be a new operation node each time.
    if (!["begin", "commit"].includes(query.sql)) expect(query.query).toBe(first[i]!.query);
  });
};

describe("hot statements are compiled once", () => {
  it("SQLite: completes and settles batches of 1 and 3 with the same compiled queries", async () => {
    const rec = recorder();
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: new BetterSqlite3(":memory:") }), log: rec.log });
    await runMigrations(db, "sqlite", migrations, T0);
    const store = createKyselyStore(db, "sqlite");
    try {
      const [first, second] = await batchesTwice(store, rec.take);
      sameCompiled(first!, second!);
    } finally {
      await store.close();
    }
  });

  describe.skipIf(skipWithoutPostgres("statements per batch: PostgreSQL"))("PostgreSQL", () => {
    const schema = freshPostgresSchema();
    afterAll(() => schema.drop());

    it("completes a batch in two statements and no transaction, settles it in one statement between its lock and commit, compiled once", async () => {
      const setup = new pg.Client({ connectionString: postgresUrl() });
      await setup.connect();
      await setup.query(`create schema if not exists "${schema.name}"`).finally(() => setup.end());
      const rec = recorder();
      const pool = new pg.Pool({ connectionString: postgresUrl(), max: 2, options: `-c search_path=${schema.name}` });
      const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log: rec.log });
      await runMigrations(db, "postgres", migrations, T0);
      const store = createKyselyStore(db, "postgres");
      try {
        const [first, second] = await batchesTwice(store, rec.take);
        expect(first!.map(head)).toEqual(["select nextval(pg_get_serial_sequence('wahook_outbox', 'id'))", "with done as", "begin", "select pg_advisory_xact_lock(k) from", 'with "m" as', "commit"]);
        sameCompiled(first!, second!);
        expect((await store.listOutbox({ limit: 10 })).map((row) => [row.state, row.attempts, row.body.biz_opaque_callback_data === `wahook:${row.id}`])).toEqual(Array(4).fill(["sent", 1, true]));
        expect(await store.getContactState(PHONE, "q2")).toEqual({ n: 3 });
      } finally {
        await store.close();
      }
    });

    it("runs the hot statements as named server-side statements, and ad-hoc ones unnamed", async () => {
      const { db, nameStatements } = await openPostgres(postgresUrl() as string, { schema: schema.name, poolSize: 1 });
      const store = createKyselyStore(db, "postgres", { nameStatements });
      try {
        await store.migrate();
        await store.record([[textMessage("n1", "n")]], T0);
        const items = await store.claimInbox({ workerId: "w1", nowMs: T0, leaseMs: 1000, limit: 10 });
        await store.completeInboxItems(items.map((item) => ({ item, replies: [draft("x", item.contactKey)] })), "w1", T0);
        // One connection (poolSize 1), so this session is the one that ran them: the claim's lock
        // and lease and the completion; record's multi-row inserts (built per call) are not there.
        const { rows } = await sql<{ statement: string }>`select statement from pg_prepared_statements where name like 'wahook_%'`.execute(db);
        const heads = rows.map((row) => row.statement.trim().split(/\s+/).slice(0, 2).join(" ")).sort();
        expect(heads).toEqual(["select \"c\".\"phone_number_id\",", "with \"chosen\"", "with done"]);
      } finally {
        await store.close();
      }
    });
  });
});
