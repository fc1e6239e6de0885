import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { splitMessage, toWhatsAppText } from "../../src/bot/whatsapp-format.js";

describe("toWhatsAppText", () => {
  it.each([
    ["**bold** and __bold__", "*bold* and *bold*"],
    ["*italic* and _italic_", "_italic_ and _italic_"],
    ["***both***", "*_both_*"],
    ["~~gone~~", "~gone~"],
    ["# Title\n## **Sub** title ##", "*Title*\n*Sub title*"],
    ["see [the docs](https://example.com/a_b) now", "see the docs (https://example.com/a_b) now"],
    ["[https://example.com](https://example.com)", "https://example.com"],
    ["Opening hours are 9-17 【4:0†source】.", "Opening hours are 9-17."],
    ["*italic with **bold** inside*", "_italic with *bold* inside_"],
    ["* first\n* second", "- first\n- second"],
  ])("turns %j into %j", (markdown, whatsapp) => {
    expect(toWhatsAppText(markdown)).toBe(whatsapp);
  });

  it("keeps code fences, drops their language tag, and leaves code inside untouched", () => {
    const markdown = "Run this:\n```ts\nconst a = b ** 2; // *not italic*\n```\nthen `x_y_z` **done**";
    expect(toWhatsAppText(markdown)).toBe("Run this:\n```\nconst a = b ** 2; // *not italic*\n```\nthen `x_y_z` *done*");
  });

  it("leaves underscores and stars inside bare URLs and snake_case words alone", () => {
    expect(toWhatsAppText("go to https://x.com/_a_/b*c*d and set max_body_bytes")).toBe("go to https://x.com/_a_/b*c*d and set max_body_bytes");
  });

  it("does not read a lone multiplication star or a spaced underscore as emphasis", () => {
    expect(toWhatsAppText("2 * 3 = 6 and a _ b")).toBe("2 * 3 = 6 and a _ b");
  });
});

describe("splitMessage", () => {
  it("returns short text as one part and whitespace-only text as none", () => {
    expect(splitMessage("hello")).toEqual(["hello"]);
    expect(splitMessage(" \n ")).toEqual([]);
  });

  it("prefers a paragraph break, then a line break, then a sentence end, then a space", () => {
    expect(splitMessage("aaaa bbbb.\n\ncccc dddd", 15)).toEqual(["aaaa bbbb.", "cccc dddd"]);
    expect(splitMessage("aaaa bbbb.\ncccc dddd", 15)).toEqual(["aaaa bbbb.", "cccc dddd"]);
    expect(splitMessage("Aaaa bbb. Cccc dddd", 15)).toEqual(["Aaaa bbb.", "Cccc dddd"]);
    expect(splitMessage("aaaa bbbb cccc dddd", 15)).toEqual(["aaaa bbbb cccc", "dddd"]);
  });

  it("cuts a word with no boundary hard, but never between the halves of an emoji", () => {
    expect(splitMessage("abcdefgh", 3)).toEqual(["abc", "def", "gh"]);
    expect(splitMessage("ab😀cd", 3)).toEqual(["ab", "😀c", "d"]);
  });

  it("splits 4096 by default", () => {
    const parts = splitMessage("word ".repeat(2000));
    expect(parts.length).toBe(3);
    expect(parts.every((part) => part.length <= 4096)).toBe(true);
  });

  const pieces = ["a", "bc", "Ünï", "😀", "👨‍👩‍👧", " ", "  ", "\n", "\n\n", ". ", "! ", "。", "\t", "x".repeat(30)];
  const texts = fc.array(fc.constantFrom(...pieces), { maxLength: 120 }).map((chosen) => chosen.join(""));

  it("keeps every part within maxChars and loses nothing but whitespace at the cuts (property)", () => {
    fc.assert(
      fc.property(texts, fc.integer({ min: 2, max: 60 }), (text, maxChars) => {
        const parts = splitMessage(text, maxChars);
        let at = 0;
        for (const part of parts) {
          expect(part.length).toBeLessThanOrEqual(maxChars);
          expect(part.trim()).not.toBe("");
          const found = text.indexOf(part, at);
          // Each part is the next piece of the text, with only whitespace skipped before it.
          expect(found).toBeGreaterThanOrEqual(at);
          expect(text.slice(at, found).trim()).toBe("");
          at = found + part.length;
        }
        expect(text.slice(at).trim()).toBe("");
      }),
      { numRuns: 500 },
    );
  });

  it("never separates the two halves of a surrogate pair (property)", () => {
    fc.assert(
      fc.property(texts, fc.integer({ min: 2, max: 60 }), (text, maxChars) => {
        for (const part of splitMessage(text, maxChars)) {
          expect(/[\ud800-\udbff]$/.test(part)).toBe(false);
          expect(/^[\udc00-\udfff]/.test(part)).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });
});
