import { describe, expect, it } from "vitest";
import { parseWebhook } from "../../src/events/parse.js";
import type { InboundMessage, ParseResult, StatusUpdate } from "../../src/events/types.js";

/** A one-change body around the given value fields. */
const body = (value: Record<string, unknown>) => ({
  object: "whatsapp_business_account",
  entry: [{ id: "waba", changes: [{ field: "messages", value: { messaging_product: "whatsapp", metadata: { display_phone_number: "1555", phone_number_id: "p" }, ...value } }] }],
});
const msg = (fields: Record<string, unknown>) => ({ from: "4915112345678", id: "wamid.in", timestamp: "1781700000", type: "text", text: { body: "hi" }, ...fields });

const parseOne = (value: Record<string, unknown>): ParseResult => parseWebhook(body(value));
/** The single message of a body; fails if it was skipped. */
const message = (fields: Record<string, unknown>, contacts?: unknown[]): InboundMessage => {
  const { events, skipped } = parseOne({ contacts, messages: [msg(fields)] });
  expect(skipped).toEqual([]);
  const event = events[0];
  if (events.length !== 1 || event?.kind !== "message") throw new Error("expected exactly one message");
  return event;
};
const skippedReason = (fields: Record<string, unknown>): string | undefined => {
  const { events, skipped } = parseOne({ messages: [msg(fields)] });
  expect(events).toEqual([]);
  return skipped[0]?.reason;
};
const status = (fields: Record<string, unknown>): StatusUpdate => {
  const event = parseOne({ statuses: [{ id: "wamid.out", status: "sent", timestamp: "1781700000", recipient_id: "1", ...fields }] }).events[0];
  if (event?.kind !== "status") throw new Error("expected a status");
  return event;
};

describe("the sender of a message (BSUID era)", () => {
  it("keys a user on from_user_id, matched to contacts[].user_id, when wa_id is empty", () => {
    const m = message({ from_user_id: "US.13491208655302741918" }, [{ profile: { name: "Kai" }, wa_id: "", user_id: "US.13491208655302741918" }]);
    expect(m.from).toEqual({ key: "US.13491208655302741918", waId: "4915112345678", userId: "US.13491208655302741918", name: "Kai" });
  });

  it("accepts a message with no from at all when from_user_id names the user", () => {
    const m = message({ from: undefined, from_user_id: "US.42" }, [{ profile: { name: "Kai" }, wa_id: "", user_id: "US.42" }]);
    expect(m.from).toEqual({ key: "US.42", waId: undefined, userId: "US.42", name: "Kai" });
  });

  it("treats from: \"\" as absent and keys on from_user_id", () => {
    expect(message({ from: "", from_user_id: "US.7" }).from).toEqual({ key: "US.7", waId: undefined, userId: "US.7", name: undefined });
  });

  it("takes the user id from the contact matched by wa_id when the message has none", () => {
    const m = message({}, [{ profile: { name: "Lena" }, wa_id: "4915112345678", user_id: "DE.9" }]);
    expect(m.from).toEqual({ key: "DE.9", waId: "4915112345678", userId: "DE.9", name: "Lena" });
  });

  it("skips a message that names no sender", () => {
    expect(skippedReason({ from: undefined })).toBe("neither from nor from_user_id names the sender");
    expect(skippedReason({ from: "", from_user_id: "" })).toBe("neither from nor from_user_id names the sender");
  });

  it("keeps the sender but no name when contacts[] is malformed or lists someone else", () => {
    expect(message({}, [null, "x", { wa_id: 5 }, { profile: { name: "Other" }, wa_id: "1" }]).from.name).toBeUndefined();
  });

  it("matches wa_ids named like Object.prototype members as plain strings", () => {
    expect(message({ from: "__proto__" }, [{ profile: { name: "Proto" }, wa_id: "__proto__" }]).from).toMatchObject({ key: "__proto__", name: "Proto" });
    expect(message({ from: "constructor" }, []).from).toEqual({ key: "constructor", waId: "constructor", userId: undefined, name: undefined });
  });
});

