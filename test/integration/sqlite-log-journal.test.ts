import { readdirSync, renameSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { isWahookError } from "../../src/errors.js";
import type { WebhookEvent } from "../../src/events/types.js";
import { createKyselyStore } from "../../src/store/kysely/store.js";
import { runMigrations } from "../../src/store/migrations/migrate.js";
import { migrations } from "../../src/store/migrations/index.js";
import { openStore } from "../../src/store/open-store.js";
import { openSqlite } from "../../src/store/sqlite/open.js";
import { T0, textMessage } from "../contract/events.js";
import { tempSqlitePath } from "../helpers/databases.js";

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const newPath = () => {
  const path = tempSqlitePath();
  dirs.push(dirname(path));
  return path;
};
const bodyOf = (events: readonly WebhookEvent[]): Buffer => Buffer.from(JSON.stringify(events));
const parseEvents = (body: Uint8Array): WebhookEvent[] => JSON.parse(Buffer.from(body).toString("utf8")) as WebhookEvent[];
const rowsIn = (path: string) => {
  const raw = new BetterSqlite3(path, { readonly: true });
  try {
    return raw.prepare("select count(*) from wahook_deliveries where expand_error is null").pluck().get();
  } finally {
    raw.close();
  }
};
const open = (path: string) => openStore({ kind: "sqlite", path });

describe("SQLite file store: the delivery log journals before the 200", () => {
  it("appends to the log beside the database, not to SQLite rows", async () => {
    const path = newPath();
    const store = await open(path);
    await store.journal([bodyOf([textMessage("wamid.LOG1")])], T0);
    expect(readdirSync(`${path}.deliveries`).some((name) => name.endsWith(".log"))).toBe(true);
    expect(rowsIn(path)).toBe(0);
    expect((await store.depth()).journalPending).toBe(1);
    await store.close();
  });

  it("keeps the expanded position in the database: a reopened store expands only what is left", async () => {
    const path = newPath();
    const first = await open(path);
    await first.journal([1, 2, 3].map((i) => bodyOf([textMessage(`wamid.CUR${i}`, `491510000000${i}`)])), T0);
    expect((await first.expand(parseEvents, 1, T0 + 1)).deliveries).toBe(1);
    await first.close();

    const second = await open(path);
    // the log's recovery counted the two records left after the cursor
    expect((await second.expand(parseEvents, 0, T0 + 2)).deliveries).toBe(0);
    expect((await second.depth()).journalPending).toBe(2);
    const seen: string[] = [];
    const expansion = await second.expand((body) => parseEvents(body).map((e) => (seen.push(e.kind === "message" ? e.id : ""), e)), 10, T0 + 2);
    expect(expansion.deliveries).toBe(2);
    expect(seen).toEqual(["wamid.CUR2", "wamid.CUR3"]);
    expect(expansion.result.messagesDuplicate).toBe(0);
    expect((await second.depth()).journalPending).toBe(0);
    await second.close();
  });

  it("keeps a body whose parse throws as a marked row, and moves past it", async () => {
    const path = newPath();
    const store = await open(path);
    await store.journal([Buffer.from("not json"), bodyOf([textMessage("wamid.AFTER")])], T0);
    expect(await store.expand(parseEvents, 10, T0 + 1)).toMatchObject({ deliveries: 2, failed: 1 });
    await store.close();
    const raw = new BetterSqlite3(path, { readonly: true });
    expect(raw.prepare("select body, expand_error from wahook_deliveries").all()).toEqual([{ body: Buffer.from("not json"), expand_error: expect.stringContaining("SyntaxError") }]);
    raw.close();
  });

  it("gives the log back its segments once the cursor is past them, so the directory does not grow", async () => {
    const path = newPath();
    const { db, sync, journalNow } = openSqlite(path);
    await runMigrations(db, "sqlite", migrations, T0);
    const logDir = `${path}.deliveries`;
    const store = createKyselyStore(db, "sqlite", { sync, journalNow, logDir });
    const big = (i: number) => bodyOf([textMessage(`wamid.SEG${i}`, `49151${String(i).padStart(8, "0")}`, { body: "x".repeat(200_000) })]);
    // 64 MiB segments: 400 bodies of ~200 KB cross at least one segment boundary.
    for (let i = 0; i < 400; i += 40) await store.journal(Array.from({ length: 40 }, (_, j) => big(i + j)), T0);
    const before = readdirSync(logDir).filter((name) => name.endsWith(".log")).sort();
    let taken = 0;
    for (let n = -1; n !== 0; taken += n) n = (await store.expand(parseEvents, 64, T0 + 1)).deliveries;
    expect(taken).toBe(400);
    const live = readdirSync(logDir).filter((name) => name.endsWith(".log"));
    // the first segment was filled and passed: it went back to the pool under a new number
    expect(before.length).toBeGreaterThanOrEqual(2);
    expect(live).not.toContain(before[0]);
    await store.close();
    const again = await open(path);
    expect((await again.depth()).journalPending).toBe(0);
    await again.close();
  }, 60_000);

  it("a second process's store on the same file journals into SQLite rows while the first owns the log, and nothing is lost", async () => {
    const path = newPath();
    const owner = await open(path);
    await owner.journal([bodyOf([textMessage("wamid.OWN")])], T0);
    const reports: string[] = [];
    // Another process would hold the lock; a second open in this process is refused the same way.
    const other = await openStore({ kind: "sqlite", path }, { onError: (error) => reports.push(error.message) });
    await other.journal([bodyOf([textMessage("wamid.OTHER", "4915100000009")])], T0);
    expect(rowsIn(path)).toBe(1);
    expect(reports.join("\n")).toMatch(/another wahook process owns the delivery log/);
    const ids = new Set<string>();
    const collect = (body: Uint8Array) => parseEvents(body).map((e) => (ids.add(e.kind === "message" ? e.id : ""), e));
    await other.expand(collect, 10, T0 + 1);
    await owner.expand(collect, 10, T0 + 1);
    expect([...ids].sort()).toEqual(["wamid.OTHER", "wamid.OWN"]);
    await other.close();
    await owner.close();
  });

  it("keeps reading rows that another connection journals after the row journal was found drained (data_version)", async () => {
    const path = newPath();
    const owner = await open(path);
    const ids: string[] = [];
    const collect = (body: Uint8Array) => parseEvents(body).map((e) => (ids.push(e.kind === "message" ? e.id : ""), e));
    await owner.expand(collect, 10, T0);
    // Another process's store journals into rows; its commit changes the owner's data_version.
    const other = await openStore({ kind: "sqlite", path }, { onError: () => undefined });
    await other.journal([bodyOf([textMessage("wamid.ROW1", "4915100000011")])], T0);
    await owner.expand(collect, 10, T0 + 1);
    expect(ids).toEqual(["wamid.ROW1"]);
    await other.close();
    await owner.close();
  });

  it("a store that journals into rows itself reads them after it had found the row journal drained (its own commits leave data_version alone)", async () => {
    const path = newPath();
    const owner = await open(path);
    // The log opens on first use: the owner takes it now, so the other store journals into rows.
    await owner.journal([bodyOf([textMessage("wamid.INLOG")])], T0);
    const other = await openStore({ kind: "sqlite", path }, { onError: () => undefined });
    expect((await other.expand(parseEvents, 10, T0)).deliveries).toBe(0);
    await other.journal([bodyOf([textMessage("wamid.OWNROW", "4915100000012")])], T0);
    expect(rowsIn(path)).toBe(1);
    expect((await other.expand(parseEvents, 10, T0 + 1)).deliveries).toBe(1);
    await other.close();
    await owner.close();
  });

  it("an expansion reads the row journal only when its watch says rows may be there", async () => {
    const path = newPath();
    const seed = await open(path);
    await seed.close();
    // Rows journaled by a process that did not own the log, as the second store above does.
    const raw = new BetterSqlite3(path);
    raw.prepare("insert into wahook_deliveries (body, received_at_ms) values (?, ?)").run(bodyOf([textMessage("wamid.ROWS")]), T0);
    raw.close();
    let drained = true;
    const { db, sync } = openSqlite(path);
    const store = createKyselyStore(db, "sqlite", { sync, logDir: `${path}.deliveries`, rowJournal: { drained: () => drained, reading: () => ({ found: () => undefined }), wrote: () => undefined } });
    expect((await store.expand(parseEvents, 10, T0 + 1)).deliveries).toBe(0);
    expect(rowsIn(path)).toBe(1);
    drained = false;
    expect((await store.expand(parseEvents, 10, T0 + 2)).deliveries).toBe(1);
    expect(rowsIn(path)).toBe(0);
    await store.close();
  });

  it("refuses a log directory whose database has no record of it, rather than replaying another database's deliveries", async () => {
    const path = newPath();
    const first = await open(path);
    await first.journal([bodyOf([textMessage("wamid.FOREIGN")])], T0);
    await first.close();
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${path}${suffix}`, { force: true });
    const fresh = await open(path);
    const error = await fresh.journal([bodyOf([textMessage("wamid.NEW")])], T0).catch((e: unknown) => e);
    expect(isWahookError(error) && error.code).toBe("STORE_UNAVAILABLE");
    expect(String((error as Error).message)).toMatch(/move that directory aside/);
    await fresh.close();
    renameSync(`${path}.deliveries`, `${path}.deliveries.old`);
    dirs.push(`${path}.deliveries.old`);
    const moved = await open(path);
    await moved.journal([bodyOf([textMessage("wamid.NEW")])], T0);
    expect((await moved.expand(parseEvents, 10, T0 + 1)).deliveries).toBe(1);
    await moved.close();
  });
});
