import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrations } from "../../src/store/migrations/index.js";
import { runMigrations } from "../../src/store/migrations/migrate.js";
import { openSqlite } from "../../src/store/sqlite/open.js";
import { createStatements, statementTexts } from "../../src/store/kysely/statements.js";
import { tempSqlitePath } from "../helpers/databases.js";

/**
 * The plans SQLite picks for the workers' compiled-once statements on a migrated file with no
 * statistics (the store never runs ANALYZE, so this is what production gets). A list or row set
 * bound as JSON (json_each) must drive its loop: scanned inside a loop over a table, it is read
 * once per row of that table, and a batch then costs (rows in the table) x (batch), which grows
 * with the backlog (the outbox settle did: 154 ms per batch of 64 with 5,000 rows pending).
 */
interface PlanRow {
  id: number;
  parent: number;
  detail: string;
}

const loopsOverTable = (row: PlanRow) => /^(SCAN|SEARCH) (?!json_each)/.test(row.detail) && !/^SCAN (CONSTANT ROW|\d+-ROW VALUES)/.test(row.detail);

/** Plan rows of one level are the nested loops of one join, outermost first. */
function jsonEachInsideTableLoop(plan: readonly PlanRow[]): string | undefined {
  const levels = new Map<number, PlanRow[]>();
  for (const row of plan) levels.set(row.parent, [...(levels.get(row.parent) ?? []), row]);
  for (const rows of levels.values()) {
    const outer = rows.findIndex(loopsOverTable);
    const inner = rows.findIndex((row, i) => i > outer && row.detail.startsWith("SCAN json_each"));
    if (outer !== -1 && inner !== -1) return `${rows[outer]?.detail}  ->  ${rows[inner]?.detail}`;
  }
  return undefined;
}

describe("SQLite plans of the workers' statements (no ANALYZE)", () => {
  let path: string;
  let raw: Database.Database;
  let texts: string[];

  beforeAll(async () => {
    path = tempSqlitePath();
    const handle = openSqlite(path);
    await runMigrations(handle.db, "sqlite", migrations, 1_700_000_000_000);
    texts = statementTexts(createStatements(handle.db, "sqlite"));
    await handle.db.destroy();
    raw = new Database(path, { readonly: true });
  });
  afterAll(() => raw.close());

  const planOf = (sql: string): PlanRow[] => {
    const statement = raw.prepare(`explain query plan ${sql}`);
    const count = (sql.match(/\?/g) ?? []).length;
    return statement.all(...Array.from({ length: count }, () => null)) as PlanRow[];
  };

  it("finds the statements it checks", () => {
    expect(texts.some((sql) => sql.startsWith('update "wahook_outbox" set "state" = r.outcome_state'))).toBe(true);
    expect(texts.filter((sql) => sql.includes("json_each")).length).toBeGreaterThanOrEqual(5);
  });

  it("never scans a bound JSON list once per row of a table", () => {
    const bad = texts.flatMap((sql) => {
      const found = jsonEachInsideTableLoop(planOf(sql));
      return found ? [`${sql.slice(0, 90)}...\n    ${found}`] : [];
    });
    expect(bad).toEqual([]);
  });

  it("settles outbox rows by primary key, led by the bound rows", () => {
    const settle = texts.find((sql) => sql.startsWith('update "wahook_outbox" set "state" = r.outcome_state')) as string;
    const details = planOf(settle).map((row) => row.detail);
    expect(details.findIndex((d) => d.startsWith("SCAN json_each"))).toBeLessThan(details.findIndex((d) => d.startsWith("SEARCH wahook_outbox")));
    expect(details).toContain("SEARCH wahook_outbox USING INTEGER PRIMARY KEY (rowid=?)");
  });
});
