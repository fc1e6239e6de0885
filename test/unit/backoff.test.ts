import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { GraphVerdict } from "../../src/graph/classify.js";
import { backoffDelayMs, decideRetry } from "../../src/outbox/backoff.js";
import type { SendOutcome } from "../../src/store/store.js";

const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const attemptArb = fc.integer({ min: 0, max: 2000 });
const capArb = fc.integer({ min: 1, max: 10 * 60_000 });
const fixed = (value: number) => () => value;

const retryVerdict = (code: number | null, scope: "message" | "recipient" | "number" = "message", retryAfterMs: number | null = null): GraphVerdict => ({
  kind: "retry",
  scope,
  retryAfterMs,
  error: { code, httpStatus: 500, title: "t" },
});
const permanentVerdict = (code: number | null, alert = false): GraphVerdict => ({ kind: "permanent", alert, error: { code, httpStatus: 400, title: "t" } });
const base = { attempts: 0, createdAtMs: 1_000_000, nowMs: 1_000_000, maxAgeMs: 86_400_000, random: fixed(0.5), capMs: 30_000 };

/** Replays attempts until a terminal outcome, always getting `verdict` back; returns how many were made. */
function attemptsUntilSettled(verdict: GraphVerdict, random: () => number): { attempts: number; outcome: SendOutcome } {
  let nowMs = base.nowMs;
  for (let attempts = 0; attempts < 10_000; attempts += 1) {
    const outcome = decideRetry({ ...base, verdict, attempts, nowMs, random });
    if (outcome.kind !== "retry") return { attempts: attempts + 1, outcome };
    nowMs = outcome.retryAtMs;
  }
  throw new Error("never settled");
}

describe("backoffDelayMs", () => {
  it("stays within [0, capMs] when the server named no wait", () => {
    fc.assert(
      fc.property(attemptArb, unit, capArb, fc.integer({ min: 1, max: 60_000 }), fc.constantFrom(undefined, "message", "number", "recipient" as const), (attempt, r, capMs, baseMs, scope) => {
        const delayMs = backoffDelayMs({ attempt, random: fixed(r), capMs, baseMs, scope });
        expect(delayMs).toBeGreaterThanOrEqual(0);
        expect(delayMs).toBeLessThanOrEqual(capMs);
      }),
    );
  });

  it("never waits less than Retry-After, even above the cap", () => {
    fc.assert(
      fc.property(attemptArb, unit, capArb, fc.integer({ min: 0, max: 3_600_000 }), (attempt, r, capMs, retryAfterMs) => {
        const delayMs = backoffDelayMs({ attempt, random: fixed(r), capMs, retryAfterMs });
        expect(delayMs).toBeGreaterThanOrEqual(retryAfterMs);
        expect(delayMs).toBeLessThanOrEqual(Math.max(capMs, retryAfterMs));
      }),
    );
  });

  it("makes the first retry come within 2 s", () => {
    fc.assert(
      fc.property(unit, (r) => {
        expect(backoffDelayMs({ attempt: 0, random: fixed(r) })).toBeLessThan(2000);
      }),
    );
  });

  it("doubles the jitter window per attempt up to the cap", () => {
    const delays = [0, 1, 2, 3, 4, 5, 6].map((attempt) => backoffDelayMs({ attempt, random: fixed(0.5) }));
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 15_000, 15_000]);
  });

  it("spreads retries over the whole window with full jitter", () => {
    expect(backoffDelayMs({ attempt: 3, random: fixed(0) })).toBe(0);
    expect(backoffDelayMs({ attempt: 3, random: fixed(0.999) })).toBe(7992);
  });

  it("follows Meta's 4^X seconds for the pair rate limit, capped at capMs", () => {
    const schedule = (capMs: number) => [0, 1, 2, 3, 4].map((attempt) => backoffDelayMs({ attempt, random: fixed(0), scope: "recipient", capMs }));
    expect(schedule(30_000)).toEqual([1000, 4000, 16_000, 30_000, 30_000]);
    expect(schedule(600_000)).toEqual([1000, 4000, 16_000, 64_000, 256_000]);
  });
});

