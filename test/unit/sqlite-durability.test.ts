import { existsSync } from "node:fs";
import { sql, type Kysely } from "kysely";
import { describe, expect, it } from "vitest";
import { createKyselyStore } from "../../src/store/kysely/store.js";
import { migrations } from "../../src/store/migrations/index.js";
import { runMigrations } from "../../src/store/migrations/migrate.js";
import type { Database } from "../../src/store/schema.js";
import { openSqlite } from "../../src/store/sqlite/open.js";
import { createWalSync } from "../../src/store/sqlite/wal-sync.js";
import { tempSqlitePath } from "../helpers/databases.js";

const pragma = async (db: Kysely<Database>, name: string) => Object.values((await sql.raw<Record<string, unknown>>(`pragma ${name}`).execute(db)).rows[0] ?? {})[0];

/** An fdatasync the test completes by hand. */
function manualFdatasync() {
  const calls: { fd: number; done: (error: NodeJS.ErrnoException | null) => void }[] = [];
  return { calls, fdatasync: (fd: number, done: (error: NodeJS.ErrnoException | null) => void) => void calls.push({ fd, done }) };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("SQLite commit durability", () => {
  it("commits with synchronous=NORMAL, no automatic checkpoint on the connection, temporary data in memory, and a WAL to fsync", async () => {
    const path = tempSqlitePath();
    const { db } = openSqlite(path);
    try {
      expect(await pragma(db, "synchronous")).toBe(1); // NORMAL
      expect(await pragma(db, "wal_autocheckpoint")).toBe(0); // the checkpoint thread does it
      expect(await pragma(db, "temp_store")).toBe(2); // MEMORY: statement journals make no temp files
      expect(existsSync(`${path}-wal`)).toBe(true);
    } finally {
      await db.destroy();
    }
  });

  it("journal() resolves only after the store's barrier, which runs after the commit", async () => {
    const { db } = openSqlite(tempSqlitePath());
    let release: () => void = () => undefined;
    const order: string[] = [];
    const store = createKyselyStore(db, "sqlite", { sync: async () => {
      order.push(`barrier after ${String(await db.selectFrom("wahook_deliveries").select(({ fn }) => fn.countAll<number>().as("n")).executeTakeFirstOrThrow().then((r) => r.n))} committed`);
      await new Promise<void>((resolve) => (release = resolve));
    } });
    try {
      await runMigrations(db, "sqlite", migrations, Date.now());
      let resolved = false;
      const journaled = store.journal([Buffer.from("{}"), Buffer.from("[]")], 1).then(() => (resolved = true));
      for (let i = 0; i < 5; i += 1) await tick();
      expect(order).toEqual(["barrier after 2 committed"]);
      expect(resolved).toBe(false);
      release();
      await journaled;
      expect(resolved).toBe(true);
    } finally {
      await store.close();
    }
  });
});

describe("the journal's direct insert (no Kysely on the ack path)", () => {
  it("writes when no transaction is open, and gives way to an open one", async () => {
    const { db, journalNow } = openSqlite(tempSqlitePath());
    try {
      await runMigrations(db, "sqlite", migrations, Date.now());
      const count = async () => Number((await db.selectFrom("wahook_deliveries").select(({ fn }) => fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n);
      expect(journalNow([Buffer.from("{}"), Buffer.from("[1]")], 5)).toBe(true);
      expect(await count()).toBe(2);
      let inside: boolean | undefined;
      await db.transaction().execute(async (trx) => {
        await trx.selectFrom("wahook_deliveries").select("id").execute();
        inside = journalNow([Buffer.from("{}")], 6);
      });
      expect(inside).toBe(false);
      expect(await count()).toBe(2);
      const rows = await db.selectFrom("wahook_deliveries").select(["body", "received_at_ms"]).orderBy("id").execute();
      expect(rows.map((r) => [Buffer.from(r.body).toString(), Number(r.received_at_ms)])).toEqual([["{}", 5], ["[1]", 5]]);
    } finally {
      await db.destroy();
    }
  });
});

/** A WAL barrier over a real database's -wal file, with an fdatasync the test completes by hand. */
async function withWal(run: (wal: ReturnType<typeof createWalSync>, manual: ReturnType<typeof manualFdatasync>) => Promise<void>) {
  const path = tempSqlitePath();
  const { db } = openSqlite(path);
  const manual = manualFdatasync();
  const wal = createWalSync(`${path}-wal`, manual);
  try {
    await run(wal, manual);
  } finally {
    wal.close();
    await db.destroy();
  }
}

describe("WAL group fsync", () => {
  it("fdatasyncs the WAL file, and every caller who arrived during one shares the next", () =>
    withWal(async (wal, manual) => {
      const settled: string[] = [];
      const first = wal.sync().then(() => settled.push("first"));
      const later = [wal.sync(), wal.sync(), wal.sync()].map((p) => p.then(() => settled.push("later")));
      expect(manual.calls).toHaveLength(1);
      await tick();
      expect(settled).toEqual([]);
      manual.calls[0]?.done(null);
      await first;
      expect(manual.calls).toHaveLength(2); // one more fdatasync for the three who waited
      manual.calls[1]?.done(null);
      await Promise.all(later);
      expect(settled).toEqual(["first", "later", "later", "later"]);
      expect(manual.calls).toHaveLength(2);
    }));

  it("makes a caller who arrives during a running fdatasync wait for the next one", () =>
    withWal(async (wal, manual) => {
      const first = wal.sync();
      let lateDone = false;
      const late = wal.sync().then(() => (lateDone = true));
      expect(manual.calls).toHaveLength(1);
      manual.calls[0]?.done(null);
      await first;
      await tick();
      // the running fdatasync may have begun before the late caller's commit: a second one runs
      expect(lateDone).toBe(false);
      expect(manual.calls).toHaveLength(2);
      manual.calls[1]?.done(null);
      await late;
    }));

  it("rejects the callers of a failed fdatasync, and the next one goes ahead", () =>
    withWal(async (wal, manual) => {
      const failed = wal.sync();
      manual.calls[0]?.done(Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" }));
      await expect(failed).rejects.toThrow("EIO");
      const next = wal.sync();
      manual.calls[1]?.done(null);
      await expect(next).resolves.toBeUndefined();
    }));
});

describe("sends wait for the disk", () => {
  it("claimOutbox returns its items only after the store's barrier, and calls none when nothing is due", async () => {
    const { db } = openSqlite(tempSqlitePath());
    let barriers = 0;
    let release: () => void = () => undefined;
    const store = createKyselyStore(db, "sqlite", { sync: () => ((barriers += 1), new Promise<void>((resolve) => (release = resolve))) });
    try {
      await runMigrations(db, "sqlite", migrations, Date.now());
      const claim = { workerId: "w", nowMs: 10, leaseMs: 1000, limit: 10 };
      expect(await store.claimOutbox(claim)).toEqual([]);
      expect(barriers).toBe(0);
      await store.enqueue([{ phoneNumberId: "1", recipient: "2", kind: "message", body: { messaging_product: "whatsapp", to: "2", type: "text", text: { body: "hi" } } }], 5);
      let items: unknown[] | undefined;
      const claimed = store.claimOutbox(claim).then((result) => (items = result));
      for (let i = 0; i < 5; i += 1) await tick();
      expect(barriers).toBe(1);
      expect(items).toBeUndefined();
      release();
      await claimed;
      expect(items).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});
