import type { Insertable } from "kysely";
import type { GraphErrorInfo, WebhookEvent } from "../../events/types.js";
import { outboxIdFromTag } from "../../outbox/tag.js";
import type { RecordResult } from "../store.js";
import type { InboxTable, StatusesTable, WebhookErrorsTable } from "../schema.js";

interface Planned<Row> {
  key: string;
  delivery: number;
  /** the event's own timestamp (seconds): orders one contact's messages within a batch */
  timestampSec: number;
  row: Row;
}

/** What one record() call will insert, with keys seen earlier in the same call already dropped. */
export interface RecordPlan {
  results: RecordResult[];
  messages: Planned<Insertable<InboxTable>>[];
  /** outboxId: the row our tag in biz_opaque_callback_data names, if the status carries one */
  statuses: (Planned<Insertable<StatusesTable>> & { outboxId: number | undefined })[];
  errors: Insertable<WebhookErrorsTable>[];
}

export const statusKey = (wamid: string, status: string): string => `${wamid}\u0000${status}`;

const firstError = (errors: readonly GraphErrorInfo[]) => {
  const error = errors[0];
  return { error_code: error?.code ?? null, error_title: error?.title ?? error?.message ?? null };
};

/**
 * Pure: turns deliveries into rows. Within one call the first occurrence of a key wins and later
 * ones count as duplicates right away, so the database sees each key once per statement.
 */
export function planRecord(deliveries: readonly (readonly WebhookEvent[])[], nowMs: number): RecordPlan {
  const plan: RecordPlan = { results: [], messages: [], statuses: [], errors: [] };
  const seen = new Set<string>();
  deliveries.forEach((events, delivery) => {
    const result: RecordResult = { messagesNew: 0, messagesDuplicate: 0, statusesNew: 0, statusesDuplicate: 0, errors: 0 };
    plan.results.push(result);
    for (const event of events) {
      if (event.kind === "error") {
        plan.errors.push({ phone_number_id: event.to.phoneNumberId, waba_id: event.to.wabaId, errors: JSON.stringify(event.errors), received_at_ms: nowMs });
        result.errors += 1;
      } else if (event.kind === "message") {
        const key = `m:${event.id}`;
        if (seen.has(key)) result.messagesDuplicate += 1;
        else {
          seen.add(key);
          plan.messages.push({ key: event.id, delivery, timestampSec: event.timestampSec, row: {
            message_id: event.id, phone_number_id: event.to.phoneNumberId, contact_key: event.from.key, message: JSON.stringify(event),
            state: "pending", attempts: 0, received_at_ms: nowMs, next_attempt_at_ms: nowMs,
          } });
        }
      } else {
        const key = statusKey(event.id, event.status);
        if (seen.has(`s:${key}`)) result.statusesDuplicate += 1;
        else {
          seen.add(`s:${key}`);
          plan.statuses.push({ key, delivery, timestampSec: event.timestampSec, outboxId: outboxIdFromTag(event.bizOpaqueCallbackData), row: {
            wamid: event.id, status: event.status, timestamp_sec: event.timestampSec, phone_number_id: event.to.phoneNumberId,
            recipient_id: event.recipientId ?? event.recipientUserId ?? null, received_at_ms: nowMs, ...firstError(event.errors),
          } });
        }
      }
    }
  });
  return plan;
}

/** Keys really inserted: a set of them, or a map from them (record.ts keeps the new inbox ids). */
type InsertedKeys = Pick<ReadonlySet<string>, "has">;

/** Adds the database's verdict (which keys were really inserted) to the per-delivery counts. */
export function tally(plan: RecordPlan, insertedMessages: InsertedKeys, insertedStatuses: InsertedKeys): RecordResult[] {
  for (const m of plan.messages) {
    const result = plan.results[m.delivery];
    if (!result) continue;
    if (insertedMessages.has(m.key)) result.messagesNew += 1;
    else result.messagesDuplicate += 1;
  }
  for (const s of plan.statuses) {
    const result = plan.results[s.delivery];
    if (!result) continue;
    if (insertedStatuses.has(s.key)) result.statusesNew += 1;
    else result.statusesDuplicate += 1;
  }
  return plan.results;
}
