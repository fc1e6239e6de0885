/**
 * Webhook bodies shaped and encoded like Meta's, for `wahook simulate` and the demo. They follow
 * the captured fixtures in test/fixtures, including the wire encoding, so a server that verifies
 * signatures over re-serialized JSON instead of the raw bytes fails against them as it would
 * against Meta.
 */
export const SIMULATED_TYPES = [
  "text", "image", "location", "reaction", "status", "button", "interactive", "audio", "document", "sticker", "unsupported",
] as const;

export type SimulatedType = (typeof SIMULATED_TYPES)[number];

export interface SimulatedDeliveryOptions {
  type: SimulatedType;
  /** the text body, caption, button label, location name or reaction emoji, by type */
  text?: string;
  /** the user's wa_id: digits, no "+" */
  from?: string;
  name?: string;
  phoneNumberId?: string;
  /** the event's own id: the inbound wamid, or for "status" the outbound wamid it reports on */
  messageId?: string;
  /** for type "status" (default "delivered") */
  status?: "sent" | "delivered" | "read" | "failed";
  nowSec: number;
  /** uniform in [0, 1) */
  random: () => number;
}

// A non-ASCII default name, so every simulated body exercises the \uXXXX escaping.
const DEFAULT_NAME = "Zoë Tester";
const DISPLAY_PHONE_NUMBER = "15550001234";

const randomBytes = (random: () => number, count: number): Buffer =>
  Buffer.from(Array.from({ length: count }, () => Math.floor(random() * 256)));

const randomDigits = (random: () => number, count: number): string =>
  String(1 + Math.floor(random() * 9)) + Array.from({ length: count - 1 }, () => Math.floor(random() * 10)).join("");

/**
 * Meta's wamids are base64 of a small binary record: 1C 18 <len> <wa_id> 15 02 00, then 12 with
 * 20 hex digits for an inbound message or 11 with 18 for an outbound one, then 00 (decoded from
 * the captured fixtures). Copying it makes ids that look right in logs and pass any format check.
 */
function wamid(waId: string, direction: "inbound" | "outbound", random: () => number): string {
  const hexLength = direction === "inbound" ? 20 : 18;
  const hex = randomBytes(random, hexLength / 2).toString("hex").toUpperCase();
  const record = Buffer.concat([
    Buffer.from([0x1c, 0x18, waId.length]), Buffer.from(waId, "ascii"),
    Buffer.from([0x15, 0x02, 0x00, direction === "inbound" ? 0x12 : 0x11, 0x18, hexLength]), Buffer.from(hex, "ascii"),
    Buffer.from([0x00]),
  ]);
  return `wamid.${record.toString("base64")}`;
}

/**
 * Meta's wire encoding: compact JSON, every non-ASCII UTF-16 unit as lowercase \uXXXX (so emoji
 * become surrogate pairs), "/" as "\/", and "@" as "\u0040" (seen in a captured body, see
 * tawn33y/whatsapp-cloud-api#60). "/" can only occur inside JSON strings, so replacing it is safe.
 */
export function toWireJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u0080-\uffff@/]/g, (char) =>
    char === "/" ? "\\/" : `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function media(random: () => number, nowSec: number, fields: Record<string, unknown>): Record<string, unknown> {
  const id = randomDigits(random, 16);
  const hash = randomBytes(random, 24).toString("base64url");
  return {
    ...fields,
    sha256: randomBytes(random, 32).toString("base64"),
    id,
    url: `https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=${id}&source=webhook&ext=${nowSec + 300}&hash=${hash}`,
  };
}

type Options = SimulatedDeliveryOptions & { from: string };

/** The type-specific part of a message (plus context for taps on our own messages). */
function content(o: Options, quoted: string): Record<string, unknown> {
  const { text, random, nowSec } = o;
  const tapContext = { context: { from: DISPLAY_PHONE_NUMBER, id: quoted } };
  switch (o.type) {
    case "text": return { text: { body: text ?? "Hi! Does this work? 👋" } };
    case "image": return { image: media(random, nowSec, { caption: text ?? "Is this the right part?", mime_type: "image/jpeg" }) };
    case "audio": return { audio: media(random, nowSec, { mime_type: "audio/ogg; codecs=opus", voice: true }) };
    case "document":
      return { document: media(random, nowSec, { caption: text ?? "Invoice", filename: "invoice-1042.pdf", mime_type: "application/pdf" }) };
    case "sticker": return { sticker: media(random, nowSec, { mime_type: "image/webp", animated: false }) };
    case "location":
      return { location: { address: "Pariser Platz, 10117 Berlin", latitude: 52.516275, longitude: 13.377704, name: text ?? "Brandenburger Tor" } };
    case "reaction": return { reaction: { message_id: quoted, emoji: text ?? "👍" } };
    case "button": return { ...tapContext, button: { payload: "SIMULATED_PAYLOAD", text: text ?? "Yes, please" } };
    case "interactive":
      return { ...tapContext, interactive: { type: "button_reply", button_reply: { id: "simulated-yes", title: text ?? "Yes" } } };
    case "unsupported":
      return {
        errors: [{ code: 131051, title: "Message type unknown", message: "Message type unknown", error_data: { details: "Message type is currently not supported." } }],
        unsupported: { type: "poll_creation" },
      };
    case "status": throw new Error("unreachable: statuses have no message content");
  }
}

// Failed statuses carry errors and no pricing; 131026 (undeliverable) is a typical one.
const FAILURE = {
  errors: [{ code: 131026, title: "Message undeliverable", message: "Message undeliverable", error_data: { details: "Message Undeliverable." } }],
};
const PRICING = { pricing: { billable: true, pricing_model: "PMP", type: "regular", category: "service" } };

function statusValue(o: Options): Record<string, unknown> {
  const status = o.status ?? "delivered";
  return {
    statuses: [{
      id: o.messageId ?? wamid(o.from, "outbound", o.random),
      status,
      timestamp: String(o.nowSec),
      recipient_id: o.from,
      ...(status === "failed" ? FAILURE : PRICING),
    }],
  };
}

function messageValue(o: Options): Record<string, unknown> {
  const quoted = wamid(o.from, "outbound", o.random);
  const message = {
    from: o.from,
    id: o.messageId ?? wamid(o.from, "inbound", o.random),
    timestamp: String(o.nowSec),
    type: o.type,
    ...content(o, quoted),
  };
  return { contacts: [{ profile: { name: o.name ?? DEFAULT_NAME }, wa_id: o.from }], messages: [message] };
}

/** One complete webhook POST body, byte for byte as Meta would send it. */
export function simulatedDelivery(options: SimulatedDeliveryOptions): string {
  const o: Options = { ...options, from: options.from ?? "15550001111" };
  const value = {
    messaging_product: "whatsapp",
    metadata: { display_phone_number: DISPLAY_PHONE_NUMBER, phone_number_id: options.phoneNumberId ?? "100000000000001" },
    ...(o.type === "status" ? statusValue(o) : messageValue(o)),
  };
  // entry.id is the WABA id; the dashboard's own Test button sends "0", so receivers must cope with it.
  return toWireJson({ object: "whatsapp_business_account", entry: [{ id: "0", changes: [{ value, field: "messages" }] }] });
}
