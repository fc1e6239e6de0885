/**
 * Meta's snake_case shapes for the items of a `messages` webhook: one message (common fields and
 * the payload of each type), one status, one error. Digest: /work/shared/whatsapp/spec.md §3;
 * Meta reference: https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages
 *
 * Built once at module scope (zod schemas are immutable). `z.object` strips unknown keys rather
 * than rejecting them, so Meta can add fields without breaking us; unlike `z.looseObject` it
 * never copies the keys it does not know, so a `__proto__` key or a large unknown subtree costs
 * nothing and never reaches our objects.
 *
 * Two kinds of field: the ones an event cannot exist without (id, timestamp, the type's payload)
 * fail the item, which is then skipped; enrichments (context, referral, errors, pricing,
 * conversation) fall back to "absent" when malformed, because losing a user's message over an
 * ad-attribution field is worse than losing the field.
 *
 * Measured on the ack hot path: zod refinements (`.min(1)`, `.regex()`) cost more than the rest
 * of a schema, so non-empty ids and Unix-second timestamps are checked in the parsers; the
 * envelope and `contacts[]` are read with type guards (parse.ts, sender.ts).
 */
import { z } from "zod";

const str = z.string().optional();

/** An `errors[]` item; the legacy `unknown` type put `details` at the top level instead of in `error_data`. */
export const wireError = z.object({
  code: z.number(),
  title: str,
  message: str,
  details: str,
  error_data: z.object({ details: str }).optional().catch(undefined),
});

const wireContext = z.object({
  from: str,
  id: str,
  forwarded: z.boolean().optional(),
  frequently_forwarded: z.boolean().optional(),
  referred_product: z.object({ catalog_id: z.string(), product_retailer_id: z.string() }).optional(),
});

const wireReferral = z.object({
  source_url: str,
  source_id: str,
  source_type: str,
  headline: str,
  body: str,
  media_type: str,
  ctwa_clid: str,
  welcome_message: z.object({ text: str }).optional(),
});

/** The fields every inbound message has, whatever its type. */
export const wireMessage = z.object({
  id: z.string(),
  timestamp: z.string(),
  type: z.string(),
  from: str,
  from_user_id: str,
  context: wireContext.optional().catch(undefined),
  referral: wireReferral.optional().catch(undefined),
  errors: z.array(z.unknown()).optional().catch(undefined),
});

const media = z.object({ id: z.string(), mime_type: str, sha256: str, caption: str, url: str });

/** whatsapp-api-js types lat/long as strings while Meta sends JSON numbers (spec §3): take both. */
const coordinate = z.union([
  z.number(),
  z.string().regex(/^-?\d+(\.\d+)?$/).transform(Number),
]);

const sharedContact = z.object({
  name: z.object({ formatted_name: str }).optional(),
  phones: z.array(z.object({ phone: str, wa_id: str, type: str })).optional(),
  emails: z.array(z.object({ email: str, type: str })).optional(),
  org: z.object({ company: str }).optional(),
});

const interactive = z.object({
  type: z.string(),
  button_reply: z.object({ id: z.string(), title: z.string() }).optional(),
  list_reply: z.object({ id: z.string(), title: z.string(), description: str }).optional(),
  nfm_reply: z.object({ name: z.string(), body: str, response_json: z.string() }).optional(),
});

const orderItem = z.object({
  product_retailer_id: z.string(),
  quantity: z.number(),
  item_price: z.number(),
  currency: z.string(),
});

/**
 * The type-specific part of a message, parsed from the whole message object so that a failure
 * names its path from the message (`text.body`, `order.product_items[1].item_price`).
 */
export const wireContent = {
  text: z.object({ text: z.object({ body: z.string() }) }),
  image: z.object({ image: media }),
  video: z.object({ video: media }),
  audio: z.object({ audio: media.extend({ voice: z.boolean().optional() }) }),
  document: z.object({ document: media.extend({ filename: str }) }),
  sticker: z.object({ sticker: media.extend({ animated: z.boolean().optional() }) }),
  location: z.object({
    location: z.object({ latitude: coordinate, longitude: coordinate, name: str, address: str, url: str }),
  }),
  contacts: z.object({ contacts: z.array(sharedContact) }),
  interactive: z.object({ interactive }),
  button: z.object({ button: z.object({ payload: z.string(), text: z.string() }) }),
  reaction: z.object({ reaction: z.object({ message_id: z.string(), emoji: str }) }),
  order: z.object({ order: z.object({ catalog_id: z.string(), text: str, product_items: z.array(orderItem) }) }),
  /** BSUID-era system messages may omit `wa_id` and carry the new `user_id` instead ([LIB-JS]). */
  system: z.object({ system: z.object({ body: str, type: str, wa_id: str, user_id: str }) }),
  /** Meta's `unsupported.type` names what the user sent (`poll_creation`, `edit`, ...). */
  unsupported: z.object({ unsupported: z.object({ type: str }).optional().catch(undefined) }),
};

/** A `value.statuses[]` item (spec §3 statuses). `status` stays open: Meta has added values before. */
export const wireStatus = z.object({
  id: z.string(),
  status: z.string(),
  timestamp: z.string(),
  recipient_id: str,
  recipient_user_id: str,
  biz_opaque_callback_data: str,
  conversation: z
    .object({ id: str, expiration_timestamp: str, origin: z.object({ type: str }).optional() })
    .optional()
    .catch(undefined),
  pricing: z
    .object({ billable: z.boolean().optional(), pricing_model: str, type: str, category: str })
    .optional()
    .catch(undefined),
  errors: z.array(z.unknown()).optional().catch(undefined),
});

export type WireMessage = z.infer<typeof wireMessage>;
export type WireStatus = z.infer<typeof wireStatus>;
