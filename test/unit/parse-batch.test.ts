import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseWebhook } from "../../src/events/parse.js";
import type { InboundMessage, StatusUpdate } from "../../src/events/types.js";

const load = (name: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8"));

const messagesOf = (events: ReturnType<typeof parseWebhook>["events"]) => events.filter((e): e is InboundMessage => e.kind === "message");
const statusesOf = (events: ReturnType<typeof parseWebhook>["events"]) => events.filter((e): e is StatusUpdate => e.kind === "status");

const metadata = (phoneNumberId: string) => ({ display_phone_number: `display-${phoneNumberId}`, phone_number_id: phoneNumberId });
const text = (from: string, id: string, body = "hi") => ({ from, id, timestamp: "1781700000", type: "text", text: { body } });
const contact = (waId: string, name: string) => ({ profile: { name }, wa_id: waId });
const envelope = (...entry: unknown[]) => ({ object: "whatsapp_business_account", entry });
const messagesChange = (value: Record<string, unknown>) => ({ field: "messages", value: { messaging_product: "whatsapp", ...value } });

describe("parseWebhook on batch-multi-entry.json (2 WABAs, 2 numbers, mixed changes)", () => {
  const { events, skipped } = parseWebhook(load("batch-multi-entry.json"));

  it("returns every message and status of both entries, in document order", () => {
    expect(events.map((e) => (e.kind === "message" ? `${e.kind}:${e.type}` : `${e.kind}:${e.kind === "status" ? e.status : ""}`))).toEqual([
      "message:text",
      "message:text",
      "message:text",
      "status:delivered",
      "status:read",
      "status:read",
      "status:sent",
      "message:text",
      "message:button",
    ]);
  });

  it("routes each event to the phone number of its own change, with that entry's WABA id", () => {
    const first = { wabaId: "284716093355812", phoneNumberId: "391054887612340", displayPhoneNumber: "15557340211" };
    const second = { wabaId: "173920486651037", phoneNumberId: "508331294760118", displayPhoneNumber: "447451277031" };
    expect(events.map((e) => e.to)).toEqual([first, first, first, first, first, first, second, second, second]);
  });

  it("names each sender from its own change's contacts", () => {
    expect(messagesOf(events).map((m) => [m.from.key, m.from.name])).toEqual([
      ["4915112345678", "Lena Vogt"],
      ["919845012345", "Priya Raman"],
      ["4915112345678", "Lena Vogt"],
      ["2348031234567", "Chinedu Okafor"],
      ["14155550188", "Dana Whitfield"],
    ]);
  });

  it("keeps a wamid's delivered and read as two statuses, and the template button's payload", () => {
    const statuses = statusesOf(events);
    const delivered = "wamid.HBgNNDkxNTExMjM0NTY3OBUCABEYEkU5MkMwMDBBNUQ3OUNEMkYyNwA=";
    expect(statuses.filter((s) => s.id === delivered).map((s) => s.status)).toEqual(["delivered", "read"]);
    expect(statuses[3]).toMatchObject({ status: "sent", recipientId: "2348031234567", pricing: { category: "marketing", billable: true } });
    expect(messagesOf(events)[4]).toMatchObject({ type: "button", button: { payload: "REMIND_LATER", text: "Remind me later" } });
  });

  it("lists the template-status change as skipped, and nothing else", () => {
    expect(skipped).toEqual([{ path: "entry[1].changes[2]", reason: "field message_template_status_update not handled" }]);
  });
});

describe("parseWebhook on synthetic batches", () => {
  it("reads 2 entries × 3 messages plus statuses as 6 messages with the right senders and numbers", () => {
    const entry = (waba: string, phone: string, users: [string, string][]) => ({
      id: waba,
      changes: [
        messagesChange({
          metadata: metadata(phone),
          contacts: users.map(([waId, name]) => contact(waId, name)),
          messages: [0, 1, 2].map((k) => text(users[k % users.length]![0], `wamid.${phone}.${k}`)),
        }),
        messagesChange({ metadata: metadata(phone), statuses: [{ id: `wamid.out.${phone}`, status: "sent", timestamp: "1781700001", recipient_id: users[0]![0] }] }),
      ],
    });
    const { events, skipped } = parseWebhook(
      envelope(
        entry("waba-1", "phone-1", [["111", "Ana"], ["222", "Ben"]]),
        entry("waba-2", "phone-2", [["333", "Cleo"], ["444", "Dev"], ["555", "Eli"]]),
      ),
    );
    expect(skipped).toEqual([]);
    expect(messagesOf(events).map((m) => `${m.to.phoneNumberId}/${m.id}/${m.from.name}`)).toEqual([
      "phone-1/wamid.phone-1.0/Ana",
      "phone-1/wamid.phone-1.1/Ben",
      "phone-1/wamid.phone-1.2/Ana",
      "phone-2/wamid.phone-2.0/Cleo",
      "phone-2/wamid.phone-2.1/Dev",
      "phone-2/wamid.phone-2.2/Eli",
    ]);
    expect(statusesOf(events).map((s) => `${s.to.wabaId}/${s.recipientId}`)).toEqual(["waba-1/111", "waba-2/333"]);
  });

  it("skips one malformed message by its path and still parses the rest of the delivery", () => {
    const good = messagesChange({ metadata: metadata("p0"), messages: [text("1", "wamid.a")] });
    const { id: _dropped, ...noId } = text("2", "wamid.c");
    const numericTimestamp = { ...text("2", "wamid.x"), timestamp: 1781700000 };
    const bad = messagesChange({ metadata: metadata("p1"), messages: [text("2", "wamid.b"), numericTimestamp, noId, text("2", "wamid.d")] });
    const { events, skipped } = parseWebhook(envelope({ id: "w0", changes: [good] }, { id: "w1", changes: [bad] }));
    expect(events.map((e) => (e.kind === "message" ? e.id : e.kind))).toEqual(["wamid.a", "wamid.b", "wamid.d"]);
    expect(skipped).toEqual([
      { path: "entry[1].changes[0].value.messages[1]", reason: expect.stringMatching(/^timestamp: .*expected string/) },
      { path: "entry[1].changes[0].value.messages[2]", reason: expect.stringMatching(/^id: .*expected string/) },
    ]);
  });

  it("skips a malformed status by its path and keeps its neighbours", () => {
    const status = (id: string, timestamp: unknown) => ({ id, status: "read", timestamp, recipient_id: "1" });
    const { events, skipped } = parseWebhook(
      envelope({ id: "w", changes: [messagesChange({ metadata: metadata("p"), statuses: [status("a", "1"), status("b", "soon"), status("c", "2")] })] }),
    );
    expect(statusesOf(events).map((s) => s.id)).toEqual(["a", "c"]);
    expect(skipped).toEqual([{ path: "entry[0].changes[0].value.statuses[1]", reason: "timestamp: expected Unix seconds, got soon" }]);
  });

  it("reads one error event per change from value.errors", () => {
    const error = { code: 130429, title: "Rate limit hit" };
    const { events } = parseWebhook(
      envelope({ id: "w", changes: [messagesChange({ metadata: metadata("p1"), errors: [error, { code: 131000 }] }), messagesChange({ metadata: metadata("p2"), errors: [error] })] }),
    );
    expect(events.map((e) => (e.kind === "error" ? `${e.to.phoneNumberId}:${e.errors.map((x) => x.code).join(",")}` : e.kind))).toEqual([
      "p1:130429,131000",
      "p2:130429",
    ]);
  });
});

describe("parseWebhook on envelopes it does not handle", () => {
  it("gives no event and one skipped item for another object type", () => {
    expect(parseWebhook({ object: "instagram", entry: [{ id: "1", changes: [] }] })).toEqual({
      events: [],
      skipped: [{ path: "object", reason: "object instagram not handled" }],
    });
  });

  it("gives no event and one skipped item for a body that is not an object", () => {
    for (const body of [null, [], "whatsapp_business_account", 42, true]) {
      const result = parseWebhook(body);
      expect(result.events).toEqual([]);
      expect(result.skipped).toHaveLength(1);
      expect(result.skipped[0]?.path).toBe("");
    }
  });

  it("skips an entry without a WABA id, and an entry list that is not an array", () => {
    expect(parseWebhook(envelope({ changes: [] })).skipped).toEqual([{ path: "entry[0].id", reason: "expected the WABA id, got (missing)" }]);
    expect(parseWebhook({ object: "whatsapp_business_account", entry: {} }).skipped).toEqual([{ path: "entry", reason: "expected an array, got (object)" }]);
  });

  it("skips a change without metadata.phone_number_id while the next change still parses", () => {
    const { events, skipped } = parseWebhook(
      envelope({
        id: "w",
        changes: [
          messagesChange({ metadata: { display_phone_number: "1" }, messages: [text("1", "wamid.lost")] }),
          messagesChange({ metadata: metadata("p"), messages: [text("1", "wamid.kept")] }),
        ],
      }),
    );
    expect(messagesOf(events).map((m) => m.id)).toEqual(["wamid.kept"]);
    expect(skipped).toEqual([{ path: "entry[0].changes[0]", reason: "value.metadata.phone_number_id missing" }]);
  });

  it("keeps messages when only the display number is missing, with an empty display number", () => {
    const { events } = parseWebhook(envelope({ id: "w", changes: [messagesChange({ metadata: { phone_number_id: "p" }, messages: [text("1", "wamid.a")] })] }));
    expect(events[0]?.to).toEqual({ wabaId: "w", phoneNumberId: "p", displayPhoneNumber: "" });
  });

  it("skips value.messages that is not an array, and value.errors with no usable item", () => {
    const { events, skipped } = parseWebhook(
      envelope({ id: "w", changes: [messagesChange({ metadata: metadata("p"), messages: { 0: text("1", "wamid.a") }, errors: [{ code: "130429" }] })] }),
    );
    expect(events).toEqual([]);
    expect(skipped).toEqual([
      { path: "entry[0].changes[0].value.messages", reason: "expected an array, got (object)" },
      { path: "entry[0].changes[0].value.errors", reason: "no item has a numeric code" },
    ]);
  });

  it("describes a non-string field without interpolating it", () => {
    const { skipped } = parseWebhook(envelope({ id: "w", changes: [{ field: Object.create(null) as object, value: {} }, { value: {} }] }));
    expect(skipped.map((s) => s.reason)).toEqual(["field (object) not handled", "field (missing) not handled"]);
  });
});
