/**
 * One `value.messages[]` item -> an InboundMessage (spec §3, "Common fields of messages[]").
 * Meta reference: https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages
 */
import type { InboundMessage, MessageContext, Recipient, Referral } from "./types.js";
import { parseContent } from "./parse-content.js";
import { describeValue, type ItemResult, refuse, toGraphErrors, unixSeconds } from "./parse-util.js";
import { type ContactIndex, resolveSender } from "./sender.js";
import { wireMessage, type WireMessage } from "./wire.js";

/**
 * `context` has three shapes (spec §3): a quoted reply `{from, id}`, a forward
 * `{forwarded | frequently_forwarded}`, a product inquiry `{from, id, referred_product}`.
 */
const toContext = (c: WireMessage["context"]): MessageContext | undefined => {
  if (!c) return undefined;
  const product = c.referred_product;
  return {
    messageId: c.id,
    from: c.from,
    forwarded: c.forwarded === true,
    frequentlyForwarded: c.frequently_forwarded === true,
    referredProduct: product ? { catalogId: product.catalog_id, productRetailerId: product.product_retailer_id } : undefined,
  };
};

/** Click-to-WhatsApp ad attribution, first message only; `ctwa_clid` is omitted for Status ads. */
const toReferral = (r: WireMessage["referral"]): Referral | undefined =>
  r && {
    sourceUrl: r.source_url,
    sourceId: r.source_id,
    sourceType: r.source_type,
    headline: r.headline,
    body: r.body,
    mediaType: r.media_type,
    ctwaClid: r.ctwa_clid,
    welcomeMessageText: r.welcome_message?.text,
  };

export const parseMessage = (raw: unknown, to: Recipient, contacts: ContactIndex): ItemResult<InboundMessage> => {
  const parsed = wireMessage.safeParse(raw);
  if (!parsed.success) return refuse(parsed.error);
  const m = parsed.data;
  // The wamid is the idempotency key of a message: without one it cannot be recorded once.
  if (m.id === "") return { ok: false, reason: "id: empty" };
  const timestampSec = unixSeconds(m.timestamp);
  if (timestampSec === undefined) return { ok: false, reason: `timestamp: expected Unix seconds, got ${describeValue(m.timestamp)}` };
  const from = resolveSender(m.from, m.from_user_id, contacts);
  if (!from) return { ok: false, reason: "neither from nor from_user_id names the sender" };
  const content = parseContent(m.type, raw);
  if (!content.ok) return content;
  return {
    ok: true,
    value: {
      kind: "message",
      id: m.id,
      timestampSec,
      to,
      from,
      ...content.value,
      context: toContext(m.context),
      referral: toReferral(m.referral),
      errors: toGraphErrors(m.errors),
    },
  };
};
