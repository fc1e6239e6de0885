import { isAscii, isUtf8 } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";

export type SignatureCheck =
  | { ok: true; secretIndex: number; escaped: boolean }
  | { ok: false; reason: "missing" | "malformed" | "mismatch" | "no-secret" };

const PREFIX = "sha256=";
// Meta sends lowercase hex; accepting either case costs nothing once we compare decoded bytes.
const HEADER_PATTERN = /^sha256=[0-9a-fA-F]{64}$/;
const HEX_DIGITS = "0123456789abcdef";
const BACKSLASH = 0x5c;
const LETTER_U = 0x75;

/**
 * The X-Hub-Signature-256 value Meta would send for `body`: HMAC-SHA256 keyed with the App
 * Secret over the exact body bytes (Meta docs: webhooks / create-webhook-endpoint).
 * Public so users can build signed requests in their own tests; strings are hashed as UTF-8.
 */
export const sign = (body: Uint8Array | string, secret: string): string =>
  PREFIX + createHmac("sha256", secret).update(body).digest("hex");

const digestOf = (body: Uint8Array, secret: string): Buffer =>
  createHmac("sha256", secret).update(body).digest();

const matchingSecret = (body: Uint8Array, expected: Buffer, secrets: readonly string[]): number => {
  for (let index = 0; index < secrets.length; index += 1) {
    const actual = digestOf(body, secrets[index] as string);
    // Both are 32 bytes (the header pattern fixes 64 hex digits); the check keeps timingSafeEqual from throwing.
    if (actual.length === expected.length && timingSafeEqual(actual, expected)) return index;
  }
  return -1;
};

/**
 * Checks X-Hub-Signature-256 against the raw body under each configured App Secret (several
 * during a rotation; any match is enough). Pass the bytes exactly as received: a body that was
 * parsed and re-serialized (JSON.stringify(JSON.parse(body))) loses Meta's `\/` and `\uXXXX`
 * escapes and will not verify.
 */
export const verifySignature = (
  rawBody: Uint8Array,
  header: string | null | undefined,
  secrets: readonly string[],
): SignatureCheck => {
  // Fail closed: with no secret configured, nothing can be authenticated.
  if (secrets.length === 0) return { ok: false, reason: "no-secret" };
  if (header === null || header === undefined || header === "") return { ok: false, reason: "missing" };
  if (!HEADER_PATTERN.test(header)) return { ok: false, reason: "malformed" };
  const expected = Buffer.from(header.slice(PREFIX.length), "hex");

  const rawIndex = matchingSecret(rawBody, expected, secrets);
  if (rawIndex >= 0) return { ok: true, secretIndex: rawIndex, escaped: false };

  // Older Graph "Getting started" revisions: the signature covers "an escaped unicode version of
  // the payload, with lowercase hex digits". Meta's wire body is normally already escaped, so
  // this slow path only runs for a non-ASCII body that failed as received.
  if (isAscii(rawBody)) return { ok: false, reason: "mismatch" };
  const escapedBody = escapeNonAscii(rawBody);
  if (escapedBody === undefined) return { ok: false, reason: "mismatch" };
  const escapedIndex = matchingSecret(escapedBody, expected, secrets);
  if (escapedIndex >= 0) return { ok: true, secretIndex: escapedIndex, escaped: true };
  return { ok: false, reason: "mismatch" };
};

/**
 * The same bytes with every non-ASCII character written as `\u` + 4 lowercase hex digits per
 * UTF-16 code unit (so astral characters become surrogate pairs, as Meta sends emoji), and every
 * ASCII byte kept as is. Works on bytes, never on parsed JSON, so nothing else is re-serialized.
 * Returns a view of the input (no copy) when it is pure ASCII, and undefined when it is not valid
 * UTF-8, because then there is no character sequence Meta could have escaped.
 */
export const escapeNonAscii = (bytes: Uint8Array): Buffer | undefined => {
  if (isAscii(bytes)) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!isUtf8(bytes)) return undefined;
  // ignoreBOM keeps a leading U+FEFF as a character to escape instead of silently dropping it.
  const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);

  let outputBytes = 0;
  for (let i = 0; i < text.length; i += 1) outputBytes += text.charCodeAt(i) < 0x80 ? 1 : 6;

  const output = Buffer.allocUnsafe(outputBytes);
  let at = 0;
  for (let i = 0; i < text.length; i += 1) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) {
      output[at++] = unit;
      continue;
    }
    output[at++] = BACKSLASH;
    output[at++] = LETTER_U;
    output[at++] = HEX_DIGITS.charCodeAt(unit >>> 12);
    output[at++] = HEX_DIGITS.charCodeAt((unit >>> 8) & 0xf);
    output[at++] = HEX_DIGITS.charCodeAt((unit >>> 4) & 0xf);
    output[at++] = HEX_DIGITS.charCodeAt(unit & 0xf);
  }
  return output;
};
