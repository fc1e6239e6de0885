import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sign } from "../../src/webhook/signature.js";
import { eventually } from "../helpers/eventually.js";
import { fixtureBody, signedBody } from "../helpers/signed-request.js";
import { startTestServer, TEST_SECRET, TEST_VERIFY_TOKEN, type TestServer } from "../helpers/test-server.js";

/** The HTTP contract Meta sees, through real sockets on loopback. */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { MAX_BODY_BYTES: String(64 * 1024), ACCESS_TOKEN: "" } });
});
afterAll(() => server.close());

const handshake = (params: Record<string, string>) => fetch(`${server.webhookUrl}?${new URLSearchParams(params)}`);
const good = { "hub.mode": "subscribe", "hub.verify_token": TEST_VERIFY_TOKEN, "hub.challenge": "1158201444" };
/** Inbox rows once every acknowledged delivery is expanded (the expansion runs after the 200). */
const settledInbox = async (on: TestServer) => {
  await eventually(() => on.store.depth(), (depth) => depth.journalPending === 0);
  return on.store.listInbox({ limit: 1000 });
};
const inboxSize = async () => (await settledInbox(server)).length;

/** A text delivery re-signed with the test secret, with a fresh wamid so each test records its own. */
const textDelivery = (wamid: string, phoneNumberId = "391054887612340") =>
  fixtureBody("inbound-text.json")
    .body.toString("utf8")
    .replace(/wamid\.[A-Za-z0-9=]+/, wamid)
    .replace(/"phone_number_id": "\d+"/, `"phone_number_id": "${phoneNumberId}"`);

const post = (body: string | Buffer, headers: Record<string, string>) => fetch(server.webhookUrl, { method: "POST", headers, body });
const postSigned = (body: string | Buffer) => post(body, signedBody(body, TEST_SECRET).headers);

describe("GET /webhook (subscription handshake)", () => {
  it("answers the challenge verbatim as text/plain with nosniff", async () => {
    const response = await handshake(good);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await response.text()).toBe("1158201444");
  });

  it.each([
    ["a wrong verify token", { ...good, "hub.verify_token": "nope" }, 403],
    ["a mode other than subscribe", { ...good, "hub.mode": "unsubscribe" }, 403],
    ["no mode", { "hub.verify_token": TEST_VERIFY_TOKEN, "hub.challenge": "1" }, 400],
    ["no token", { "hub.mode": "subscribe", "hub.challenge": "1" }, 400],
    ["no challenge", { "hub.mode": "subscribe", "hub.verify_token": TEST_VERIFY_TOKEN }, 400],
    ["an empty challenge", { ...good, "hub.challenge": "" }, 400],
    ["a challenge carrying markup", { ...good, "hub.challenge": "<script>alert(1)</script>" }, 400],
  ])("refuses %s", async (_name, params, status) => {
    const response = await handshake(params);
    expect(response.status).toBe(status);
    expect(await response.text()).not.toContain("<script>");
  });
});

