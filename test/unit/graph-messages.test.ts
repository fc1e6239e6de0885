import { describe, expect, it } from "vitest";
import {
  audio,
  buttons,
  document,
  image,
  list,
  reaction,
  readReceipt,
  replyTo,
  sticker,
  template,
  text,
  toGraphBody,
  video,
} from "../../src/graph/messages.js";

const WAMID = "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBDMEU3RjlBNkM0OUM5QkRBAA==";
const rows = (n: number, prefix = "r") => Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, title: `Row ${prefix}${i}` }));

describe("message builders produce Meta's send bodies", () => {
  it("builds a text message without a link preview unless asked", () => {
    expect(text("hi")).toStrictEqual({ type: "text", text: { preview_url: false, body: "hi" } });
    expect(text("see https://example.com", { previewUrl: true })).toStrictEqual({
      type: "text",
      text: { preview_url: true, body: "see https://example.com" },
    });
  });

  it("quotes an earlier message with a context, leaving the content unchanged", () => {
    const content = text("yes");
    expect(replyTo(content, WAMID)).toStrictEqual({ ...content, context: { message_id: WAMID } });
    expect(content).not.toHaveProperty("context");
  });

  it("builds media from an uploaded id or a link, with caption and filename where Meta takes them", () => {
    expect(image({ id: "123" }, { caption: "cat" })).toStrictEqual({ type: "image", image: { id: "123", caption: "cat" } });
    expect(video({ link: "https://example.com/v.mp4" })).toStrictEqual({ type: "video", video: { link: "https://example.com/v.mp4" } });
    expect(document({ link: "https://example.com/a.pdf" }, { caption: "invoice", filename: "a.pdf" })).toStrictEqual({
      type: "document",
      document: { link: "https://example.com/a.pdf", caption: "invoice", filename: "a.pdf" },
    });
    expect(audio({ id: "9" })).toStrictEqual({ type: "audio", audio: { id: "9" } });
    expect(sticker({ id: "7" })).toStrictEqual({ type: "sticker", sticker: { id: "7" } });
  });

  it("builds a template with its language and components", () => {
    expect(template("hello_world", "en_US")).toStrictEqual({ type: "template", template: { name: "hello_world", language: { code: "en_US" } } });
    const components = [{ type: "body", parameters: [{ type: "text", text: "Ada" }] }];
    expect(template("order_update", "de", components)).toStrictEqual({
      type: "template",
      template: { name: "order_update", language: { code: "de" }, components },
    });
  });

  it("builds reply buttons with an optional text header and footer", () => {
    expect(buttons("Pick one", [{ id: "y", title: "Yes" }, { id: "n", title: "No" }], { header: "Question", footer: "wahook" })).toStrictEqual({
      type: "interactive",
      interactive: {
        type: "button",
        header: { type: "text", text: "Question" },
        body: { text: "Pick one" },
        footer: { text: "wahook" },
        action: { buttons: [{ type: "reply", reply: { id: "y", title: "Yes" } }, { type: "reply", reply: { id: "n", title: "No" } }] },
      },
    });
  });

  it("builds a list with sections, rows and descriptions", () => {
    const sections = [
      { title: "Pizza", rows: [{ id: "p1", title: "Margherita", description: "tomato, mozzarella" }] },
      { title: "Drinks", rows: [{ id: "d1", title: "Water" }] },
    ];
    expect(list("Menu", "Choose", sections)).toStrictEqual({
      type: "interactive",
      interactive: { type: "list", body: { text: "Menu" }, action: { button: "Choose", sections } },
    });
  });

  it("builds a reaction, and an empty emoji that removes it", () => {
    expect(reaction(WAMID, "\u2764\ufe0f")).toStrictEqual({ type: "reaction", reaction: { message_id: WAMID, emoji: "\u2764\ufe0f" } });
    expect(reaction(WAMID, "")).toStrictEqual({ type: "reaction", reaction: { message_id: WAMID, emoji: "" } });
    // a ZWJ family is one emoji although it is several code points
    expect(() => reaction(WAMID, "\u{1F468}\u200D\u{1F469}\u200D\u{1F467}")).not.toThrow();
  });

  it("wraps content in the envelope POST /messages expects", () => {
    expect(toGraphBody("+4915112345678", text("hi"))).toStrictEqual({
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: "+4915112345678",
      type: "text",
      text: { preview_url: false, body: "hi" },
    });
  });

  it("builds a read receipt, with the typing indicator only when asked", () => {
    expect(readReceipt(WAMID)).toStrictEqual({ messaging_product: "whatsapp", status: "read", message_id: WAMID });
    expect(readReceipt(WAMID, { typing: true })).toStrictEqual({
      messaging_product: "whatsapp",
      status: "read",
      message_id: WAMID,
      typing_indicator: { type: "text" },
    });
  });
});

