import type { Kysely } from "kysely";
import type { Database, StoreDialect } from "../schema.js";
import type { Migration } from "./migration.js";

/**
 * The delivery journal: every verified POST body, as received, written before the 200 and
 * expanded into inbox rows, statuses and errors afterwards (inbox/expander.ts). One narrow row
 * per delivery with no secondary index is the cheapest durable write there is; the keyed,
 * idempotent record happens in the expansion. SQLite's plain INTEGER PRIMARY KEY (no
 * AUTOINCREMENT): ids only order the rows waiting, and skipping sqlite_sequence saves a write.
 */
async function up(db: Kysely<Database>, dialect: StoreDialect): Promise<void> {
  const table = db.schema.createTable("wahook_deliveries");
  await (dialect === "sqlite"
    ? table.addColumn("id", "integer", (c) => c.primaryKey())
    : table.addColumn("id", "bigint", (c) => c.primaryKey().generatedByDefaultAsIdentity())
  )
    .addColumn("body", dialect === "sqlite" ? "blob" : "bytea", (c) => c.notNull())
    .addColumn("received_at_ms", "bigint", (c) => c.notNull())
    // Set when expanding this delivery threw (a bug): it stays here for an operator, unexpanded.
    .addColumn("expand_error", "text")
    .execute();
}

export const deliveryJournal: Migration = { id: 4, name: "delivery-journal", up };