describe("decideRetry", () => {
  it("settles an accepted send as sent with its wamid", () => {
    expect(decideRetry({ ...base, verdict: { kind: "ok", wamid: "wamid.x" } })).toEqual({ kind: "sent", wamid: "wamid.x" });
  });

  it("retries a retryable error after the backoff delay", () => {
    expect(decideRetry({ ...base, verdict: retryVerdict(null), attempts: 2 })).toEqual({
      kind: "retry",
      retryAtMs: base.nowMs + 2000,
      error: { code: null, httpStatus: 500, title: "t" },
    });
  });

  it("honours a Retry-After longer than the cap", () => {
    const outcome = decideRetry({ ...base, verdict: retryVerdict(130429, "number", 120_000) });
    expect(outcome).toMatchObject({ kind: "retry", retryAtMs: base.nowMs + 120_000 });
  });

  it("gives a message up as dead once the next attempt would be past its maximum age", () => {
    fc.assert(
      fc.property(attemptArb, unit, fc.integer({ min: 0, max: 200_000 }), fc.integer({ min: 1000, max: 100_000 }), (attempts, r, ageMs, maxAgeMs) => {
        const nowMs = base.createdAtMs + ageMs;
        const delayMs = backoffDelayMs({ attempt: attempts, random: fixed(r), capMs: base.capMs });
        const outcome = decideRetry({ ...base, verdict: retryVerdict(null), attempts, nowMs, maxAgeMs, random: fixed(r) });
        if (ageMs + delayMs > maxAgeMs) expect(outcome.kind).toBe("dead");
        else expect(outcome).toMatchObject({ kind: "retry", retryAtMs: nowMs + delayMs });
      }),
    );
  });

  it("retries a permanent error at most once, then fails it for good", () => {
    const codes = fc.oneof(fc.constant(null), fc.constantFrom(100, 131008, 131009, 131021, 131051, 131053, 132000, 33, 190, 0, 368, 131047, 131026, 131049, 131050), fc.integer({ min: 0, max: 200_000 }));
    fc.assert(
      fc.property(codes, fc.boolean(), unit, (code, alert, r) => {
        const { attempts, outcome } = attemptsUntilSettled(permanentVerdict(code, alert), fixed(r));
        expect(outcome.kind).toBe("failed");
        expect(attempts).toBeLessThanOrEqual(2);
      }),
    );
  });

  it("gives the one extra attempt to a payload error, soon", () => {
    expect(decideRetry({ ...base, verdict: permanentVerdict(100) })).toMatchObject({ kind: "retry", retryAtMs: base.nowMs + 500 });
    expect(decideRetry({ ...base, verdict: permanentVerdict(100), attempts: 1 })).toMatchObject({ kind: "failed" });
  });

  it.each([131047, 131026, 131049, 131050])("never retries code %i, where a retry is useless or harmful", (code) => {
    expect(decideRetry({ ...base, verdict: permanentVerdict(code) })).toMatchObject({ kind: "failed", error: { code } });
  });

  it("never retries an error that needs the operator (token, permission, policy)", () => {
    expect(decideRetry({ ...base, verdict: permanentVerdict(190, true) })).toMatchObject({ kind: "failed", error: { code: 190 } });
  });

  it.each([131000, 1])("stops retrying the unknown error %i after 3 attempts", (code) => {
    const { attempts, outcome } = attemptsUntilSettled(retryVerdict(code), fixed(0.5));
    expect(outcome.kind).toBe("dead");
    expect(attempts).toBe(3);
  });

  it("keeps retrying other transient errors until the age limit", () => {
    const { attempts, outcome } = attemptsUntilSettled(retryVerdict(131016), fixed(0.5));
    expect(outcome.kind).toBe("dead");
    expect(attempts).toBeGreaterThan(100);
  });
});