describe("message builders reject what Meta would refuse, naming the limit", () => {
  it.each([
    ["an empty text", () => text(""), /text body must be a non-empty string/],
    ["a text over 4096 characters", () => text("a".repeat(4097)), /text body is 4097 characters; Meta allows at most 4096/],
    ["a caption over 1024 characters", () => image({ id: "1" }, { caption: "c".repeat(1025) }), /image caption is 1025 characters; Meta allows at most 1024/],
    ["media with both id and link", () => image({ id: "1", link: "https://x" } as never), /exactly one of \{ id \} or \{ link \}/],
    ["media with neither id nor link", () => document({} as never), /exactly one of/],
    ["a link that is not http(s)", () => image({ link: "file:///etc/passwd" }), /image link must be an http\(s\) URL/],
    ["no buttons", () => buttons("b", []), /buttons: got 0; Meta allows 1 to 3/],
    ["four buttons", () => buttons("b", rows(4)), /buttons: got 4; Meta allows 1 to 3/],
    ["a button title over 20 characters", () => buttons("b", [{ id: "a", title: "x".repeat(21) }]), /button 1 title is 21 characters; Meta allows at most 20/],
    ["two buttons with one title", () => buttons("b", [{ id: "a", title: "Same" }, { id: "b", title: "Same" }]), /button titles must be unique/],
    ["a buttons body over 1024 characters", () => buttons("b".repeat(1025), rows(1)), /buttons body is 1025 characters; Meta allows at most 1024/],
    ["a footer over 60 characters", () => buttons("b", rows(1), { footer: "f".repeat(61) }), /button footer is 61 characters; Meta allows at most 60/],
    ["11 list rows in total", () => list("b", "go", [{ title: "A", rows: rows(6, "a") }, { title: "B", rows: rows(5, "b") }]), /list rows in total: got 11; Meta allows 1 to 10/],
    ["11 list sections", () => list("b", "go", rows(11).map((r) => ({ title: r.id, rows: [r] }))), /list sections: got 11; Meta allows 1 to 10/],
    ["a list button label over 20 characters", () => list("b", "x".repeat(21), [{ rows: rows(1) }]), /list button label is 21 characters; Meta allows at most 20/],
    ["a row title over 24 characters", () => list("b", "go", [{ rows: [{ id: "a", title: "t".repeat(25) }] }]), /list section 1 row 1 title is 25 characters; Meta allows at most 24/],
    ["a row description over 72 characters", () => list("b", "go", [{ rows: [{ id: "a", title: "t", description: "d".repeat(73) }] }]), /row 1 description is 73 characters; Meta allows at most 72/],
    ["duplicate row ids across sections", () => list("b", "go", [{ title: "A", rows: rows(1) }, { title: "B", rows: rows(1) }]), /list row ids must be unique/],
    ["an untitled section among several", () => list("b", "go", [{ rows: rows(1, "a") }, { title: "B", rows: rows(1, "b") }]), /list section 1 title must be a non-empty string/],
    ["a reaction that is a reply", () => replyTo(reaction(WAMID, "\u{1F44D}"), WAMID), /a reaction cannot be a reply/],
    ["a reaction of two emoji", () => reaction(WAMID, "\u{1F44D}\u{1F44D}"), /single emoji/],
    ["an empty recipient", () => toGraphBody("", text("hi")), /recipient \(to\) must be a non-empty string/],
    ["content that sets the envelope", () => toGraphBody("1", { type: "text", to: "2" }), /content must not set "to"/],
    ["a read receipt without a message id", () => readReceipt(""), /readReceipt messageId must be a non-empty string/],
  ])("throws a TypeError for %s", (_name, build, message) => {
    expect(build).toThrow(TypeError);
    expect(build).toThrow(message);
  });

  it("counts characters, not UTF-16 units, so 20 emoji fit a button title", () => {
    const title = "\u{1F600}".repeat(20);
    expect(() => buttons("b", [{ id: "a", title }])).not.toThrow();
    expect(() => buttons("b", [{ id: "a", title: `${title}x` }])).toThrow(/21 characters/);
  });

  it("accepts exactly the limits", () => {
    expect(() => text("a".repeat(4096))).not.toThrow();
    expect(() => buttons("b", rows(3))).not.toThrow();
    expect(() => list("b", "go", [{ title: "A", rows: rows(5, "a") }, { title: "B", rows: rows(5, "b") }])).not.toThrow();
  });
});
