import type { Selectable } from "kysely";
import type { InboundMessage } from "../../events/types.js";
import type { AttemptRow, ContactState, InboxItem, InboxRow, OutboxItem, OutboxRow, StatusRow } from "../store.js";
import type { AttemptsTable, InboxTable, OutboxTable, StatusesTable } from "../schema.js";

/** Database rows to the port's camelCase shapes. JSON columns are TEXT in both dialects. */
export const toInboxItem = (row: Selectable<InboxTable>): InboxItem => ({
  id: Number(row.id),
  messageId: row.message_id,
  phoneNumberId: row.phone_number_id,
  contactKey: row.contact_key,
  message: JSON.parse(row.message) as InboundMessage,
  attempts: Number(row.attempts),
  receivedAtMs: Number(row.received_at_ms),
});

export const toInboxRow = (row: Selectable<InboxTable>): InboxRow => ({
  ...toInboxItem(row),
  state: row.state,
  lastError: row.last_error,
});

export const toOutboxItem = (row: Selectable<OutboxTable>): OutboxItem => ({
  id: Number(row.id),
  phoneNumberId: row.phone_number_id,
  recipient: row.recipient,
  kind: row.kind,
  body: JSON.parse(row.body) as Record<string, unknown>,
  attempts: Number(row.attempts),
  createdAtMs: Number(row.created_at_ms),
  sourceMessageId: row.source_message_id,
  ambiguousSinceMs: row.ambiguous_since_ms === null ? null : Number(row.ambiguous_since_ms),
});

export const toOutboxRow = (row: Selectable<OutboxTable>): OutboxRow => ({
  ...toOutboxItem(row),
  state: row.state,
  wamid: row.wamid,
  deliveryStatus: row.delivery_status,
  nextAttemptAtMs: Number(row.next_attempt_at_ms),
  lastErrorCode: row.last_error_code === null ? null : Number(row.last_error_code),
  lastErrorTitle: row.last_error_title,
});

export const toAttemptRow = (row: Selectable<AttemptsTable>): AttemptRow => ({
  outboxId: Number(row.outbox_id),
  attempt: Number(row.attempt),
  outcome: row.outcome,
  httpStatus: row.http_status === null ? null : Number(row.http_status),
  errorCode: row.error_code === null ? null : Number(row.error_code),
  errorTitle: row.error_title,
  startedAtMs: Number(row.started_at_ms),
  durationMs: Number(row.duration_ms),
});

export const toStatusRow = (row: Selectable<StatusesTable>): StatusRow => ({
  wamid: row.wamid,
  status: row.status,
  timestampSec: Number(row.timestamp_sec),
  errorCode: row.error_code === null ? null : Number(row.error_code),
  errorTitle: row.error_title,
});

export const parseContactState = (text: string | null | undefined): ContactState =>
  text ? (JSON.parse(text) as ContactState) : {};
