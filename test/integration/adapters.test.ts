import type { AddressInfo } from "node:net";
import express from "express";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listen } from "../../src/adapters/node.js";
import { wahookExpress } from "../../src/adapters/express.js";
import { wahookFastify } from "../../src/adapters/fastify.js";
import { createApp, type App } from "../../src/app.js";
import { parseConfig } from "../../src/config.js";
import type { WebhookEvent } from "../../src/events/types.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import { createWebhookHandler } from "../../src/webhook/handler.js";
import { signatureRequired } from "../../src/webhook/signature-required.js";
import { escapeNonAscii, sign } from "../../src/webhook/signature.js";
import { FIXTURE_SECRET, fixtureBody } from "../helpers/signed-request.js";

/**
 * Every adapter must hand the verifier the exact bytes Meta sent. The emoji fixture is byte for
 * byte in Meta's wire format; re-serializing it changes 875 bytes into 677 and breaks the HMAC.
 */
const wire = fixtureBody("inbound-unicode-emoji.json");
// A raw UTF-8 body whose signature follows Meta's documented rule (computed over the \u-escaped form).
const rawUtf8 = Buffer.from('{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"2"},"messages":[{"from":"3","id":"wamid.RAWUTF8","timestamp":"1781702400","type":"text","text":{"body":"Grüße 👋"}}]}}]}]}');
const rawUtf8Signature = sign(escapeNonAscii(rawUtf8)!, FIXTURE_SECRET);

let store: Store;
let app: App;
beforeAll(async () => {
  store = await openStore({ kind: "sqlite", path: ":memory:" });
  await store.migrate();
  app = createApp({ config: parseConfig({ APP_SECRET: FIXTURE_SECRET, VERIFY_TOKEN: "vt", LOG_LEVEL: "silent" }), store, graph: null });
});
afterAll(() => store.close());

const cases = [
  { name: "Meta's escaped wire body", body: wire.body, signature: wire.signature },
  { name: "a raw UTF-8 body signed over its escaped form", body: rawUtf8, signature: rawUtf8Signature },
];

async function expectAccepts(url: string) {
  for (const { body, signature } of cases) {
    const ok = await fetch(url, { method: "POST", headers: { "content-type": "application/json", "x-hub-signature-256": signature }, body });
    expect(ok.status).toBe(200);
    const reserialized = Buffer.from(JSON.stringify(JSON.parse(body.toString("utf8")), null, 1));
    const bad = await fetch(url, { method: "POST", headers: { "content-type": "application/json", "x-hub-signature-256": signature }, body: reserialized });
    expect(bad.status).toBe(403);
  }
}

