import { describe, expect, it } from "vitest";
import { verifySubscription } from "../../src/webhook/handshake.js";

const TOKEN = "my-verify-token";
type Params = Record<string, string | undefined>;

const valid: Params = { "hub.mode": "subscribe", "hub.verify_token": TOKEN, "hub.challenge": "1158201444" };

// Every case runs with both query shapes the adapters hand over.
const shapes = [
  ["URLSearchParams", (params: Params) => new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined) as [string, string][])],
  ["a plain record", (params: Params) => params],
] as const;

describe.each(shapes)("verifySubscription with %s", (_shape, toQuery) => {
  const check = (params: Params, token = TOKEN) => verifySubscription(toQuery(params), token);

  it("returns the challenge verbatim when mode and token are right", () => {
    expect(check(valid)).toEqual({ ok: true, challenge: "1158201444" });
    expect(check({ ...valid, "hub.challenge": "Ab.9_z-" })).toEqual({ ok: true, challenge: "Ab.9_z-" });
  });

  it.each([
    ["1 character", "a"],
    ["256 characters", "x".repeat(256)],
  ])("accepts a challenge of %s", (_label, challenge) => {
    expect(check({ ...valid, "hub.challenge": challenge })).toEqual({ ok: true, challenge });
  });

  it("refuses a wrong token with 403", () => {
    expect(check({ ...valid, "hub.verify_token": "guess" })).toMatchObject({ ok: false, status: 403 });
    expect(check({ ...valid, "hub.verify_token": `${TOKEN}x` })).toMatchObject({ ok: false, status: 403 });
    expect(check({ ...valid, "hub.verify_token": TOKEN.slice(0, -1) })).toMatchObject({ ok: false, status: 403 });
  });

  it("refuses a mode other than subscribe with 403", () => {
    expect(check({ ...valid, "hub.mode": "unsubscribe" })).toMatchObject({ ok: false, status: 403 });
    expect(check({ ...valid, "hub.mode": "Subscribe" })).toMatchObject({ ok: false, status: 403 });
  });

  it.each(["hub.mode", "hub.verify_token", "hub.challenge"])("answers 400 when %s is missing or empty", (name) => {
    for (const value of [undefined, ""]) {
      const result = check({ ...valid, [name]: value });
      expect(result).toMatchObject({ ok: false, status: 400 });
      if (!result.ok) expect(result.reason).toContain(name);
    }
  });

  it.each([
    ["markup", "<script>alert(1)</script>"],
    ["a space", "123 456"],
    ["a newline", "123\n456"],
    ["257 characters", "x".repeat(257)],
    ["non-ASCII letters", "défi"],
    ["an emoji", "ok👋"],
    ["a slash", "a/b"],
  ])("answers 400 for a challenge with %s, because it is reflected back", (_label, challenge) => {
    expect(check({ ...valid, "hub.challenge": challenge })).toMatchObject({ ok: false, status: 400 });
  });

  it("checks the challenge before the token, so a bad challenge is never echoed", () => {
    expect(check({ ...valid, "hub.verify_token": "guess", "hub.challenge": "<b>" })).toMatchObject({ status: 400 });
  });

  it("never puts either token in the reason", () => {
    const result = check({ ...valid, "hub.verify_token": "the-guess" });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).not.toContain("the-guess");
      expect(result.reason).not.toContain(TOKEN);
    }
  });
});

describe("verifySubscription with a repeated parameter", () => {
  it("answers 400 for an array from a framework's query parser", () => {
    const query = { ...valid, "hub.verify_token": [TOKEN, TOKEN] } as unknown as Params;
    expect(verifySubscription(query, TOKEN)).toMatchObject({ ok: false, status: 400 });
  });

  it("answers 400 for a key given twice in URLSearchParams, even when the first value is right", () => {
    const query = new URLSearchParams(`hub.mode=subscribe&hub.verify_token=${TOKEN}&hub.verify_token=b&hub.challenge=1`);
    expect(verifySubscription(query, TOKEN)).toMatchObject({ ok: false, status: 400 });
  });
});
