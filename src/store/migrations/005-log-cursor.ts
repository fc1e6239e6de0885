import type { Kysely } from "kysely";
import type { Database, StoreDialect } from "../schema.js";
import type { Migration } from "./migration.js";

/**
 * Where the SQLite store's delivery log has been expanded up to (store/kysely/journal-log.ts):
 * moved in the same transaction as the events it recorded. PostgreSQL gets the table too, unused,
 * so both dialects keep one schema.
 */
async function up(db: Kysely<Database>, _dialect: StoreDialect): Promise<void> {
  await db.schema
    .createTable("wahook_log_cursor")
    .addColumn("id", "integer", (c) => c.primaryKey())
    .addColumn("segment", "bigint", (c) => c.notNull())
    .addColumn("offset", "bigint", (c) => c.notNull())
    .execute();
}

export const logCursor: Migration = { id: 5, name: "log-cursor", up };
