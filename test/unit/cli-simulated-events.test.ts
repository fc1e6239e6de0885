import { describe, expect, it } from "vitest";
import { SIMULATED_TYPES, simulatedDelivery, toWireJson, type SimulatedType } from "../../src/cli/simulated-events.js";

/** A deterministic stand-in for Math.random (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NOW = 1781702400;
const delivery = (type: SimulatedType, extra: Partial<Parameters<typeof simulatedDelivery>[0]> = {}) =>
  simulatedDelivery({ type, nowSec: NOW, random: seeded(7), ...extra });

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const valueOf = (body: string): any => JSON.parse(body).entry[0].changes[0].value;

const WAMID = /^wamid\.[A-Za-z0-9+/]+=*$/;

describe("simulatedDelivery", () => {
  it.each(SIMULATED_TYPES)("makes a %s delivery in Meta's wire encoding: pure ASCII JSON with \\/ for every /", (type) => {
    const body = delivery(type);
    expect(/^[\x20-\x7e]*$/.test(body)).toBe(true);
    expect(() => JSON.parse(body)).not.toThrow();
    expect(/(?<!\\)\//.test(body)).toBe(false);
  });

  it.each(SIMULATED_TYPES.filter((t) => t !== "status"))("puts escapes in every %s message (the contact's name), so re-serializing changes the bytes", (type) => {
    // Why signatures must be checked over the raw bytes: JSON.stringify(JSON.parse(body)) is another body.
    const body = delivery(type);
    expect(body).toContain("\\u00eb");
    expect(JSON.stringify(JSON.parse(body))).not.toBe(body);
  });

  it("escapes the / of media URLs", () => {
    expect(delivery("image")).toContain('"url":"https:\\/\\/lookaside.fbsbx.com\\/whatsapp_business\\/attachments\\/?mid=');
  });

  it.each(SIMULATED_TYPES)("wraps a %s event in Meta's envelope for the business number", (type) => {
    const parsed = JSON.parse(delivery(type, { phoneNumberId: "391054887612340" }));
    expect(parsed.object).toBe("whatsapp_business_account");
    expect(parsed.entry).toHaveLength(1);
    expect(parsed.entry[0].changes[0].field).toBe("messages");
    const value = parsed.entry[0].changes[0].value;
    expect(value.messaging_product).toBe("whatsapp");
    expect(value.metadata.phone_number_id).toBe("391054887612340");
    expect(value.metadata.display_phone_number).toMatch(/^\d+$/);
  });

  it.each(SIMULATED_TYPES.filter((t) => t !== "status"))("gives a %s message Meta's common fields and a contact", (type) => {
    const value = valueOf(delivery(type, { from: "4915112345678", name: "Lena" }));
    const message = value.messages[0];
    expect(message).toMatchObject({ from: "4915112345678", timestamp: String(NOW), type });
    expect(message.id).toMatch(WAMID);
    // Meta's inbound wamids embed the sender's wa_id.
    expect(Buffer.from(message.id.slice(6), "base64").toString("latin1")).toContain("4915112345678");
    expect(message[type]).toBeDefined();
    expect(value.contacts).toEqual([{ profile: { name: "Lena" }, wa_id: "4915112345678" }]);
  });

  it.each<[SimulatedType, Record<string, unknown>]>([
    ["text", { text: { body: expect.any(String) } }],
    ["image", { image: { caption: expect.any(String), mime_type: "image/jpeg", sha256: expect.any(String), id: expect.stringMatching(/^\d+$/), url: expect.stringMatching(/^https:\/\/lookaside\.fbsbx\.com\//) } }],
    ["audio", { audio: expect.objectContaining({ mime_type: "audio/ogg; codecs=opus", voice: true }) }],
    ["document", { document: expect.objectContaining({ filename: expect.any(String), mime_type: "application/pdf" }) }],
    ["sticker", { sticker: expect.objectContaining({ mime_type: "image/webp", animated: false }) }],
    ["location", { location: { latitude: expect.any(Number), longitude: expect.any(Number), name: expect.any(String), address: expect.any(String) } }],
    ["reaction", { reaction: { message_id: expect.stringMatching(WAMID), emoji: "👍" } }],
    ["button", { context: { from: expect.any(String), id: expect.stringMatching(WAMID) }, button: { payload: expect.any(String), text: expect.any(String) } }],
    ["interactive", { interactive: { type: "button_reply", button_reply: { id: expect.any(String), title: expect.any(String) } } }],
    ["unsupported", { unsupported: { type: "poll_creation" }, errors: [expect.objectContaining({ code: 131051 })] }],
  ])("shapes a %s message like Meta's", (type, shape) => {
    expect(valueOf(delivery(type)).messages[0]).toMatchObject(shape);
  });

  it("makes a status a delivered update for the given message id, without messages or contacts", () => {
    const value = valueOf(delivery("status", { messageId: "wamid.OUR-MESSAGE", from: "4915112345678" }));
    expect(value.statuses).toEqual([
      expect.objectContaining({ id: "wamid.OUR-MESSAGE", status: "delivered", timestamp: String(NOW), recipient_id: "4915112345678" }),
    ]);
    expect(value.messages).toBeUndefined();
    expect(value.contacts).toBeUndefined();
  });

  it.each(["sent", "read"] as const)("makes a %s status when asked", (status) => {
    expect(valueOf(delivery("status", { status })).statuses[0]).toMatchObject({ status, pricing: { pricing_model: "PMP" } });
  });

  it("gives a failed status Meta's errors and no pricing", () => {
    const [status] = valueOf(delivery("status", { status: "failed" })).statuses;
    expect(status).toMatchObject({ status: "failed", errors: [{ code: 131026, title: expect.any(String) }] });
    expect(status.pricing).toBeUndefined();
  });

  it("escapes non-ASCII as lowercase \\uXXXX with surrogate pairs for emoji, and @ as \\u0040", () => {
    const body = delivery("text", { text: "Ünï 👋 mail a@b.example / done" });
    expect(body).toContain("\\u00dcn\\u00ef \\ud83d\\udc4b mail a\\u0040b.example \\/ done");
    expect(valueOf(body).messages[0].text.body).toBe("Ünï 👋 mail a@b.example / done");
  });

  it("uses the given text, sender and message id, and defaults the sender to 15550001111", () => {
    const value = valueOf(delivery("text", { text: "hello", messageId: "wamid.FIXED" }));
    expect(value.messages[0]).toMatchObject({ id: "wamid.FIXED", from: "15550001111", text: { body: "hello" } });
    expect(value.metadata.phone_number_id).toBe("100000000000001");
  });

  it("is deterministic for a given random source, and differs for another", () => {
    expect(delivery("image")).toBe(delivery("image"));
    const other = simulatedDelivery({ type: "image", nowSec: NOW, random: seeded(8) });
    expect(valueOf(other).messages[0].id).not.toBe(valueOf(delivery("image")).messages[0].id);
  });
});

describe("toWireJson", () => {
  it("keeps backslashes and quotes intact while escaping /", () => {
    const value = { path: "C:\\dir/\"x\"" };
    const wire = toWireJson(value);
    expect(wire).toBe('{"path":"C:\\\\dir\\/\\"x\\""}');
    expect(JSON.parse(wire)).toEqual(value);
  });
});
