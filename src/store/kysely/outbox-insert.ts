import { sql, type Transaction } from "kysely";
import { taggedBody } from "../../outbox/tag.js";
import type { OutboxDraft } from "../store.js";
import type { Database } from "../schema.js";
import { chunk } from "./context.js";

interface Inserted {
  id: number;
  kind: OutboxDraft["kind"];
  body: string;
}

/**
 * Stores each new message's body tagged with `wahook:<its id>` (outbox/tag.ts), so the tag is in
 * the row and the sender sends exactly what is stored. The id exists only after the INSERT, hence
 * one UPDATE per insert (batches of 500), in the inserting transaction: nobody can claim a row
 * before its tag is there. The bodies are built in TypeScript, not spliced as text in SQL.
 */
async function tagBodies(trx: Transaction<Database>, rows: readonly Inserted[]): Promise<void> {
  const tagged = rows.flatMap((row) => {
    const body = taggedBody(row.kind, JSON.parse(row.body) as Record<string, unknown>, row.id);
    return body ? [{ id: row.id, body: JSON.stringify(body) }] : [];
  });
  for (const part of chunk(tagged)) {
    const bodies = sql<string>`case ${sql.ref("id")} ${sql.join(part.map((t) => sql`when ${t.id} then ${t.body}`), sql` `)} end`;
    await trx.updateTable("wahook_outbox").set({ body: bodies }).where("id", "in", part.map((t) => t.id)).execute();
  }
}

/**
 * Inserts outbox rows, due now, and returns the new ids in draft order (one INSERT assigns
 * ascending ids in VALUES order in both dialects). With a source message, the n-th draft gets
 * seq n and a (source, seq) that exists already is skipped: one inbound message's n-th reply
 * exists once, whatever retries happen.
 */
export async function insertOutbox(trx: Transaction<Database>, drafts: readonly OutboxDraft[], nowMs: number, sourceMessageId: string | null = null): Promise<number[]> {
  const inserted: Inserted[] = [];
  let seq = 0;
  for (const part of chunk(drafts)) {
    const rows = part.map((draft) => ({
      phone_number_id: draft.phoneNumberId, recipient: draft.recipient, kind: draft.kind, body: JSON.stringify(draft.body),
      state: "pending" as const, attempts: 0, created_at_ms: nowMs, next_attempt_at_ms: nowMs, updated_at_ms: nowMs,
      source_message_id: sourceMessageId, seq: sourceMessageId === null ? null : seq++,
    }));
    const returned = await trx
      .insertInto("wahook_outbox")
      .values(rows)
      .$if(sourceMessageId !== null, (qb) => qb.onConflict((oc) => oc.columns(["source_message_id", "seq"]).doNothing()))
      .returning(["id", "kind", "body"])
      .execute();
    inserted.push(...returned.map((r) => ({ id: Number(r.id), kind: r.kind, body: r.body })).sort((a, b) => a.id - b.id));
  }
  await tagBodies(trx, inserted);
  return inserted.map((r) => r.id);
}
