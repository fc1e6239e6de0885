/**
 * The typed events wahook hands to the rest of the pipeline: camelCase, timestamps as numbers,
 * one event per message, status or error in a delivery (never just entry[0]).
 * Wire shapes: https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages
 */

/** Where an event arrived: route on phoneNumberId, not on the WABA id (entry.id). */
export interface Recipient {
  wabaId: string;
  phoneNumberId: string;
  displayPhoneNumber: string;
}

/**
 * The user. Meta's 2026 business-scoped user ids mean waId may be missing or empty; key users on
 * `key` (= userId ?? waId), which is always set.
 */
export interface Contact {
  key: string;
  waId: string | undefined;
  userId: string | undefined;
  name: string | undefined;
}

export interface GraphErrorInfo {
  code: number;
  title: string | undefined;
  message: string | undefined;
  details: string | undefined;
}

export interface MessageContext {
  /** The quoted message (ours or the user's). */
  messageId: string | undefined;
  from: string | undefined;
  forwarded: boolean;
  frequentlyForwarded: boolean;
  referredProduct: { catalogId: string; productRetailerId: string } | undefined;
}

export interface Referral {
  sourceUrl: string | undefined;
  sourceId: string | undefined;
  sourceType: string | undefined;
  headline: string | undefined;
  body: string | undefined;
  mediaType: string | undefined;
  ctwaClid: string | undefined;
  welcomeMessageText: string | undefined;
}

export interface Media {
  id: string;
  mimeType: string | undefined;
  /** base64, as Meta sends it */
  sha256: string | undefined;
  caption: string | undefined;
  url: string | undefined;
}

export type MessageContent =
  | { type: "text"; text: { body: string } }
  | { type: "image"; image: Media }
  | { type: "video"; video: Media }
  | { type: "audio"; audio: Media & { voice: boolean } }
  | { type: "document"; document: Media & { filename: string | undefined } }
  | { type: "sticker"; sticker: Media & { animated: boolean } }
  | { type: "location"; location: { latitude: number; longitude: number; name: string | undefined; address: string | undefined; url: string | undefined } }
  | { type: "contacts"; contacts: SharedContact[] }
  | { type: "interactive"; interactive: InteractiveReply }
  | { type: "button"; button: { payload: string; text: string } }
  | { type: "reaction"; reaction: { messageId: string; /** undefined when the reaction was removed */ emoji: string | undefined } }
  | { type: "order"; order: { catalogId: string; text: string | undefined; items: OrderItem[] } }
  /** newUserId: the user's new business-scoped id (BSUID era, when `wa_id` may be omitted). */
  | { type: "system"; system: { body: string | undefined; systemType: string | undefined; newWaId: string | undefined; newUserId?: string | undefined } }
  | { type: "request_welcome" }
  /** Meta's `unsupported` and legacy `unknown`, and any type wahook does not model: kept, never dropped. */
  | { type: "unsupported"; unsupported: { originalType: string } };

export type InteractiveReply =
  | { kind: "button_reply"; id: string; title: string }
  | { kind: "list_reply"; id: string; title: string; description: string | undefined }
  /** A WhatsApp Flow completion; responseJson is parsed when it is valid JSON, else undefined. */
  | { kind: "nfm_reply"; name: string; body: string | undefined; responseJsonText: string; responseJson: unknown }
  | { kind: "other"; interactiveType: string };

export interface SharedContact {
  formattedName: string | undefined;
  phones: { phone: string | undefined; waId: string | undefined; type: string | undefined }[];
  emails: { email: string | undefined; type: string | undefined }[];
  organization: string | undefined;
}

export interface OrderItem {
  productRetailerId: string;
  quantity: number;
  itemPrice: number;
  currency: string;
}

export type MessageType = MessageContent["type"];

export type InboundMessage = MessageContent & {
  kind: "message";
  /** The wamid: the idempotency key of a message. */
  id: string;
  timestampSec: number;
  to: Recipient;
  from: Contact;
  context: MessageContext | undefined;
  referral: Referral | undefined;
  errors: GraphErrorInfo[];
};

export type DeliveryStatus = "sent" | "delivered" | "read" | "played" | "failed";

export interface StatusUpdate {
  kind: "status";
  /** The wamid of our outbound message; (id, status) is the idempotency key of a status. */
  id: string;
  status: DeliveryStatus | (string & {});
  timestampSec: number;
  to: Recipient;
  recipientId: string | undefined;
  recipientUserId: string | undefined;
  bizOpaqueCallbackData: string | undefined;
  conversation: { id: string | undefined; originType: string | undefined; expirationTimestampSec: number | undefined } | undefined;
  pricing: { billable: boolean | undefined; pricingModel: string | undefined; type: string | undefined; category: string | undefined } | undefined;
  errors: GraphErrorInfo[];
}

/** `value.errors[]`: an app- or account-level problem with no message attached. */
export interface WebhookErrorEvent {
  kind: "error";
  to: Recipient;
  errors: GraphErrorInfo[];
}

export type WebhookEvent = InboundMessage | StatusUpdate | WebhookErrorEvent;

/** A part of a delivery that was acknowledged but not turned into an event, and why. */
export interface Skipped {
  /** JSON path into the body, e.g. `entry[1].changes[0]` */
  path: string;
  reason: string;
}

export interface ParseResult {
  events: WebhookEvent[];
  skipped: Skipped[];
}
