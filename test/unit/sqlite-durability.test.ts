import { sql, type Kysely } from "kysely";
import type { Database } from "../../src/store/schema.js";
import { describe, expect, it } from "vitest";
import { createContext, durably } from "../../src/store/kysely/context.js";
import { openSqlite } from "../../src/store/sqlite/open.js";
import { tempSqlitePath } from "../helpers/databases.js";

const synchronous = async (db: Kysely<Database>) =>
  Number((await sql<{ synchronous: number }>`pragma synchronous`.execute(db)).rows[0]?.synchronous);

describe("SQLite commit durability", () => {
  it("fsyncs the webhook's record transaction (FULL) and runs other commits with NORMAL", async () => {
    const db = openSqlite(tempSqlitePath());
    try {
      const ctx = createContext(db, "sqlite");
      expect(await synchronous(db)).toBe(1); // NORMAL
      expect(await durably(ctx, (conn) => conn.transaction().execute((trx) => synchronous(trx)))).toBe(2); // FULL
      expect(await synchronous(db)).toBe(1);
      await expect(durably(ctx, () => Promise.reject(new Error("write failed")))).rejects.toThrow("write failed");
      expect(await synchronous(db)).toBe(1);
    } finally {
      await db.destroy();
    }
  });
});
