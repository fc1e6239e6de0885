import { createHash, timingSafeEqual } from "node:crypto";

export type SubscriptionCheck =
  | { ok: true; challenge: string }
  | { ok: false; status: 400 | 403; reason: string };

export type SubscriptionQuery = URLSearchParams | Readonly<Record<string, string | undefined>>;

// The challenge is echoed verbatim as the response body, so it is an injection point. Meta
// documents it as an int (Graph "Getting started") or a random string (WhatsApp "Create a webhook
// endpoint"); this allow-list covers both without letting markup or whitespace through.
const CHALLENGE_PATTERN = /^[A-Za-z0-9._-]{1,256}$/;

const missing = (name: string): SubscriptionCheck => ({
  ok: false,
  status: 400,
  reason: `The ${name} query parameter is missing or empty.`,
});

const readParam = (query: SubscriptionQuery, name: string): string | undefined => {
  // Meta sends each parameter once; a repeated key (an array in Express, several values in
  // URLSearchParams) is ambiguous, so it counts as missing in both shapes.
  if (query instanceof URLSearchParams) {
    const values = query.getAll(name);
    return values.length === 1 ? values[0] : undefined;
  }
  const value: unknown = query[name];
  return typeof value === "string" ? value : undefined;
};

// Hashing first gives equal-length inputs, so the comparison time does not reveal the token length.
const sameToken = (given: string, configured: string): boolean =>
  timingSafeEqual(createHash("sha256").update(given).digest(), createHash("sha256").update(configured).digest());

/**
 * Meta's verification GET: `hub.mode=subscribe&hub.verify_token=<token>&hub.challenge=<value>`.
 * On success the caller answers 200 with the challenge as the raw text body (Meta docs: WhatsApp
 * webhooks / create-webhook-endpoint); any other status leaves the callback URL unverified.
 */
export const verifySubscription = (query: SubscriptionQuery, verifyToken: string): SubscriptionCheck => {
  const mode = readParam(query, "hub.mode");
  const token = readParam(query, "hub.verify_token");
  const challenge = readParam(query, "hub.challenge");
  if (!mode) return missing("hub.mode");
  if (!token) return missing("hub.verify_token");
  if (!challenge) return missing("hub.challenge");
  if (!CHALLENGE_PATTERN.test(challenge)) {
    return {
      ok: false,
      status: 400,
      reason: "The hub.challenge must be 1 to 256 characters from A-Z, a-z, 0-9, '.', '_' and '-'.",
    };
  }
  if (mode !== "subscribe") return { ok: false, status: 403, reason: 'The hub.mode is not "subscribe".' };
  if (!sameToken(token, verifyToken)) {
    return { ok: false, status: 403, reason: "The hub.verify_token does not match the configured verify token." };
  }
  return { ok: true, challenge: challenge };
};