describe("message types", () => {
  it("keeps a type it does not model as unsupported with the original type", () => {
    expect(message({ type: "poll", poll: { question: "?" } })).toMatchObject({ type: "unsupported", unsupported: { originalType: "poll" } });
  });

  it("keeps the legacy unknown type, reading details from the top-level legacy error shape", () => {
    const m = message({ type: "unknown", errors: [{ code: 131051, details: "Message type is not currently supported", title: "Unsupported message type" }] });
    expect(m).toMatchObject({ type: "unsupported", unsupported: { originalType: "unknown" } });
    expect(m.errors).toEqual([{ code: 131051, title: "Unsupported message type", message: undefined, details: "Message type is not currently supported" }]);
  });

  it("treats types named like Object.prototype members as unknown types", () => {
    for (const type of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
      expect(message({ type })).toMatchObject({ type: "unsupported", unsupported: { originalType: type } });
    }
  });

  it("keeps request_welcome, which has no payload", () => {
    expect(message({ type: "request_welcome", text: undefined }).type).toBe("request_welcome");
  });

  it("reads a removed reaction (emoji missing or \"\") as emoji undefined", () => {
    for (const emoji of [undefined, ""]) {
      expect(message({ type: "reaction", reaction: { message_id: "wamid.out", emoji } })).toMatchObject({ reaction: { messageId: "wamid.out", emoji: undefined } });
    }
  });

  it("keeps an nfm_reply whose response_json is not JSON as text, with responseJson undefined", () => {
    const m = message({ type: "interactive", interactive: { type: "nfm_reply", nfm_reply: { name: "address_message", response_json: "{not json" } } });
    expect(m).toMatchObject({ interactive: { kind: "nfm_reply", name: "address_message", responseJsonText: "{not json", responseJson: undefined, body: undefined } });
  });

  it("reads other interactive types, such as call_permission_reply, as kind other", () => {
    const m = message({ type: "interactive", interactive: { type: "call_permission_reply", call_permission_reply: { response: "accept" } } });
    expect(m).toMatchObject({ type: "interactive", interactive: { kind: "other", interactiveType: "call_permission_reply" } });
  });

  it("skips an interactive reply whose announced payload is missing", () => {
    expect(skippedReason({ type: "interactive", interactive: { type: "button_reply" } })).toBe("interactive.button_reply: missing");
  });

  it("reads latitude and longitude sent as numeric strings as numbers", () => {
    expect(message({ type: "location", location: { latitude: "-33.8688", longitude: "151.2093" } })).toMatchObject({ location: { latitude: -33.8688, longitude: 151.2093 } });
  });

  it("reads the frequently_forwarded flag", () => {
    expect(message({ context: { frequently_forwarded: true } }).context).toMatchObject({ forwarded: false, frequentlyForwarded: true });
  });

  it("reads the new BSUID of a BSUID-era system message that omits wa_id", () => {
    const m = message({ type: "system", system: { body: "changed", type: "user_changed_user_id", user_id: "US.new" } });
    expect(m).toMatchObject({ system: { systemType: "user_changed_user_id", newWaId: undefined, newUserId: "US.new" } });
  });

  it("keeps text with NUL characters and escapes as sent", () => {
    const m = message({ text: { body: "a\u0000b\\u0000" } });
    expect(m).toMatchObject({ text: { body: "a\u0000b\\u0000" } });
  });
});

describe("malformed parts of a message", () => {
  it("skips a message whose payload has the wrong type, naming the field", () => {
    expect(skippedReason({ text: { body: 42 } })).toMatch(/^text\.body: .*expected string/);
    expect(skippedReason({ type: "order", order: { catalog_id: "c", product_items: [{ product_retailer_id: "x", quantity: 1, item_price: "9", currency: "NGN" }] } })).toMatch(
      /^order\.product_items\[0\]\.item_price: /,
    );
  });

  it("skips a message with an empty id or a timestamp that is not Unix seconds", () => {
    expect(skippedReason({ id: "" })).toBe("id: empty");
    expect(skippedReason({ timestamp: "1e9" })).toBe("timestamp: expected Unix seconds, got 1e9");
    expect(skippedReason({ timestamp: "9".repeat(30) })).toMatch(/^timestamp: expected Unix seconds/);
  });

  it("keeps a message whose context, referral or errors are malformed, without them", () => {
    const m = message({ context: "quoted", referral: { source_url: 5 }, errors: [{ code: "x" }, { code: 131060 }] });
    expect(m.context).toBeUndefined();
    expect(m.referral).toBeUndefined();
    expect(m.errors.map((e) => e.code)).toEqual([131060]);
  });

  it("parses a body carrying __proto__ keys without polluting any prototype", () => {
    const wire = JSON.stringify(body({ messages: [msg({})] }))
      .replace('"type":"text"', '"__proto__":{"polluted":1},"type":"text"')
      .replace('"body":"hi"', '"body":"hi","__proto__":{"polluted":2}');
    const m = parseWebhook(JSON.parse(wire)).events[0];
    if (m?.kind !== "message" || m.type !== "text") throw new Error("expected the text message");
    expect(m.text).toEqual({ body: "hi" });
    expect((m.text as Record<string, unknown>).polluted).toBeUndefined();
    expect((m as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("statuses", () => {
  it("keeps an unknown status string as sent", () => {
    expect(status({ status: "deleted" }).status).toBe("deleted");
  });

  it("reads recipient_user_id when recipient_id is omitted", () => {
    expect(status({ recipient_id: undefined, recipient_user_id: "US.1" })).toMatchObject({ recipientId: undefined, recipientUserId: "US.1" });
  });

  it("keeps a status whose pricing or conversation is malformed, without them", () => {
    expect(status({ pricing: "PMP", conversation: { id: 1 } })).toMatchObject({ status: "sent", pricing: undefined, conversation: undefined });
  });

  it("reads a conversation without expiration_timestamp (only sent has one)", () => {
    expect(status({ conversation: { id: "c", origin: { type: "service" } } }).conversation).toEqual({ id: "c", originType: "service", expirationTimestampSec: undefined });
  });
});
