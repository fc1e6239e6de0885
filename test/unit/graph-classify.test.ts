import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { classifyGraphResponse, classifyNetworkError, type GraphVerdict } from "../../src/graph/classify.js";
import { parseRetryAfterMs } from "../../src/graph/retry-after.js";

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8"));
const errorBody = (code: number, message = `(#${code}) something`) => ({
  error: { message, type: "OAuthException", code, error_data: { messaging_product: "whatsapp", details: "why" }, fbtrace_id: "t" },
});
const classify = (httpStatus: number, body: unknown, retryAfterHeader: string | null = null) =>
  classifyGraphResponse({ httpStatus, body, retryAfterHeader });

describe("classifyGraphResponse: Graph error codes decide [WA-ERR]", () => {
  it.each([
    [130429, "number"],
    [131056, "recipient"],
    [4, "number"],
    [80007, "number"],
    [131057, "number"],
    [131000, "message"],
    [131016, "message"],
    [2, "message"],
    [1, "message"],
  ] as const)("retries code %i, holding back the %s", (code, scope) => {
    // 400 is what Meta's old table gives for throttling; the code must win over the status.
    expect(classify(400, errorBody(code))).toEqual({
      kind: "retry",
      scope,
      retryAfterMs: null,
      error: { code, httpStatus: 400, title: `(#${code}) something` },
    });
  });

  it.each([190, 0, 3, 10, 200, 250, 299, 131005, 368, 131031, 130497, 131048])(
    "gives up on code %i and alerts the operator, who must fix the token, permission or account",
    (code) => {
      expect(classify(403, errorBody(code))).toEqual({ kind: "permanent", alert: true, error: { code, httpStatus: 403, title: `(#${code}) something` } });
    },
  );

  it.each([131047, 131026, 131049, 131050, 100, 131008, 131009, 131021, 131051, 131053, 132000, 132001, 132016, 33])(
    "gives up on code %i without an alert (a recipient, payload or template problem)",
    (code) => {
      expect(classify(400, errorBody(code))).toMatchObject({ kind: "permanent", alert: false, error: { code } });
    },
  );

  it("keeps a documented permanent code permanent even under a 5xx status", () => {
    expect(classify(500, errorBody(100))).toMatchObject({ kind: "permanent", error: { code: 100, httpStatus: 500 } });
  });

  it("does not stretch neighbouring numbers: 300 and 132017 are not in Meta's ranges", () => {
    expect(classify(500, errorBody(300))).toMatchObject({ kind: "retry" });
    expect(classify(500, errorBody(132017))).toMatchObject({ kind: "retry" });
    expect(classify(403, errorBody(300))).toMatchObject({ kind: "permanent", alert: true });
    expect(classify(400, errorBody(199))).toMatchObject({ kind: "permanent", alert: false });
  });

  it("treats an error body under a 2xx status as the error it is", () => {
    expect(classify(200, errorBody(130429))).toMatchObject({ kind: "retry", scope: "number" });
  });
});

describe("classifyGraphResponse: the HTTP status decides when there is no known code", () => {
  it.each([500, 502, 503, 504, 408])("retries HTTP %i", (status) => {
    expect(classify(status, null)).toEqual({ kind: "retry", scope: "message", retryAfterMs: null, error: { code: null, httpStatus: status, title: `HTTP ${status}` } });
  });

  it("retries a 429 without a code number-wide, honouring Retry-After", () => {
    expect(classify(429, null, "3")).toMatchObject({ kind: "retry", scope: "number", retryAfterMs: 3000 });
  });

  it("retries an undocumented code under a 5xx, and gives it up under a 4xx", () => {
    expect(classify(503, errorBody(987654))).toMatchObject({ kind: "retry", error: { code: 987654 } });
    expect(classify(400, errorBody(987654))).toMatchObject({ kind: "permanent", alert: false, error: { code: 987654 } });
  });

  it.each([400, 404, 409, 413, 422])("gives up on HTTP %i without an alert", (status) => {
    expect(classify(status, null)).toMatchObject({ kind: "permanent", alert: false, error: { code: null, httpStatus: status } });
  });

  it.each([401, 403])("gives up on HTTP %i with an alert, since it means credentials", (status) => {
    expect(classify(status, "<html>denied</html>")).toMatchObject({ kind: "permanent", alert: true });
  });
});

describe("classifyGraphResponse: successes", () => {
  it("answers the wamid of an accepted send", () => {
    expect(classify(200, fixture("graph-send-success.json"))).toEqual({ kind: "ok", wamid: "wamid.HBgNNDkxNTExMjM0NTY3OBUCABEYEjFFMzVEQzAwOUQ0QzlBNkM0OQA=" });
  });

  it("answers no wamid for a read receipt's { success: true }", () => {
    expect(classify(200, fixture("graph-mark-read-success.json"))).toEqual({ kind: "ok", wamid: null });
  });
});

