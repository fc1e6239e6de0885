import { sql, type Kysely } from "kysely";
import type { Database, StoreDialect } from "../schema.js";
import type { Migration } from "./migration.js";

/** First key of the two-int advisory lock; the second is the schema, so test schemas do not queue. */
const MIGRATION_LOCK_KEY = 0x77616873; // "wahs"

/**
 * Applies the migrations not yet recorded in wahook_migrations, all in one transaction.
 * PostgreSQL: a transaction-scoped advisory lock is taken first, so instances that start together
 * queue here and the later ones find everything applied (even CREATE TABLE IF NOT EXISTS races
 * without it). SQLite: the store's transactions start with BEGIN IMMEDIATE, which already
 * serializes writers across processes.
 */
export async function runMigrations(db: Kysely<Database>, dialect: StoreDialect, list: readonly Migration[], nowMs: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    if (dialect === "postgres") {
      await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY}, hashtext(coalesce(current_schema(), '')))`.execute(trx);
    }
    await trx.schema
      .createTable("wahook_migrations")
      .ifNotExists()
      .addColumn("id", "integer", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("applied_at_ms", "bigint", (c) => c.notNull())
      .execute();
    const applied = new Set((await trx.selectFrom("wahook_migrations").select("id").execute()).map((row) => Number(row.id)));
    let count = 0;
    for (const migration of [...list].sort((a, b) => a.id - b.id)) {
      if (applied.has(migration.id)) continue;
      await migration.up(trx, dialect);
      await trx.insertInto("wahook_migrations").values({ id: migration.id, name: migration.name, applied_at_ms: nowMs }).execute();
      count += 1;
    }
    return count;
  });
}
