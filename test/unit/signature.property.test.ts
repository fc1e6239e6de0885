import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { escapeNonAscii, sign, verifySignature } from "../../src/webhook/signature.js";

const secretArb = fc.string({ unit: "binary", minLength: 1, maxLength: 40 });
const bodyArb = fc.uint8Array({ maxLength: 2048 });
const HEX = "0123456789abcdef";

/** Meta's wire form (captured payloads): compact, non-ASCII as lowercase \uXXXX, '/' as '\/'. */
const metaWire = (value: unknown, indent?: number): string =>
  JSON.stringify(value, null, indent)
    .replace(/[\u0080-\uffff]/g, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, "0")}`)
    .replaceAll("/", "\\/");

const nonAsciiTextArb = fc
  .tuple(fc.string(), fc.constantFrom("ä", "é", "👋", "中", "Привет", "\u200d"), fc.string({ unit: "binary" }))
  .map((parts) => parts.join(""));
const slashTextArb = fc.tuple(fc.string(), fc.string()).map(([before, after]) => `${before}/${after}`);
const payloadArb = fc
  .tuple(fc.dictionary(fc.string(), fc.jsonValue({ stringUnit: "binary", maxDepth: 3 })), nonAsciiTextArb, slashTextArb)
  .map(([extra, text, link]) => ({ ...extra, text: { body: text }, link }));

describe("verifySignature properties", () => {
  it("verifies any body signed with any configured secret, wherever it sits in the list", () => {
    fc.assert(
      fc.property(bodyArb, secretArb, fc.array(secretArb, { maxLength: 3 }), (body, secret, others) => {
        const check = verifySignature(body, sign(body, secret), [...others, secret]);
        expect(check.ok).toBe(true);
        // Distinct strings can be the same HMAC key (trailing NULs), so check the key, not the index.
        if (check.ok) expect(sign(body, [...others, secret][check.secretIndex] as string)).toBe(sign(body, secret));
      }),
    );
  });

  it("rejects the body once any single byte is changed", () => {
    const caseArb = bodyArb
      .filter((body) => body.length > 0)
      .chain((body) => fc.tuple(fc.constant(body), fc.nat({ max: body.length - 1 }), fc.integer({ min: 1, max: 255 })));
    fc.assert(
      fc.property(caseArb, secretArb, ([body, index, mask], secret) => {
        const header = sign(body, secret);
        const tampered = Uint8Array.from(body);
        tampered[index] = (tampered[index] as number) ^ mask;
        expect(verifySignature(tampered, header, [secret])).toEqual({ ok: false, reason: "mismatch" });
      }),
    );
  });

  it("rejects the signature once any single hex digit is changed to another value", () => {
    fc.assert(
      fc.property(bodyArb, secretArb, fc.nat({ max: 63 }), fc.integer({ min: 1, max: 15 }), (body, secret, at, step) => {
        const header = sign(body, secret);
        const position = "sha256=".length + at;
        const digit = HEX[(HEX.indexOf(header[position] as string) + step) % 16] as string;
        const tampered = header.slice(0, position) + digit + header.slice(position + 1);
        expect(verifySignature(body, tampered, [secret])).toEqual({ ok: false, reason: "mismatch" });
      }),
    );
  });

  it("does not verify a compact re-serialization (JSON.stringify(JSON.parse(wire))) of Meta's wire bytes", () => {
    fc.assert(
      fc.property(payloadArb, secretArb, (payload, secret) => {
        const wire = metaWire(payload);
        const reserialized = Buffer.from(JSON.stringify(JSON.parse(wire)), "utf8");
        expect(verifySignature(reserialized, sign(wire, secret), [secret])).toEqual({ ok: false, reason: "mismatch" });
      }),
    );
  });

  it("does not verify a pretty-printed re-serialization, even with Meta's escapes kept", () => {
    fc.assert(
      fc.property(payloadArb, secretArb, (payload, secret) => {
        const pretty = Buffer.from(metaWire(JSON.parse(metaWire(payload)), 2), "utf8");
        expect(verifySignature(pretty, sign(metaWire(payload), secret), [secret])).toEqual({
          ok: false,
          reason: "mismatch",
        });
      }),
    );
  });
});

describe("escapeNonAscii properties", () => {
  it("produces pure ASCII for any UTF-8 text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        const escaped = escapeNonAscii(Buffer.from(text, "utf8"));
        expect(escaped).toBeDefined();
        expect(escaped?.every((byte) => byte < 0x80)).toBe(true);
      }),
    );
  });

  it("matches Meta's wire escaping of any string, byte for byte", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        const compact = JSON.stringify(text);
        const expected = compact.replace(/[\u0080-\uffff]/g, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, "0")}`);
        expect(escapeNonAscii(Buffer.from(compact, "utf8"))?.toString("latin1")).toBe(expected);
      }),
    );
  });

  it("keeps the meaning of any JSON document", () => {
    fc.assert(
      fc.property(fc.json({ stringUnit: "binary" }), (json) => {
        const escaped = escapeNonAscii(Buffer.from(json, "utf8"));
        expect(JSON.parse(escaped?.toString("latin1") ?? "null")).toEqual(JSON.parse(json));
      }),
    );
  });
});
