import type { Kysely } from "kysely";
import type { Database } from "../schema.js";
import type { Migration } from "./migration.js";

/**
 * When each outbox lease was taken, and whether a claim took over a lease that expired without
 * being settled, deferred or released (its holder most likely died mid-send). Same DDL in both
 * dialects; existing rows get NULL, which claimOutbox reads as "claim time unknown".
 */
async function up(db: Kysely<Database>): Promise<void> {
  await db.schema.alterTable("wahook_outbox").addColumn("claimed_at_ms", "bigint").execute();
  await db.schema.alterTable("wahook_outbox").addColumn("ambiguous_since_ms", "bigint").execute();
}

export const outboxClaims: Migration = { id: 2, name: "outbox-claims", up };