describe("classifyGraphResponse on Meta's fixtures with their documented HTTP statuses", () => {
  const cases: [string, number, Partial<GraphVerdict> & Record<string, unknown>][] = [
    ["graph-error-130429-throughput.json", 400, { kind: "retry", scope: "number" }],
    ["graph-error-130429-throughput.json", 429, { kind: "retry", scope: "number" }],
    ["graph-error-131056-pair-rate-limit.json", 400, { kind: "retry", scope: "recipient" }],
    ["graph-error-131056-pair-rate-limit.json", 429, { kind: "retry", scope: "recipient" }],
    ["graph-error-131047-reengagement.json", 400, { kind: "permanent", alert: false }],
    ["graph-error-190-token-expired.json", 401, { kind: "permanent", alert: true }],
    ["graph-error-131000-5xx.json", 500, { kind: "retry", scope: "message" }],
  ];
  it.each(cases)("%s under HTTP %i", (name, status, expected) => {
    const body = fixture(name) as { error: { code: number; message: string } };
    expect(classify(status, body)).toMatchObject({ ...expected, error: { code: body.error.code, httpStatus: status, title: body.error.message } });
  });
});

describe("error titles", () => {
  it("are Graph's message on one line, trimmed and at most 200 characters", () => {
    const verdict = classify(400, errorBody(100, `  (#100) Invalid\n parameter ${"x".repeat(400)}  `));
    if (verdict.kind === "ok") throw new Error("expected an error");
    expect(verdict.error.title).toMatch(/^\(#100\) Invalid parameter x+…$/);
    expect(verdict.error.title).toHaveLength(200);
  });
});

describe("Retry-After", () => {
  const nowMs = Date.parse("2026-06-17T12:00:00Z");

  it("reads delay-seconds", () => {
    expect(classify(503, null, "120")).toMatchObject({ retryAfterMs: 120_000 });
    expect(parseRetryAfterMs(" 0 ")).toBe(0);
  });

  it("reads an HTTP-date relative to now", () => {
    const verdict = classifyGraphResponse({ httpStatus: 429, body: null, retryAfterHeader: "Wed, 17 Jun 2026 12:00:30 GMT", nowMs });
    expect(verdict).toMatchObject({ kind: "retry", retryAfterMs: 30_000 });
  });

  it("treats a date in the past as no wait, and ignores a date when the time is unknown", () => {
    expect(parseRetryAfterMs("Wed, 17 Jun 2026 11:00:00 GMT", nowMs)).toBe(0);
    expect(parseRetryAfterMs("Wed, 17 Jun 2026 12:00:30 GMT")).toBeNull();
  });

  it("ignores values it cannot read", () => {
    for (const header of ["soon", "-5", "", "1e3", "Wed, 99 Foo 2026 GMT"]) expect(parseRetryAfterMs(header, nowMs)).toBeNull();
  });
});

describe("classifyNetworkError", () => {
  it("retries a refused connection and names the socket error", () => {
    const error = new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }) });
    expect(classifyNetworkError(error)).toEqual({
      kind: "retry",
      scope: "message",
      retryAfterMs: null,
      error: { code: null, httpStatus: null, title: "network error: ECONNREFUSED" },
    });
  });

  it("retries a timeout and an abort, saying which", () => {
    expect(classifyNetworkError(new DOMException("The operation was aborted due to timeout", "TimeoutError"))).toMatchObject({
      kind: "retry",
      error: { title: "Graph request timed out" },
    });
    expect(classifyNetworkError(new DOMException("This operation was aborted", "AbortError"))).toMatchObject({
      kind: "retry",
      error: { title: "Graph request aborted" },
    });
  });

  it("says a send may have been accepted when the request may have reached Meta, never when no connection was made", () => {
    const socketError = (code: string) => new TypeError("fetch failed", { cause: Object.assign(new Error(code), { code }) });
    expect(classifyNetworkError(new DOMException("timeout", "TimeoutError"))).toMatchObject({ maybeAccepted: true });
    expect(classifyNetworkError(socketError("ECONNRESET"))).toMatchObject({ maybeAccepted: true });
    expect(classifyNetworkError("boom")).toMatchObject({ maybeAccepted: true });
    for (const code of ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN"]) expect(classifyNetworkError(socketError(code))).not.toHaveProperty("maybeAccepted");
  });

  it("retries anything else thrown, with its message", () => {
    expect(classifyNetworkError("boom")).toMatchObject({ kind: "retry", error: { title: "network error: boom" } });
  });
});