describe("raw bytes reach the verifier through every adapter", () => {
  it("node:http (the built-in server)", async () => {
    const server = await listen(app.route, { port: 0, host: "127.0.0.1", onError: () => undefined });
    try {
      await expectAccepts(`http://127.0.0.1:${server.port}/webhook`);
    } finally {
      await server.close();
    }
  });

  it("Express, mounted before a global express.json()", async () => {
    const host = express();
    host.use("/whatsapp", wahookExpress(app.webhook));
    host.use(express.json());
    host.post("/other", (req, res) => void res.json({ echoed: req.body }));
    const server = host.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await expectAccepts(`${base}/whatsapp`);
      // the host app's own JSON routes are untouched
      const other = await fetch(`${base}/other`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"a":1}' });
      expect(await other.json()).toEqual({ echoed: { a: 1 } });
    } finally {
      server.close();
    }
  });

  it("Express after express.json(): a clear error that says how to mount it", async () => {
    const host = express();
    host.use(express.json());
    host.use("/whatsapp", wahookExpress(app.webhook));
    let message = "";
    host.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      message = error.message;
      res.status(500).end();
    });
    const server = host.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const response = await fetch(`http://127.0.0.1:${port}/whatsapp`, { method: "POST", headers: { "content-type": "application/json", "x-hub-signature-256": wire.signature }, body: wire.body });
      expect(response.status).toBe(500);
      expect(message).toMatch(/before express\.json\(\)/);
    } finally {
      server.close();
    }
  });

  it("Express with express.json({ verify }) keeping req.rawBody", async () => {
    const host = express();
    host.use(express.json({ verify: (req, _res, buf) => void ((req as unknown as { rawBody: Buffer }).rawBody = buf) }));
    host.use("/whatsapp", wahookExpress(app.webhook));
    const server = host.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    try {
      await expectAccepts(`http://127.0.0.1:${(server.address() as AddressInfo).port}/whatsapp`);
    } finally {
      server.close();
    }
  });

  it("Fastify, as an encapsulated plugin beside the host's JSON routes", async () => {
    const host = Fastify();
    await host.register(wahookFastify, { webhook: app.webhook, path: "/webhook" });
    host.post("/other", async (request) => ({ echoed: request.body }));
    const base = await host.listen({ port: 0, host: "127.0.0.1" });
    try {
      await expectAccepts(`${base}/webhook`);
      const other = await fetch(`${base}/other`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"a":1}' });
      expect(await other.json()).toEqual({ echoed: { a: 1 } });
    } finally {
      await host.close();
    }
  });

  it("Web-standard Request -> Response (app.fetch)", async () => {
    for (const { body, signature } of cases) {
      const response = await app.fetch(new Request("http://localhost/webhook", { method: "POST", headers: { "content-type": "application/json", "x-hub-signature-256": signature }, body }));
      expect(response.status).toBe(200);
    }
  });

  it("createWebhookHandler hands every event to onEvents before the 200", async () => {
    const seen: WebhookEvent[] = [];
    const handler = createWebhookHandler({ verifyToken: "vt", appSecrets: [FIXTURE_SECRET], onEvents: (events) => void seen.push(...events) });
    for (const { body, signature } of cases) {
      const response = await handler(new Request("http://localhost/any/path", { method: "POST", headers: { "content-type": "application/json", "x-hub-signature-256": signature }, body }));
      expect(response.status).toBe(200);
    }
    expect(seen.map((e) => e.kind)).toEqual(["message", "message"]);
    const failing = createWebhookHandler({ verifyToken: "vt", appSecrets: [FIXTURE_SECRET], onEvents: () => Promise.reject(new Error("db down")) });
    const response = await failing(new Request("http://localhost/webhook", { method: "POST", headers: { "content-type": "application/json", "x-hub-signature-256": wire.signature }, body: wire.body }));
    expect(response.status).toBe(500);
  });

  it("signatureRequired wraps any Web handler like the tutorial's @signature_required", async () => {
    const guarded = signatureRequired(async (request) => new Response(`got ${(await request.arrayBuffer()).byteLength} bytes`), { appSecrets: ["other", FIXTURE_SECRET] });
    const ok = await guarded(new Request("http://localhost/", { method: "POST", headers: { "x-hub-signature-256": wire.signature }, body: wire.body }));
    expect(await ok.text()).toBe(`got ${wire.body.length} bytes`);
    const bad = await guarded(new Request("http://localhost/", { method: "POST", headers: { "x-hub-signature-256": sign("x", FIXTURE_SECRET) }, body: wire.body }));
    expect(bad.status).toBe(403);
  });
});

describe("Hono (Web-standard host app)", () => {
  it("mounts app.fetch and the library handler on routes of its own", async () => {
    const { Hono } = await import("hono");
    const host = new Hono();
    const seen: WebhookEvent[] = [];
    const handler = createWebhookHandler({ verifyToken: "vt", appSecrets: [FIXTURE_SECRET], onEvents: (events) => void seen.push(...events) });
    host.all("/webhook", (c) => app.fetch(c.req.raw));
    host.post("/bring-your-own-store", (c) => handler(c.req.raw));
    for (const path of ["/webhook", "/bring-your-own-store"]) {
      for (const { body, signature } of cases) {
        const response = await host.request(path, { method: "POST", headers: { "content-type": "application/json", "x-hub-signature-256": signature }, body });
        expect(response.status).toBe(200);
      }
    }
    expect(seen).toHaveLength(2);
    const challenge = await host.request("/webhook?hub.mode=subscribe&hub.verify_token=vt&hub.challenge=abc");
    expect(await challenge.text()).toBe("abc");
  });
});
