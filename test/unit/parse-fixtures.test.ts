import { describe, expect, it } from "vitest";
import { home, onlyMessage } from "../helpers/parsed-fixture.js";

describe("parseWebhook on Meta's inbound message fixtures", () => {
  it("inbound-text: a text with its wamid, numeric timestamp, recipient number and named sender", () => {
    const m = onlyMessage("inbound-text.json");
    expect(m).toMatchObject({ type: "text", text: { body: "Hi! Is the oak side table (model ST-40) back in stock?" } });
    expect(m.id).toBe("wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFDQ3MkVGQjUxRUU0NDlFOTkzODZGAA==");
    expect(m.timestampSec).toBe(1781702400);
    expect(m.to).toEqual(home);
    expect(m.from).toEqual({ key: "4915112345678", waId: "4915112345678", userId: undefined, name: "Lena Vogt" });
    expect(m.context).toBeUndefined();
    expect(m.referral).toBeUndefined();
    expect(m.errors).toEqual([]);
  });

  it("inbound-image: the media id, mime type, base64 sha256, caption and the newer url", () => {
    expect(onlyMessage("inbound-image.json")).toMatchObject({
      type: "image",
      image: {
        id: "7146846303177754",
        mimeType: "image/jpeg",
        sha256: "JWo4r31/yFN6XzwdgZvN0ayC/fMBypf8q+fbSgynpVk=",
        caption: "Is this the right replacement filter?",
        url: expect.stringMatching(/^https:\/\/lookaside\.fbsbx\.com\/.*mid=7146846303177754/),
      },
    });
  });

  it("inbound-audio: a voice note keeps voice: true and the opus mime type", () => {
    expect(onlyMessage("inbound-audio.json")).toMatchObject({
      type: "audio",
      audio: { id: "6200175561865236", mimeType: "audio/ogg; codecs=opus", voice: true, caption: undefined },
    });
  });

  it("inbound-video: the caption and mp4 mime type", () => {
    expect(onlyMessage("inbound-video.json")).toMatchObject({
      type: "video",
      video: { id: "2394282906276725", mimeType: "video/mp4", caption: "Unboxing: the lid arrived cracked" },
    });
  });

  it("inbound-document: the filename next to the caption", () => {
    expect(onlyMessage("inbound-document.json")).toMatchObject({
      type: "document",
      document: { id: "2973228178672737", filename: "invoice-INV-20417.pdf", caption: "Invoice for order 20417", mimeType: "application/pdf" },
    });
  });

  it("inbound-sticker: a static webp sticker is animated: false", () => {
    expect(onlyMessage("inbound-sticker.json")).toMatchObject({
      type: "sticker",
      sticker: { id: "1698369482336818", mimeType: "image/webp", animated: false },
    });
  });

  it("inbound-location: latitude and longitude as numbers, with name and address", () => {
    expect(onlyMessage("inbound-location.json")).toMatchObject({
      type: "location",
      location: { latitude: 6.4474, longitude: 3.4722, name: "Lekki Phase 1 Gate", address: "Admiralty Way, Lekki Phase 1, Lagos", url: undefined },
    });
  });

  it("inbound-contacts: a shared card with both phones (only one on WhatsApp), email and company", () => {
    const m = onlyMessage("inbound-contacts.json");
    if (m.type !== "contacts") throw new Error("expected contacts");
    expect(m.contacts).toEqual([
      {
        formattedName: "Sam Keller",
        phones: [
          { phone: "+61 7 3555 0142", waId: undefined, type: "WORK" },
          { phone: "+61 412 555 019", waId: "61412555019", type: "MOBILE" },
        ],
        emails: [{ email: "sam.keller@example.com", type: "WORK" }],
        organization: "Keller Plumbing",
      },
    ]);
  });

  it("inbound-interactive-button-reply: the button id and title, and the context pointing at our message", () => {
    const m = onlyMessage("inbound-interactive-button-reply.json");
    expect(m).toMatchObject({ type: "interactive", interactive: { kind: "button_reply", id: "order-20417-confirm", title: "Confirm order" } });
    expect(m.context).toEqual({
      messageId: "wamid.HBgNNDkxNTExMjM0NTY3OBUCABEYEjI2MDVFNjI0QTRBMTg3Mzk5MgA=",
      from: "15557340211",
      forwarded: false,
      frequentlyForwarded: false,
      referredProduct: undefined,
    });
  });

  it("inbound-interactive-list-reply: the row id, title and description", () => {
    expect(onlyMessage("inbound-interactive-list-reply.json")).toMatchObject({
      type: "interactive",
      interactive: { kind: "list_reply", id: "slot-2026-06-18-0930", title: "Thu 09:30", description: "Downtown branch, 2 seats left" },
    });
  });

  it("inbound-interactive-nfm-reply: a Flow completion keeps response_json as text and parsed, flow_token included", () => {
    const m = onlyMessage("inbound-interactive-nfm-reply.json");
    if (m.type !== "interactive" || m.interactive.kind !== "nfm_reply") throw new Error("expected an nfm_reply");
    expect(m.interactive.name).toBe("flow");
    expect(m.interactive.body).toBe("Sent");
    expect(JSON.parse(m.interactive.responseJsonText)).toEqual(m.interactive.responseJson);
    expect(m.interactive.responseJson).toMatchObject({ flow_token: "ft_7c1e9a2b44d0", delivery_date: "2026-06-20" });
  });

  it("inbound-button: a template quick-reply tap keeps the developer payload apart from the label", () => {
    expect(onlyMessage("inbound-button.json")).toMatchObject({
      type: "button",
      button: { payload: "PROMO_OPT_OUT", text: "Stop promotions" },
      context: { messageId: "wamid.HBgLMTQxNTU1NTAxODgVAgARGBJCNzkzQTY5NzM3RjkzNTY0RUYA" },
    });
  });

  it("inbound-reaction: the ❤️ emoji and the wamid it reacts to", () => {
    expect(onlyMessage("inbound-reaction.json")).toMatchObject({
      type: "reaction",
      reaction: { messageId: "wamid.HBgMODE5MDEyMzQ1Njc4FQIAERgSQTcxQ0ExMUYzREJCMEJGRjREAA==", emoji: "\u2764\ufe0f" },
    });
  });

  it("inbound-order: the catalog, the note and both items, one with a fractional item_price", () => {
    const m = onlyMessage("inbound-order.json");
    expect(m).toMatchObject({ type: "order", order: { catalogId: "902184736650214", text: "Please deliver before Friday" } });
    if (m.type !== "order") throw new Error("expected an order");
    expect(m.order.items).toEqual([
      { productRetailerId: "sku-bl-2201", quantity: 2, itemPrice: 12500, currency: "NGN" },
      { productRetailerId: "sku-pl-0840", quantity: 1, itemPrice: 4999.5, currency: "NGN" },
    ]);
  });

  it("inbound-system: a number change without contacts[] gives the new wa_id and a sender keyed on the old number", () => {
    const m = onlyMessage("inbound-system.json");
    expect(m).toMatchObject({
      type: "system",
      system: { systemType: "user_changed_number", newWaId: "61498765432", body: "User Mia Thompson changed from 61412345678 to 61498765432" },
    });
    expect(m.from).toEqual({ key: "61412345678", waId: "61412345678", userId: undefined, name: undefined });
  });

  it("inbound-unsupported: kept as unsupported with the original type and its 131051 error", () => {
    const m = onlyMessage("inbound-unsupported.json");
    expect(m).toMatchObject({ type: "unsupported", unsupported: { originalType: "poll_creation" } });
    expect(m.errors).toEqual([
      { code: 131051, title: "Message type unknown", message: "Message type unknown", details: "Message type is currently not supported." },
    ]);
  });

  it("inbound-reply-context: a quoted reply names the quoted wamid and our display number", () => {
    expect(onlyMessage("inbound-reply-context.json").context).toEqual({
      messageId: "wamid.HBgLMTQxNTU1NTAxODgVAgARGBIyRjg1MzA2RjU4OTYzQTBCOUEA",
      from: "15557340211",
      forwarded: false,
      frequentlyForwarded: false,
      referredProduct: undefined,
    });
  });

  it("inbound-forwarded: the forwarded flag, with no quoted message", () => {
    expect(onlyMessage("inbound-forwarded.json").context).toEqual({
      messageId: undefined,
      from: undefined,
      forwarded: true,
      frequentlyForwarded: false,
      referredProduct: undefined,
    });
  });

  it("inbound-product-inquiry: the referred product's catalog and retailer id", () => {
    const m = onlyMessage("inbound-product-inquiry.json");
    expect(m).toMatchObject({ type: "text", text: { body: "Does this come in blue?" } });
    expect(m.context?.referredProduct).toEqual({ catalogId: "902184736650214", productRetailerId: "sku-bl-2201" });
  });

  it("inbound-referral: the Click-to-WhatsApp ad with its ctwa_clid and welcome message", () => {
    expect(onlyMessage("inbound-referral.json").referral).toEqual({
      sourceUrl: "https://fb.me/8kQz2Lm1x",
      sourceId: "120231984456702281",
      sourceType: "ad",
      headline: "Chat with our team",
      body: "Winter sale: 30% off all water filters this week only.",
      mediaType: "image",
      ctwaClid: "ARAkLmQ3vYc9pXw2nE7sT0uB5hJq1dG8fK4rZ6yN2mV0cW9xA3eS7iO1uP5lH8gT2bQ6nM4jR0kY9vX3wE1zC5aD7fG",
      welcomeMessageText: "Hi! Which filter model do you have?",
    });
  });

  it("inbound-unicode-emoji: the wire-format escapes decode to the exact text and Arabic profile name", () => {
    const m = onlyMessage("inbound-unicode-emoji.json");
    if (m.type !== "text") throw new Error("expected text");
    expect(m.text.body).toContain("\u{1F468}\u200D\u{1F469}\u200D\u{1F467}");
    expect(m.text.body).toContain("https://shop.example.com/p/42?ref=wa");
    expect(m.text.body).toContain("mo.adel@example.com");
    expect(m.from.name).toBe("\u0645\u062d\u0645\u062f \u0639\u0627\u062f\u0644");
  });
});
