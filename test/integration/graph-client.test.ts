import { readFileSync } from "node:fs";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { isWahookError } from "../../src/errors.js";
import { createGraphClient, type GraphClientOptions, type GraphFetch } from "../../src/graph/client.js";
import { createHttpFetch } from "../../src/graph/http-fetch.js";
import { text, toGraphBody } from "../../src/graph/messages.js";
import { graphError, startFakeGraph, type FakeGraph } from "../helpers/fake-graph.js";

const TOKEN = "EAAG-secret-token-0123456789";
const PHONE_NUMBER_ID = "391054887612340";
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8"));

let fake: FakeGraph;
// The send and media tests run with both: Node's fetch (injected) and the app's default client.
let transport: GraphFetch = globalThis.fetch;
const httpFetch = createHttpFetch();
afterAll(() => httpFetch.close());
beforeEach(async () => {
  fake = await startFakeGraph();
});
afterEach(async () => {
  await fake.close();
});

const clientFor = (overrides: Partial<GraphClientOptions> = {}) =>
  createGraphClient({ baseUrl: fake.url, apiVersion: "v24.0", accessToken: TOKEN, fetch: transport, timeoutMs: 2000, nowMs: Date.now, ...overrides });

const withEachFetch = (run: () => void) =>
  describe.each([
    ["Node's fetch", globalThis.fetch],
    ["wahook's keep-alive http client", httpFetch],
  ] as const)("with %s", (_name, chosen) => {
    beforeEach(() => {
      transport = chosen;
    });
    afterEach(() => {
      transport = globalThis.fetch;
    });
    run();
  });

const errorOf = async (promise: Promise<unknown>): Promise<Error> => {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
};

