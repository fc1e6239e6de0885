import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { isWahookError } from "../../src/errors.js";
import { openStore } from "../../src/store/open-store.js";
import { tempSqlitePath } from "../helpers/databases.js";
import { T0, textMessage } from "./events.js";
import { describeStoreContract } from "./store-contract.js";

const tempDirs: string[] = [];
afterAll(() => tempDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const fileStore = () => {
  const path = tempSqlitePath();
  tempDirs.push(dirname(path));
  return openStore({ kind: "sqlite", path });
};

describeStoreContract("SQLite file", fileStore);
describeStoreContract("SQLite :memory:", () => openStore({ kind: "sqlite", path: ":memory:" }));

describe("SQLite files", () => {
  it("creates missing parent directories and a WAL database whose records survive reopening", async () => {
    const root = mkdtempSync(join(tmpdir(), "wahook-store-"));
    tempDirs.push(root);
    const path = join(root, "nested", "deeper", "wahook.db");
    const first = await openStore({ kind: "sqlite", path });
    await first.record([[textMessage("wamid.KEEP")]], T0);
    await first.close();

    const raw = new BetterSqlite3(path, { readonly: true });
    expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
    raw.close();

    const second = await openStore({ kind: "sqlite", path });
    expect((await second.record([[textMessage("wamid.KEEP")]], T0 + 1))[0]?.messagesDuplicate).toBe(1);
    await second.close();
  });

  it("refuses a path it cannot create with STORE_UNAVAILABLE naming the path", async () => {
    const root = mkdtempSync(join(tmpdir(), "wahook-store-"));
    tempDirs.push(root);
    writeFileSync(join(root, "a-file"), "not a directory");
    const path = join(root, "a-file", "wahook.db");
    const error = await openStore({ kind: "sqlite", path }).then(() => undefined, (e: unknown) => e);
    expect(isWahookError(error, "STORE_UNAVAILABLE")).toBe(true);
    expect((error as Error).message).toContain(path);
  });
});
