import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sql, type Kysely } from "kysely";
import type { Database } from "../../src/store/schema.js";
import { listValue, rowSet } from "../../src/store/kysely/bound-lists.js";
import { prepare } from "../../src/store/kysely/prepared.js";
import { openSqlite } from "../../src/store/sqlite/open.js";

describe("prepared statements", () => {
  let db: Kysely<Database>;
  beforeEach(() => {
    db = openSqlite(":memory:").db;
  });
  afterEach(() => db.destroy());

  it("puts each value everywhere its name was used, and keeps the query's own constants", async () => {
    const statement = prepare(db, ["a", "b"], (p) => sql<{ x: number; y: number; z: string }>`select ${p.a} + ${p.b} as x, ${p.a} * 10 as y, ${"const"} as z`);
    expect(statement.sql).toBe("select ? + ? as x, ? * 10 as y, ? as z");
    expect((await statement.run(db, { a: 2, b: 3 })).rows).toEqual([{ x: 5, y: 20, z: "const" }]);
    expect((await statement.run(db, { a: 4, b: 0 })).rows).toEqual([{ x: 4, y: 40, z: "const" }]);
  });

  it("refuses a declared name the query never uses", () => {
    expect(() => prepare(db, ["a", "unused"], (p) => sql`select ${p.a} as x`)).toThrow(/never uses its parameter\(s\) unused/);
  });

  it("binds lists and row sets of any length with the same statement text", async () => {
    const list = prepare(db, ["ids"], (p) => sql<{ n: number }>`select count(*) as n from (select 1 as id union all select 2 union all select 3) where ${sql.ref("id")} in (select value from json_each(${p.ids}))`);
    expect((await list.run(db, { ids: listValue("sqlite", [1, 3]) })).rows).toEqual([{ n: 2 }]);
    expect((await list.run(db, { ids: listValue("sqlite", []) })).rows).toEqual([{ n: 0 }]);
    const rows = rowSet("sqlite", "r", { id: "bigint", name: "text" });
    const select = prepare(db, rows.names, (p) => sql<{ id: number; name: string | null }>`select * from ${rows.table(p)}`);
    expect((await select.run(db, rows.bind([{ id: 7, name: "Zoë \"q\" \\ \u0000" }, { id: 8, name: null }]))).rows).toEqual([{ id: 7, name: "Zoë \"q\" \\ \u0000" }, { id: 8, name: null }]);
  });
});
