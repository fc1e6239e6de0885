/**
 * One `value.statuses[]` item -> a StatusUpdate (spec §3, statuses). Meta reference:
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status
 */
import type { Recipient, StatusUpdate } from "./types.js";
import { describeValue, type ItemResult, nonEmpty, refuse, toGraphErrors, unixSeconds } from "./parse-util.js";
import { wireStatus } from "./wire.js";

export const parseStatus = (raw: unknown, to: Recipient): ItemResult<StatusUpdate> => {
  const parsed = wireStatus.safeParse(raw);
  if (!parsed.success) return refuse(parsed.error);
  const s = parsed.data;
  // (id, status) is the idempotency key of a status.
  if (s.id === "") return { ok: false, reason: "id: empty" };
  if (s.status === "") return { ok: false, reason: "status: empty" };
  const timestampSec = unixSeconds(s.timestamp);
  if (timestampSec === undefined) return { ok: false, reason: `timestamp: expected Unix seconds, got ${describeValue(s.timestamp)}` };
  // `conversation` is omitted from v24.0 on outside free-entry-point windows, and
  // `expiration_timestamp` is only on `sent`; `pricing` is on `sent` and one of delivered/read.
  const c = s.conversation;
  const p = s.pricing;
  return {
    ok: true,
    value: {
      kind: "status",
      id: s.id,
      // Kept as sent, even if unknown: older docs also list `deleted` and `warning`.
      status: s.status,
      timestampSec,
      to,
      // BSUID era: `recipient_id` may be omitted when we sent to a user id; `recipient_user_id` added.
      recipientId: nonEmpty(s.recipient_id),
      recipientUserId: nonEmpty(s.recipient_user_id),
      bizOpaqueCallbackData: s.biz_opaque_callback_data,
      conversation: c && {
        id: c.id,
        originType: c.origin?.type,
        expirationTimestampSec: unixSeconds(c.expiration_timestamp),
      },
      pricing: p && { billable: p.billable, pricingModel: p.pricing_model, type: p.type, category: p.category },
      errors: toGraphErrors(s.errors),
    },
  };
};
