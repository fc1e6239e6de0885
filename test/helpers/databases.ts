import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

/** A SQLite path in a new private temp directory (the directory also holds -wal and -shm). */
export function tempSqlitePath(name = "wahook.db"): string {
  return join(mkdtempSync(join(tmpdir(), "wahook-store-")), name);
}

/** The PostgreSQL the tests may use, or undefined: suites that need it skip themselves. */
export function postgresUrl(): string | undefined {
  const url = process.env.WAHOOK_TEST_POSTGRES_URL?.trim();
  return url ? url : undefined;
}

export const POSTGRES_SKIP_MESSAGE =
  "PostgreSQL tests skipped: set WAHOOK_TEST_POSTGRES_URL to run them, e.g. WAHOOK_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test npx vitest run";

/** Prints why a PostgreSQL suite is skipped and returns whether it should be. */
export function skipWithoutPostgres(suite: string): boolean {
  if (postgresUrl()) return false;
  console.warn(`[${suite}] ${POSTGRES_SKIP_MESSAGE}`);
  return true;
}

/**
 * A schema name no other test uses. openStore(..., { schema: name }) creates it; drop() removes it
 * with everything in it (safe to call when it was never created).
 */
export function freshPostgresSchema(url = postgresUrl()): { name: string; drop: () => Promise<void> } {
  const name = `wahook_test_${randomBytes(6).toString("hex")}`;
  const drop = async () => {
    if (!url) return;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`drop schema if exists "${name}" cascade`);
    } finally {
      await client.end();
    }
  };
  return { name, drop };
}
