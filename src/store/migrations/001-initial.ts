import type { CreateTableBuilder, Kysely } from "kysely";
import type { Database, StoreDialect } from "../schema.js";
import type { Migration } from "./migration.js";

/**
 * Surrogate keys: SQLite's INTEGER PRIMARY KEY AUTOINCREMENT (never reuses an id after prune
 * deletes the newest rows, so ids keep meaning "arrival order"); PostgreSQL's bigint identity.
 */
const withId = <T extends string>(table: CreateTableBuilder<T>, dialect: StoreDialect) =>
  dialect === "sqlite"
    ? table.addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
    : table.addColumn("id", "bigint", (c) => c.primaryKey().generatedByDefaultAsIdentity());

async function up(db: Kysely<Database>, dialect: StoreDialect): Promise<void> {
  const { schema } = db;

  await withId(schema.createTable("wahook_inbox"), dialect)
    .addColumn("message_id", "text", (c) => c.notNull().unique())
    .addColumn("phone_number_id", "text", (c) => c.notNull())
    .addColumn("contact_key", "text", (c) => c.notNull())
    .addColumn("message", "text", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("received_at_ms", "bigint", (c) => c.notNull())
    .addColumn("next_attempt_at_ms", "bigint", (c) => c.notNull())
    .addColumn("lease_owner", "text")
    .addColumn("lease_until_ms", "bigint")
    .addColumn("last_error", "text")
    .addColumn("finished_at_ms", "bigint")
    .execute();
  // The claim's "oldest pending item of this contact, and is any of them leased?" probes.
  await schema.createIndex("wahook_inbox_contact_idx").on("wahook_inbox").columns(["phone_number_id", "contact_key", "state", "id"]).execute();
  await schema.createIndex("wahook_inbox_due_idx").on("wahook_inbox").columns(["state", "next_attempt_at_ms"]).execute();
  // prune walks the old end of the table without scanning recent rows.
  await schema.createIndex("wahook_inbox_received_idx").on("wahook_inbox").column("received_at_ms").execute();

  await schema
    .createTable("wahook_contacts")
    .addColumn("phone_number_id", "text", (c) => c.notNull())
    .addColumn("contact_key", "text", (c) => c.notNull())
    .addColumn("state", "text")
    .addColumn("updated_at_ms", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("wahook_contacts_pkey", ["phone_number_id", "contact_key"])
    .execute();

  await withId(schema.createTable("wahook_outbox"), dialect)
    .addColumn("phone_number_id", "text", (c) => c.notNull())
    .addColumn("recipient", "text", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("body", "text", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at_ms", "bigint", (c) => c.notNull())
    .addColumn("next_attempt_at_ms", "bigint", (c) => c.notNull())
    .addColumn("lease_owner", "text")
    .addColumn("lease_until_ms", "bigint")
    .addColumn("source_message_id", "text")
    .addColumn("seq", "integer")
    .addColumn("wamid", "text")
    .addColumn("delivery_status", "text")
    .addColumn("last_error_code", "integer")
    .addColumn("last_error_title", "text")
    .addColumn("updated_at_ms", "bigint", (c) => c.notNull())
    // A second guard against double replies: one inbound message's n-th reply exists once.
    .addUniqueConstraint("wahook_outbox_source_seq_key", ["source_message_id", "seq"])
    .execute();
  await schema.createIndex("wahook_outbox_due_idx").on("wahook_outbox").columns(["state", "next_attempt_at_ms"]).execute();
  await schema.createIndex("wahook_outbox_wamid_idx").on("wahook_outbox").column("wamid").execute();

  await withId(schema.createTable("wahook_attempts"), dialect)
    .addColumn("outbox_id", "bigint", (c) => c.notNull().references("wahook_outbox.id").onDelete("cascade"))
    .addColumn("attempt", "integer", (c) => c.notNull())
    .addColumn("outcome", "text", (c) => c.notNull())
    .addColumn("http_status", "integer")
    .addColumn("error_code", "integer")
    .addColumn("error_title", "text")
    .addColumn("started_at_ms", "bigint", (c) => c.notNull())
    .addColumn("duration_ms", "bigint", (c) => c.notNull())
    .execute();
  await schema.createIndex("wahook_attempts_outbox_idx").on("wahook_attempts").columns(["outbox_id", "attempt"]).execute();

  await withId(schema.createTable("wahook_statuses"), dialect)
    .addColumn("wamid", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("timestamp_sec", "bigint", (c) => c.notNull())
    .addColumn("phone_number_id", "text", (c) => c.notNull())
    .addColumn("recipient_id", "text")
    .addColumn("error_code", "integer")
    .addColumn("error_title", "text")
    .addColumn("received_at_ms", "bigint", (c) => c.notNull())
    .addUniqueConstraint("wahook_statuses_wamid_status_key", ["wamid", "status"])
    .execute();
  await schema.createIndex("wahook_statuses_received_idx").on("wahook_statuses").column("received_at_ms").execute();

  await withId(schema.createTable("wahook_webhook_errors"), dialect)
    .addColumn("phone_number_id", "text", (c) => c.notNull())
    .addColumn("waba_id", "text", (c) => c.notNull())
    .addColumn("errors", "text", (c) => c.notNull())
    .addColumn("received_at_ms", "bigint", (c) => c.notNull())
    .execute();
  await schema.createIndex("wahook_webhook_errors_received_idx").on("wahook_webhook_errors").column("received_at_ms").execute();

  await schema
    .createTable("wahook_send_rate")
    .addColumn("phone_number_id", "text", (c) => c.primaryKey())
    .addColumn("tokens_micro", "bigint", (c) => c.notNull())
    .addColumn("updated_at_ms", "bigint", (c) => c.notNull())
    .addColumn("paused_until_ms", "bigint", (c) => c.notNull())
    .addColumn("last_granted", "integer", (c) => c.notNull())
    .execute();
}

export const initial: Migration = { id: 1, name: "initial", up };
