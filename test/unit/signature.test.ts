import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { escapeNonAscii, sign, verifySignature } from "../../src/webhook/signature.js";
import { FIXTURE_SECRET, fixtureBody, signedFixtureNames } from "../helpers/signed-request.js";

type Vector = {
  name: string;
  secret: string;
  body: string;
  signed_over?: string;
  header: string;
  verify_secrets?: string[];
  expect: { ok: true; escaped: boolean } | { ok: false; reason: string };
};

const vectors = (
  JSON.parse(readFileSync(new URL("../vectors/signatures.json", import.meta.url), "utf8")) as { vectors: Vector[] }
).vectors;

const body = Buffer.from('{"object":"whatsapp_business_account","entry":[]}');
const secret = "app-secret";
const hex = sign(body, secret).slice("sha256=".length);

describe("known-answer vectors made with openssl", () => {
  it.each(vectors.map((vector) => [vector.name, vector] as const))("%s", (_name, vector) => {
    const check = verifySignature(Buffer.from(vector.body, "utf8"), vector.header, vector.verify_secrets ?? [vector.secret]);
    if (vector.expect.ok) {
      expect(check).toEqual({ ok: true, secretIndex: 0, escaped: vector.expect.escaped });
    } else {
      expect(check).toEqual(vector.expect);
    }
  });

  it.each(vectors.map((vector) => [vector.name, vector] as const))("sign() reproduces %s", (_name, vector) => {
    expect(sign(vector.signed_over ?? vector.body, vector.secret)).toBe(vector.header);
  });
});

describe("Meta fixtures", () => {
  it.each(signedFixtureNames())("%s verifies from its exact file bytes", (name) => {
    const fixture = fixtureBody(name);
    expect(verifySignature(fixture.body, fixture.signature, [FIXTURE_SECRET])).toEqual({
      ok: true,
      secretIndex: 0,
      escaped: false,
    });
  });

  it("has a signature for every webhook body in test/fixtures (graph-* files are API responses)", () => {
    const webhookBodies = readdirSync(new URL("../fixtures/", import.meta.url)).filter(
      (name) => name.endsWith(".json") && !name.startsWith("graph-") && name !== "signatures.json",
    );
    expect(webhookBodies.length).toBeGreaterThan(0);
    expect([...signedFixtureNames()].sort()).toEqual(webhookBodies.sort());
  });
});

describe("X-Hub-Signature-256 header format", () => {
  it("accepts the lowercase header Meta sends", () => {
    expect(verifySignature(body, `sha256=${hex}`, [secret])).toMatchObject({ ok: true });
  });

  it("accepts uppercase hex digits", () => {
    expect(verifySignature(body, `sha256=${hex.toUpperCase()}`, [secret])).toMatchObject({ ok: true });
  });

  it.each([
    ["absent (undefined)", undefined],
    ["absent (null)", null],
    ["empty", ""],
  ])("reports a missing header when it is %s", (_label, header) => {
    expect(verifySignature(body, header, [secret])).toEqual({ ok: false, reason: "missing" });
  });

  it.each([
    ["a legacy sha1= header", `sha1=${hex.slice(0, 40)}`],
    ["an uppercase SHA256= prefix", `SHA256=${hex}`],
    ["no prefix", hex],
    ["63 hex digits", `sha256=${hex.slice(0, 63)}`],
    ["65 hex digits", `sha256=${hex}0`],
    ["a non-hex digit", `sha256=${hex.slice(0, 63)}g`],
    ["a leading space", ` sha256=${hex}`],
    ["a trailing space", `sha256=${hex} `],
    ["a trailing newline", `sha256=${hex}\n`],
    ["two headers joined with a comma", `sha256=${hex}, sha256=${hex}`],
    ["the digest in base64", `sha256=${Buffer.from(hex, "hex").toString("base64")}`],
  ])("rejects %s as malformed, even when the digest inside is right", (_label, header) => {
    expect(verifySignature(body, header, [secret])).toEqual({ ok: false, reason: "malformed" });
  });

  it("reports a well-formed but wrong digest as a mismatch", () => {
    const wrong = `sha256=${hex.slice(0, 63)}${hex.endsWith("0") ? "1" : "0"}`;
    expect(verifySignature(body, wrong, [secret])).toEqual({ ok: false, reason: "mismatch" });
  });
});

describe("secrets", () => {
  it("verifies with the second secret during a rotation and says which one matched", () => {
    expect(verifySignature(body, sign(body, "new-secret"), ["old-secret", "new-secret"])).toEqual({
      ok: true,
      secretIndex: 1,
      escaped: false,
    });
  });

  it("fails when no configured secret matches", () => {
    expect(verifySignature(body, sign(body, "other"), ["old-secret", "new-secret"])).toEqual({
      ok: false,
      reason: "mismatch",
    });
  });

  it("fails closed with no secret configured, whatever the header", () => {
    expect(verifySignature(body, sign(body, ""), [])).toEqual({ ok: false, reason: "no-secret" });
    expect(verifySignature(body, undefined, [])).toEqual({ ok: false, reason: "no-secret" });
  });

  it("never puts the expected digest in its result", () => {
    const check = verifySignature(body, `sha256=${"0".repeat(64)}`, [secret]);
    expect(JSON.stringify(check)).not.toContain(hex);
  });
});

describe("escaped-unicode fallback", () => {
  const raw = Buffer.from('{"text":"café 👋"}', "utf8");
  const escaped = '{"text":"caf\\u00e9 \\ud83d\\udc4b"}';

  it("writes non-ASCII characters as lowercase \\uXXXX UTF-16 units and keeps ASCII bytes", () => {
    expect(escapeNonAscii(raw)?.toString("latin1")).toBe(escaped);
    expect(escapeNonAscii(Buffer.from("a/b\\c\u00ff\ufeff"))?.toString("latin1")).toBe("a/b\\c\\u00ff\\ufeff");
  });

  it("escapes a leading byte order mark like any other character instead of dropping it", () => {
    expect(escapeNonAscii(Buffer.from("\ufeff{}"))?.toString("latin1")).toBe("\\ufeff{}");
  });

  it("verifies a raw UTF-8 body whose signature covers the escaped form, with the second secret", () => {
    expect(verifySignature(raw, sign(escaped, "b"), ["a", "b"])).toEqual({ ok: true, secretIndex: 1, escaped: true });
  });

  it("prefers the raw bytes when they match", () => {
    expect(verifySignature(raw, sign(raw, secret), [secret])).toEqual({ ok: true, secretIndex: 0, escaped: false });
  });

  it("has no fallback for invalid UTF-8", () => {
    const invalid = Buffer.from([0x7b, 0xc3, 0x28, 0x7d]);
    expect(escapeNonAscii(invalid)).toBeUndefined();
    const overlong = Buffer.from([0xc0, 0xaf]);
    expect(escapeNonAscii(overlong)).toBeUndefined();
    // What a lenient decoder would produce (U+FFFD for the broken sequence), escaped.
    const replacementEscaped = sign("{\\ufffd(}", secret);
    expect(verifySignature(invalid, replacementEscaped, [secret])).toEqual({ ok: false, reason: "mismatch" });
  });

  it("does not escape ASCII, so a body with raw '/' never matches a signature over '\\/'", () => {
    const slashBody = Buffer.from('{"url":"https://x/é"}');
    const signedOver = '{"url":"https:\\/\\/x\\/\\u00e9"}';
    expect(verifySignature(slashBody, sign(signedOver, secret), [secret])).toEqual({ ok: false, reason: "mismatch" });
  });
});
