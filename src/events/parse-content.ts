/**
 * The type-specific part of an inbound message (spec §3, table of `type`s; per-type pages under
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages).
 *
 * A `switch`, not a lookup table keyed by the wire's `type`: a type of "__proto__" or
 * "constructor" must fall through to `unsupported` like any other unknown type.
 */
import type { z } from "zod";
import type { InteractiveReply, Media, MessageContent } from "./types.js";
import { type ItemResult, nonEmpty, refuse } from "./parse-util.js";
import { wireContent } from "./wire.js";

type ContentResult = ItemResult<MessageContent>;

const via = <S extends z.ZodType>(schema: S, raw: unknown, map: (data: z.output<S>) => MessageContent): ContentResult => {
  const parsed = schema.safeParse(raw);
  return parsed.success ? { ok: true, value: map(parsed.data) } : refuse(parsed.error);
};

type WireMedia = { id: string; mime_type?: string | undefined; sha256?: string | undefined; caption?: string | undefined; url?: string | undefined };

const toMedia = (m: WireMedia): Media => ({ id: m.id, mimeType: m.mime_type, sha256: m.sha256, caption: m.caption, url: m.url });

/** Flows put `flow_token` and the answers in `response_json`, a JSON *string* (spec §3). */
const parseJsonOrUndefined = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
};

type WireInteractive = z.output<typeof wireContent.interactive>["interactive"];

const toInteractive = (i: WireInteractive): ItemResult<InteractiveReply> => {
  const missing = { ok: false, reason: `interactive.${i.type}: missing` } as const;
  switch (i.type) {
    case "button_reply":
      return i.button_reply ? { ok: true, value: { kind: "button_reply", ...i.button_reply } } : missing;
    case "list_reply": {
      const r = i.list_reply;
      return r ? { ok: true, value: { kind: "list_reply", id: r.id, title: r.title, description: r.description } } : missing;
    }
    case "nfm_reply": {
      const r = i.nfm_reply;
      if (!r) return missing;
      const value = { kind: "nfm_reply", name: r.name, body: r.body, responseJsonText: r.response_json, responseJson: parseJsonOrUndefined(r.response_json) } as const;
      return { ok: true, value };
    }
    default:
      // call_permission_reply and whatever Meta adds next: still a message the user sent.
      return { ok: true, value: { kind: "other", interactiveType: i.type } };
  }
};

const interactive = (raw: unknown): ContentResult => {
  const parsed = wireContent.interactive.safeParse(raw);
  if (!parsed.success) return refuse(parsed.error);
  const reply = toInteractive(parsed.data.interactive);
  return reply.ok ? { ok: true, value: { type: "interactive", interactive: reply.value } } : reply;
};

/** Parses the payload object named after `type`; `raw` is the whole message. */
export const parseContent = (type: string, raw: unknown): ContentResult => {
  switch (type) {
    case "text":
      return via(wireContent.text, raw, (m) => ({ type, text: { body: m.text.body } }));
    case "image":
      return via(wireContent.image, raw, (m) => ({ type, image: toMedia(m.image) }));
    case "video":
      return via(wireContent.video, raw, (m) => ({ type, video: toMedia(m.video) }));
    case "audio":
      return via(wireContent.audio, raw, (m) => ({ type, audio: { ...toMedia(m.audio), voice: m.audio.voice === true } }));
    case "document":
      return via(wireContent.document, raw, (m) => ({ type, document: { ...toMedia(m.document), filename: m.document.filename } }));
    case "sticker":
      return via(wireContent.sticker, raw, (m) => ({ type, sticker: { ...toMedia(m.sticker), animated: m.sticker.animated === true } }));
    case "location":
      return via(wireContent.location, raw, ({ location: l }) => ({
        type,
        location: { latitude: l.latitude, longitude: l.longitude, name: l.name, address: l.address, url: l.url },
      }));
    case "contacts":
      return via(wireContent.contacts, raw, (m) => ({
        type,
        contacts: m.contacts.map((c) => ({
          formattedName: c.name?.formatted_name,
          phones: (c.phones ?? []).map((p) => ({ phone: p.phone, waId: p.wa_id, type: p.type })),
          emails: (c.emails ?? []).map((e) => ({ email: e.email, type: e.type })),
          organization: c.org?.company,
        })),
      }));
    case "interactive":
      return interactive(raw);
    case "button":
      return via(wireContent.button, raw, (m) => ({ type, button: { payload: m.button.payload, text: m.button.text } }));
    case "reaction":
      // emoji is omitted when the user removes the reaction; "" means the same.
      return via(wireContent.reaction, raw, (m) => ({ type, reaction: { messageId: m.reaction.message_id, emoji: nonEmpty(m.reaction.emoji) } }));
    case "order":
      return via(wireContent.order, raw, ({ order: o }) => ({
        type,
        order: {
          catalogId: o.catalog_id,
          text: o.text,
          items: o.product_items.map((i) => ({ productRetailerId: i.product_retailer_id, quantity: i.quantity, itemPrice: i.item_price, currency: i.currency })),
        },
      }));
    case "system":
      return via(wireContent.system, raw, ({ system: s }) => ({
        type,
        system: { body: s.body, systemType: s.type, newWaId: nonEmpty(s.wa_id), newUserId: nonEmpty(s.user_id) },
      }));
    case "request_welcome":
      return { ok: true, value: { type } };
    case "unsupported":
      return via(wireContent.unsupported, raw, (m) => ({ type, unsupported: { originalType: nonEmpty(m.unsupported?.type) ?? type } }));
    default:
      // Legacy `unknown` and any type wahook does not model: kept so it is still recorded (DESIGN.md).
      return { ok: true, value: { type: "unsupported", unsupported: { originalType: type } } };
  }
};