describe("POST /webhook (signed events)", () => {
  it("answers exactly 200 after recording a signed delivery of Meta's exact bytes", async () => {
    const before = await inboxSize();
    const response = await postSigned(textDelivery("wamid.HTTP1"));
    expect(response.status).toBe(200);
    expect(await inboxSize()).toBe(before + 1);
  });

  it.each([
    ["no signature", {}],
    ["a malformed signature", { "x-hub-signature-256": "sha256=abc" }],
    ["a wrong signature", { "x-hub-signature-256": `sha256=${"0".repeat(64)}` }],
    ["only the legacy sha1 header", { "x-hub-signature": "sha1=0123456789abcdef0123456789abcdef01234567" }],
    ["a signature made with another secret", { "x-hub-signature-256": sign("x", "other") }],
  ])("refuses %s with 403, records nothing and leaks no digest", async (_name, headers) => {
    const body = textDelivery("wamid.FORGED");
    const before = await inboxSize();
    const response = await post(body, { "content-type": "application/json", ...headers });
    expect(response.status).toBe(403);
    const text = await response.text();
    expect(JSON.parse(text).error.code).toBe("invalid_signature");
    expect(text).not.toContain(sign(body, TEST_SECRET).slice(7));
    expect(await inboxSize()).toBe(before);
  });

  it("answers 400 to a signed body that is not JSON", async () => {
    expect((await postSigned("not json {")).status).toBe(400);
  });

  it("answers 415 to a non-JSON content type, and accepts charset parameters", async () => {
    const body = textDelivery("wamid.CT1");
    const headers = signedBody(body, TEST_SECRET).headers;
    expect((await post(body, { ...headers, "content-type": "text/plain" })).status).toBe(415);
    expect((await post(body, { ...headers, "content-type": "application/json; charset=utf-8" })).status).toBe(200);
  });

  it("acknowledges unknown objects and fields with 200 and records nothing", async () => {
    const before = await inboxSize();
    expect((await postSigned(JSON.stringify({ object: "page", entry: [{ id: "1", messaging: [] }] }))).status).toBe(200);
    expect((await postSigned(fixtureBody("field-template-status-update.json").body)).status).toBe(200);
    expect(await inboxSize()).toBe(before);
  });

  it.each([
    ["deep nesting", "[".repeat(20_000) + "]".repeat(20_000)],
    ["a NUL character", JSON.stringify({ object: "whatsapp_business_account", entry: [{ id: "\u0000", changes: [{ field: "messages", value: { text: "\u0000" } }] }] })],
    ["huge numbers", '{"object":"whatsapp_business_account","entry":[{"id":1e999,"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":123456789012345678901234567890}}}]}]}'],
    ["a bare string", '"whatsapp"'],
    ["null", "null"],
  ])("answers signed odd JSON (%s) with 200 or 400, never a 5xx", async (_name, body) => {
    const response = await postSigned(body);
    expect([200, 400]).toContain(response.status);
  });

  it("refuses a declared Content-Length over MAX_BODY_BYTES with 413, and stays healthy", async () => {
    const response = await postSigned("x".repeat(64 * 1024 + 1));
    expect(response.status).toBe(413);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it("counts a chunked body and answers 413 while the client is still sending", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(server.webhookUrl, { method: "POST", headers: { "content-type": "application/json", "x-hub-signature-256": sign("x", TEST_SECRET) } }, (res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
        clearInterval(timer);
        req.destroy();
      });
      req.on("error", reject);
      const chunk = Buffer.alloc(16 * 1024, 0x61);
      const timer = setInterval(() => req.write(chunk), 5);
    });
    expect(status).toBe(413);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it("accepts a body signed with any of several secrets (rotation)", async () => {
    const rotating = await startTestServer({ env: { APP_SECRET: "old-secret, new-secret", ACCESS_TOKEN: "" } });
    const postTo = (body: string, secret: string) => fetch(rotating.webhookUrl, { method: "POST", headers: signedBody(body, secret).headers, body });
    try {
      for (const secret of ["old-secret", "new-secret"]) {
        expect((await postTo(textDelivery(`wamid.ROT-${secret}`), secret)).status).toBe(200);
      }
      expect((await postTo(textDelivery("wamid.ROT-x"), "retired-secret")).status).toBe(403);
    } finally {
      await rotating.close();
    }
  });
});

describe("PHONE_NUMBER_ID", () => {
  it("acknowledges events for other numbers with 200 and ignores them", async () => {
    const only = await startTestServer({ env: { PHONE_NUMBER_ID: "391054887612340", ACCESS_TOKEN: "" } });
    try {
      const send = (body: string) => fetch(only.webhookUrl, { method: "POST", headers: signedBody(body, TEST_SECRET).headers, body });
      expect((await send(textDelivery("wamid.OTHER", "999999999999999"))).status).toBe(200);
      expect((await send(textDelivery("wamid.MINE", "391054887612340"))).status).toBe(200);
      const ids = (await settledInbox(only)).map((row) => row.messageId);
      expect(ids).toEqual(["wamid.MINE"]);
    } finally {
      await only.close();
    }
  });
});

describe("health, readiness and metrics", () => {
  it("serves /healthz, /readyz and Prometheus /metrics", async () => {
    await post("{}", { "content-type": "application/json" }); // a signature failure to count
    await postSigned(textDelivery("wamid.METRICS")); // a text message to count
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/wahook_signature_failures_total\{reason="missing"\} \d+/);
    expect(metrics).toMatch(/wahook_events_received_total\{kind="message",type="text"\} \d+/);
    expect(metrics).toMatch(/wahook_inbox_depth\{state="pending"\} \d+/);
    expect(metrics).toContain("wahook_ack_seconds_bucket");
  });
});
