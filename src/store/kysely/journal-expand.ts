import type { Transaction } from "kysely";
import type { WebhookEvent } from "../../events/types.js";
import type { Database } from "../schema.js";
import type { Expansion, InboxLease, RecordResult } from "../store.js";
import type { StoreContext } from "./context.js";
import { planRecord } from "./record-plan.js";
import { recordPlanned } from "./record.js";

export interface ParseFailure {
  /** the body's index in the batch */
  index: number;
  error: string;
}

const sum = (results: readonly RecordResult[]): RecordResult =>
  results.reduce(
    (a, r) => ({
      messagesNew: a.messagesNew + r.messagesNew,
      messagesDuplicate: a.messagesDuplicate + r.messagesDuplicate,
      statusesNew: a.statusesNew + r.statusesNew,
      statusesDuplicate: a.statusesDuplicate + r.statusesDuplicate,
      errors: a.errors + r.errors,
    }),
    { messagesNew: 0, messagesDuplicate: 0, statusesNew: 0, statusesDuplicate: 0, errors: 0 },
  );

const describe = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 500);

/**
 * Journaled bodies -> keyed records, inside the caller's transaction, which also takes the bodies
 * out of their journal (rows deleted, or the log's cursor moved) and keeps the ones whose parse
 * threw (`failed`). Both journals call this, so both record exactly alike.
 */
export async function expandInside(
  ctx: StoreContext,
  trx: Transaction<Database>,
  bodies: readonly Uint8Array[],
  parse: (body: Uint8Array) => readonly WebhookEvent[],
  nowMs: number,
  lease?: InboxLease,
): Promise<{ expansion: Expansion; failed: ParseFailure[]; parsedIndexes: number[] }> {
  const parsed: (readonly WebhookEvent[])[] = [];
  const parsedIndexes: number[] = [];
  const failed: ParseFailure[] = [];
  bodies.forEach((body, index) => {
    try {
      parsed.push(parse(body));
      parsedIndexes.push(index);
    } catch (error) {
      failed.push({ index, error: describe(error) });
    }
  });
  const { results, claimed } = await recordPlanned(ctx, trx, planRecord(parsed, nowMs), nowMs, lease);
  return { expansion: { deliveries: bodies.length, failed: failed.length, events: parsed.flat(), result: sum(results), claimed }, failed, parsedIndexes };
}
