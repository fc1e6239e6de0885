/**
 * The send tag. Meta documents no idempotency key for POST /messages, but it echoes a message's
 * `biz_opaque_callback_data` (any string up to 512 characters, set on the send [WA-SEND]) in every
 * status webhook of that message [WA-MSG status], and it sends a `sent` status for every message it
 * accepted. So a message tagged with its outbox id tells us, from the status webhook alone, that
 * Meta accepted it: even when the instance that sent it died before it could record the answer.
 * Values starting with `wahook:` are ours; a bot that sets its own value keeps it (and that
 * message keeps the plain at-least-once behaviour).
 */
const TAG_PREFIX = "wahook:";
const TAG_PATTERN = /^wahook:([1-9][0-9]{0,14})$/;

export const outboxTag = (outboxId: number): string => `${TAG_PREFIX}${outboxId}`;

/** The outbox id in one of our tags, or undefined for anything else (a bot's own value, none). */
export function outboxIdFromTag(value: string | undefined): number | undefined {
  const match = value === undefined ? null : TAG_PATTERN.exec(value);
  return match ? Number(match[1]) : undefined;
}

/**
 * The body to store for a new outbox row: tagged when it is a message without a value of its own.
 * Receipts (`status: "read"`, with or without the typing indicator) produce no status webhooks,
 * so a tag would prove nothing there. Returns undefined when the body stays as it is.
 */
export function taggedBody(kind: "message" | "receipt", body: Record<string, unknown>, outboxId: number): Record<string, unknown> | undefined {
  if (kind !== "message" || "status" in body || "biz_opaque_callback_data" in body) return undefined;
  return { ...body, biz_opaque_callback_data: outboxTag(outboxId) };
}

/** Whether this row's body carries its own tag, so a status webhook can confirm its send. */
export const carriesOwnTag = (item: { id: number; body: Record<string, unknown> }): boolean =>
  item.body.biz_opaque_callback_data === outboxTag(item.id);