withEachFetch(() => describe("sendMessage against a Graph API on loopback", () => {
  it("POSTs the JSON body to /{version}/{phone-number-id}/messages with the Bearer token and answers the wamid", async () => {
    const body = toGraphBody("+4915112345678", text("hi"));
    const result = await clientFor().sendMessage(PHONE_NUMBER_ID, body);
    expect(result.verdict).toEqual({ kind: "ok", wamid: "wamid.fake-1" });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    const [request] = fake.requests;
    expect(request).toMatchObject({ method: "POST", path: `/v24.0/${PHONE_NUMBER_ID}/messages`, body });
    expect(request?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(request?.headers["content-type"]).toBe("application/json");
  });

  it("marks a message read with the typing indicator and answers no wamid", async () => {
    const result = await clientFor().markRead(PHONE_NUMBER_ID, "wamid.in", { typing: true });
    expect(result.verdict).toEqual({ kind: "ok", wamid: null });
    expect(fake.requests[0]?.body).toEqual({ messaging_product: "whatsapp", status: "read", message_id: "wamid.in", typing_indicator: { type: "text" } });
  });

  it("answers a retry verdict for a 5xx without a JSON body", async () => {
    fake.script({ status: 502, body: "<html>Bad Gateway</html>" });
    const { verdict } = await clientFor().sendMessage(PHONE_NUMBER_ID, {});
    expect(verdict).toEqual({ kind: "retry", scope: "message", retryAfterMs: null, error: { code: null, httpStatus: 502, title: "HTTP 502" } });
  });

  it("passes on a 429's Retry-After", async () => {
    fake.script({ status: 429, headers: { "retry-after": "7" } });
    const { verdict } = await clientFor().sendMessage(PHONE_NUMBER_ID, {});
    expect(verdict).toMatchObject({ kind: "retry", retryAfterMs: 7000, error: { httpStatus: 429 } });
  });

  it("classifies Graph error bodies by their code", async () => {
    fake.script(graphError(130429, "Rate limit hit", 400), { status: 401, body: fixture("graph-error-190-token-expired.json") }, graphError(131047, "Re-engagement message"));
    const client = clientFor();
    expect((await client.sendMessage(PHONE_NUMBER_ID, {})).verdict).toMatchObject({ kind: "retry", scope: "number", error: { code: 130429, httpStatus: 400, title: "(#130429) Rate limit hit" } });
    expect((await client.sendMessage(PHONE_NUMBER_ID, {})).verdict).toMatchObject({ kind: "permanent", alert: true, error: { code: 190, httpStatus: 401 } });
    expect((await client.sendMessage(PHONE_NUMBER_ID, {})).verdict).toMatchObject({ kind: "permanent", alert: false, error: { code: 131047 } });
  });

  it("gives up on a Graph that never answers within timeoutMs, as a retry", async () => {
    fake.script({ hang: true });
    const startedAtMs = Date.now();
    const result = await clientFor({ timeoutMs: 200 }).sendMessage(PHONE_NUMBER_ID, {});
    const elapsedMs = Date.now() - startedAtMs;
    expect(result.verdict).toMatchObject({ kind: "retry", error: { code: null, httpStatus: null, title: "Graph request timed out" } });
    expect(elapsedMs).toBeGreaterThanOrEqual(150);
    expect(elapsedMs).toBeLessThan(1500);
    expect(result.durationMs).toBeGreaterThanOrEqual(150);
  });

  it("stops waiting when the caller's signal aborts (shutdown), as a retry", async () => {
    fake.script({ hang: true });
    const controller = new AbortController();
    const pending = clientFor({ timeoutMs: 10_000 }).sendMessage(PHONE_NUMBER_ID, {}, controller.signal);
    await fake.waitForRequests(1);
    controller.abort();
    expect((await pending).verdict).toMatchObject({ kind: "retry", error: { title: "Graph request aborted" } });
  });

  it("answers a retry verdict when the connection drops without an answer", async () => {
    fake.script({ destroy: true });
    const { verdict } = await clientFor().sendMessage(PHONE_NUMBER_ID, {});
    expect(verdict).toMatchObject({ kind: "retry", error: { httpStatus: null, title: expect.stringMatching(/^network error: /) } });
  });

  it("answers a retry verdict when the connection is refused", async () => {
    await fake.close();
    const { verdict } = await clientFor().sendMessage(PHONE_NUMBER_ID, {});
    expect(verdict).toEqual({ kind: "retry", scope: "message", retryAfterMs: null, error: { code: null, httpStatus: null, title: "network error: ECONNREFUSED" } });
  });

  it("never lets the access token into an error title, even when the answer echoes it", async () => {
    fake.script(graphError(100, `Invalid parameter near ${TOKEN}`));
    const { verdict } = await clientFor().sendMessage(PHONE_NUMBER_ID, {});
    expect(JSON.stringify(verdict)).not.toContain(TOKEN);
    expect(verdict).toMatchObject({ error: { title: "(#100) Invalid parameter near [redacted]" } });
  });

  it("refuses to start without an access token", () => {
    expect(() => clientFor({ accessToken: " " })).toThrow(expect.objectContaining({ code: "CONFIG_MISSING" }));
  });
}));

withEachFetch(() => describe("media download", () => {
  const mediaInfo = (url: string) => ({ messaging_product: "whatsapp", url, mime_type: "image/jpeg", sha256: "f16d05ec", file_size: "4", id: "4552017151921763" });

  it("looks the URL up, then downloads it, sending the Bearer token both times", async () => {
    fake.script({ status: 200, body: mediaInfo(`${fake.url}/lookaside/abc`) }, { status: 200, body: Buffer.from([1, 2, 3, 4]), headers: { "content-type": "image/jpeg" } });
    const media = await clientFor().downloadMedia("4552017151921763");
    expect(media.mimeType).toBe("image/jpeg");
    expect([...media.bytes]).toEqual([1, 2, 3, 4]);
    expect(fake.requests.map((r) => [r.method, r.path, r.headers.authorization])).toEqual([
      ["GET", "/v24.0/4552017151921763", `Bearer ${TOKEN}`],
      ["GET", "/lookaside/abc", `Bearer ${TOKEN}`],
    ]);
  });

  it("answers the lookup fields in camelCase with a numeric size", async () => {
    fake.script({ status: 200, body: fixture("graph-media-url.json") });
    expect(await clientFor().getMediaUrl("4552017151921763", { phoneNumberId: PHONE_NUMBER_ID })).toEqual({
      url: "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=4552017151921763&ext=1781704800&hash=Ic8aDPfsqN5AooRvaRT6nLiUnmoYXlNbfmH8nHvsMh2Q",
      mimeType: "image/jpeg",
      sha256: "f16d05ec6b29248d2c61adb1e9263f78e4f7bace1b955014a2d17872cfe4064d",
      fileSize: 284113,
    });
    expect(fake.requests[0]?.path).toBe(`/v24.0/4552017151921763?phone_number_id=${PHONE_NUMBER_ID}`);
  });

  it("throws GRAPH_REQUEST_FAILED naming the code and the 7-day limit for an unknown media id, without the token", async () => {
    fake.script(graphError(100, `Unsupported get request ${TOKEN}`, 404));
    const error = await errorOf(clientFor().downloadMedia("gone"));
    expect(isWahookError(error, "GRAPH_REQUEST_FAILED")).toBe(true);
    expect(error.message).toMatch(/lookup of gone failed: HTTP 404, code 100: .*7 days/);
    expect(error.message).not.toContain(TOKEN);
  });

  it("throws GRAPH_REQUEST_FAILED when the download itself is refused, pointing at the token", async () => {
    fake.script({ status: 200, body: mediaInfo(`${fake.url}/lookaside/abc`) }, { status: 401 });
    const error = await errorOf(clientFor().downloadMedia("m1"));
    expect(isWahookError(error, "GRAPH_REQUEST_FAILED")).toBe(true);
    expect(error.message).toMatch(/download of m1 failed: HTTP 401.*ACCESS_TOKEN/);
  });

  it("throws GRAPH_REQUEST_FAILED when Graph cannot be reached", async () => {
    await fake.close();
    const error = await errorOf(clientFor().getMediaUrl("m1"));
    expect(isWahookError(error, "GRAPH_REQUEST_FAILED")).toBe(true);
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(error.message).not.toContain(TOKEN);
  });

  it("refuses a file larger than maxBytes", async () => {
    fake.script({ status: 200, body: mediaInfo(`${fake.url}/lookaside/big`) }, { status: 200, body: Buffer.alloc(2048) });
    const error = await errorOf(clientFor().downloadMedia("m1", { maxBytes: 1024 }));
    expect(error.message).toMatch(/larger than maxBytes \(1024\)/);
  });

  it("does not send the token to a plain-http media URL when Graph is https", async () => {
    const urls: string[] = [];
    const stubFetch = (async (url: string) => {
      urls.push(url);
      return new Response(JSON.stringify(mediaInfo("http://lookaside.example/abc")), { status: 200 });
    }) as typeof fetch;
    const client = createGraphClient({ baseUrl: "https://graph.example", apiVersion: "v24.0", accessToken: TOKEN, fetch: stubFetch, nowMs: Date.now });
    const error = await errorOf(client.downloadMedia("m1"));
    expect(error.message).toMatch(/not https/);
    expect(urls).toEqual(["https://graph.example/v24.0/m1"]);
  });
}));

describe("the fake Graph server", () => {
  it("answers Meta's success shape with a fresh wamid each time", async () => {
    const client = clientFor();
    const wamids = await Promise.all([1, 2, 3].map(() => client.sendMessage(PHONE_NUMBER_ID, { to: "+1555" }).then((r) => r.verdict)));
    expect(new Set(wamids.map((v) => (v.kind === "ok" ? v.wamid : null))).size).toBe(3);
    const raw = await fetch(`${fake.url}/v24.0/1/messages`, { method: "POST", body: JSON.stringify({ to: "+1555" }) }).then((r) => r.json());
    expect(Object.keys(raw as object)).toEqual(Object.keys(fixture("graph-send-success.json") as object));
  });

  it("uses scripted answers in order, then the default set by setDefault", async () => {
    fake.script({ status: 500 }, { status: 503 });
    fake.setDefault({ status: 400, body: { error: { code: 100 } } });
    const client = clientFor();
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await client.sendMessage(PHONE_NUMBER_ID, {})).verdict);
    expect(statuses.map((v) => (v.kind === "ok" ? 200 : v.error.httpStatus))).toEqual([500, 503, 400]);
  });

  it("counts requests without recording them when asked to stay lean", async () => {
    const lean = await startFakeGraph({ record: false });
    try {
      await createGraphClient({ baseUrl: lean.url, apiVersion: "v24.0", accessToken: TOKEN, fetch: globalThis.fetch, nowMs: Date.now }).sendMessage("1", {});
      expect(lean.count()).toBe(1);
      expect(lean.requests).toEqual([]);
    } finally {
      await lean.close();
    }
  });

  it("rejects waitForRequests with the count seen when too few arrive", async () => {
    await expect(fake.waitForRequests(1, 50)).rejects.toThrow(/expected 1 requests within 50 ms, got 0/);
  });
});
