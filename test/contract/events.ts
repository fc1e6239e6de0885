import type { GraphErrorInfo, InboundMessage, Recipient, StatusUpdate, WebhookErrorEvent } from "../../src/events/types.js";
import type { OutboxDraft } from "../../src/store/store.js";

/** Hand-built events (following src/events/types.ts), so the store contract needs no parser. */
export const PHONE = "100000000000001";
export const T0 = 1_781_702_400_000;

export const recipient = (phoneNumberId = PHONE): Recipient => ({ wabaId: "102290129340398", phoneNumberId, displayPhoneNumber: "15550783881" });

export function textMessage(
  wamid: string,
  contactKey = "4915100000001",
  options: { phoneNumberId?: string; timestampSec?: number; body?: string } = {},
): InboundMessage {
  return {
    kind: "message",
    id: wamid,
    timestampSec: options.timestampSec ?? T0 / 1000,
    to: recipient(options.phoneNumberId),
    from: { key: contactKey, waId: contactKey, userId: undefined, name: "Test User" },
    context: undefined,
    referral: undefined,
    errors: [],
    type: "text",
    text: { body: options.body ?? `hello from ${contactKey}` },
  };
}

export function statusUpdate(wamid: string, status: string, errors: GraphErrorInfo[] = []): StatusUpdate {
  return {
    kind: "status",
    id: wamid,
    status,
    timestampSec: T0 / 1000,
    to: recipient(),
    recipientId: "4915100000001",
    recipientUserId: undefined,
    bizOpaqueCallbackData: undefined,
    conversation: undefined,
    pricing: undefined,
    errors,
  };
}

export const graphError = (code: number, title: string): GraphErrorInfo => ({ code, title, message: title, details: undefined });

export const errorEvent = (code = 131000): WebhookErrorEvent => ({ kind: "error", to: recipient(), errors: [graphError(code, "Something went wrong")] });

export const draft = (text: string, to = "4915100000001", kind: OutboxDraft["kind"] = "message"): OutboxDraft => ({
  phoneNumberId: PHONE,
  recipient: to,
  kind,
  body: kind === "message" ? { type: "text", text: { body: text } } : { status: "read", message_id: text },
});

/** What a JSON round trip makes of a value (undefined fields disappear): the stored form. */
export const stored = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
