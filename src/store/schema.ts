/**
 * The tables as Kysely sees them. One logical schema for SQLite and PostgreSQL (migrations/);
 * times are epoch milliseconds chosen by the caller, JSON is stored as TEXT in both dialects
 * (PostgreSQL's jsonb rejects the `\u0000` escape, and a message containing one must still be
 * recorded rather than fail the webhook forever).
 */
import type { Generated } from "kysely";

export interface InboxTable {
  id: Generated<number>;
  message_id: string;
  phone_number_id: string;
  contact_key: string;
  /** the InboundMessage, JSON */
  message: string;
  state: "pending" | "done" | "failed";
  attempts: number;
  received_at_ms: number;
  next_attempt_at_ms: number;
  lease_owner: string | null;
  lease_until_ms: number | null;
  last_error: string | null;
  finished_at_ms: number | null;
}

/** One row per contact: its bot state, and (PostgreSQL) the row claimers lock for per-contact order. */
export interface ContactsTable {
  phone_number_id: string;
  contact_key: string;
  /** ContactState JSON, null until a handler saves one */
  state: string | null;
  updated_at_ms: number;
}

export interface OutboxTable {
  id: Generated<number>;
  phone_number_id: string;
  recipient: string;
  kind: "message" | "receipt";
  /** Graph request body, JSON */
  body: string;
  state: "pending" | "sent" | "failed" | "dead";
  attempts: number;
  created_at_ms: number;
  next_attempt_at_ms: number;
  lease_owner: string | null;
  lease_until_ms: number | null;
  /** when the current (or last) lease was taken (002) */
  claimed_at_ms: number | null;
  /**
   * Written by every claim (002): null when the previous lease ended normally or there was none;
   * when it had expired still held (its holder died, maybe after Meta accepted the send), the
   * time that lease was taken: the earliest moment that send can have reached Meta.
   */
  ambiguous_since_ms: number | null;
  source_message_id: string | null;
  seq: number | null;
  wamid: string | null;
  delivery_status: string | null;
  last_error_code: number | null;
  last_error_title: string | null;
  updated_at_ms: number;
}

export interface AttemptsTable {
  id: Generated<number>;
  outbox_id: number;
  attempt: number;
  outcome: "sent" | "retry" | "failed" | "dead";
  http_status: number | null;
  error_code: number | null;
  error_title: string | null;
  started_at_ms: number;
  duration_ms: number;
}

export interface StatusesTable {
  id: Generated<number>;
  wamid: string;
  status: string;
  timestamp_sec: number;
  phone_number_id: string;
  recipient_id: string | null;
  error_code: number | null;
  error_title: string | null;
  received_at_ms: number;
}

export interface WebhookErrorsTable {
  id: Generated<number>;
  phone_number_id: string;
  waba_id: string;
  /** GraphErrorInfo[], JSON */
  errors: string;
  received_at_ms: number;
}

/** A verified POST body waiting to be expanded into events (migration 004). */
export interface DeliveriesTable {
  id: Generated<number>;
  body: Uint8Array;
  received_at_ms: number;
  expand_error: string | null;
}

/** The one row (id 1) saying how far the SQLite store has expanded its delivery log (store/log/). */
export interface LogCursorTable {
  id: number;
  segment: number;
  offset: number;
}

/** Token bucket per business number, in micro-tokens so all arithmetic is integer in both dialects. */
export interface SendRateTable {
  phone_number_id: string;
  tokens_micro: number;
  updated_at_ms: number;
  paused_until_ms: number;
  /** what the last take granted: lets one atomic UPDATE ... RETURNING report its own grant */
  last_granted: number;
}

export interface MigrationsTable {
  id: number;
  name: string;
  applied_at_ms: number;
}

export interface Database {
  wahook_inbox: InboxTable;
  wahook_contacts: ContactsTable;
  wahook_outbox: OutboxTable;
  wahook_attempts: AttemptsTable;
  wahook_statuses: StatusesTable;
  wahook_webhook_errors: WebhookErrorsTable;
  wahook_send_rate: SendRateTable;
  wahook_deliveries: DeliveriesTable;
  wahook_log_cursor: LogCursorTable;
  wahook_migrations: MigrationsTable;
}

export type StoreDialect = "sqlite" | "postgres";
