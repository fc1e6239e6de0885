import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { simulatedDelivery } from "../../src/cli/simulated-events.js";
import { signedBody } from "../helpers/signed-request.js";
import { startFakeGraph } from "../helpers/fake-graph.js";
import { startTestServer, TEST_SECRET, type TestServer } from "../helpers/test-server.js";

/** Exactly once, end to end: real server, real SQLite file, a fake Graph API on loopback. */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function setup(env: Record<string, string> = {}) {
  const graph = await startFakeGraph();
  const server = await startTestServer({ env: { GRAPH_API_BASE_URL: graph.url, ...env } });
  cleanups.push(() => graph.close(), () => server.close());
  return { graph, server };
}

const deliver = (server: TestServer, body: string) =>
  fetch(server.webhookUrl, { method: "POST", headers: signedBody(body, TEST_SECRET).headers, body });

let seq = 0;
const textFrom = (from: string, text: string, phoneNumberId = "100000000000001") =>
  simulatedDelivery({ type: "text", text, from, phoneNumberId, messageId: `wamid.TEST${++seq}`, nowSec: 1_781_702_400, random: () => 0.5 });

const messageBodies = (requests: { body: unknown }[]) =>
  requests.map((r) => r.body as { to: string; type: string; text?: { body: string } }).filter((b) => b.type === "text");

describe("exactly-once replies", () => {
  it("answers the same delivery posted 5 times in a row once", async () => {
    const { graph, server } = await setup();
    const body = textFrom("4915112345678", "hallo");
    for (let i = 0; i < 5; i++) expect((await deliver(server, body)).status).toBe(200);
    await graph.waitForRequests(1);
    await sleep(300);
    const sent = messageBodies(graph.requests);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ to: "4915112345678", text: { body: "HALLO" } });
  });

  it("answers the same delivery posted 20 times at once once", async () => {
    const { graph, server } = await setup();
    const body = textFrom("4915112345679", "at once");
    const statuses = await Promise.all(Array.from({ length: 20 }, () => deliver(server, body).then((r) => r.status)));
    expect(statuses.every((s) => s === 200)).toBe(true);
    await graph.waitForRequests(1);
    await sleep(300);
    expect(messageBodies(graph.requests)).toHaveLength(1);
  });

  it("replies to every message of a batch of 2 entries × 3 messages, each to its sender, from its number", async () => {
    const { graph, server } = await setup();
    const entries = [0, 1].map((e) => {
      const phoneNumberId = `10000000000000${e + 1}`;
      const senders = [0, 1, 2].map((m) => `49151000${e}${m}`);
      const messages = senders.map((from, m) => ({ from, id: `wamid.BATCH${e}${m}`, timestamp: "1781702400", type: "text", text: { body: `msg ${e}${m}` } }));
      const statuses = [{ id: `wamid.OUT${e}`, status: "delivered", timestamp: "1781702401", recipient_id: senders[0] }];
      return {
        id: `20000000000000${e}`,
        changes: [{ field: "messages", value: { messaging_product: "whatsapp", metadata: { display_phone_number: "15550000000", phone_number_id: phoneNumberId }, contacts: senders.map((wa_id) => ({ profile: { name: wa_id }, wa_id })), messages, statuses } }],
      };
    });
    const body = JSON.stringify({ object: "whatsapp_business_account", entry: entries });
    expect((await deliver(server, body)).status).toBe(200);
    await graph.waitForRequests(6);
    await sleep(200);
    const sent = graph.requests.filter((r) => (r.body as { type?: string }).type === "text");
    expect(sent).toHaveLength(6);
    const pairs = sent.map((r) => `${r.path.split("/")[2]} -> ${(r.body as { to: string }).to}: ${(r.body as { text: { body: string } }).text.body}`).sort();
    expect(pairs).toEqual([
      "100000000000001 -> 4915100000: MSG 00",
      "100000000000001 -> 4915100001: MSG 01",
      "100000000000001 -> 4915100002: MSG 02",
      "100000000000002 -> 4915100010: MSG 10",
      "100000000000002 -> 4915100011: MSG 11",
      "100000000000002 -> 4915100012: MSG 12",
    ]);
  });

  it("answers a contact's messages in arrival order", async () => {
    const { graph, server } = await setup();
    for (let i = 0; i < 5; i++) expect((await deliver(server, textFrom("4915100099", `n${i}`))).status).toBe(200);
    await graph.waitForRequests(5);
    expect(messageBodies(graph.requests).map((b) => b.text?.body)).toEqual(["N0", "N1", "N2", "N3", "N4"]);
  });
});

describe("retries and permanent errors", () => {
  it("retries 500, 500, 429 and delivers once on the 200, then stops", async () => {
    const { graph, server } = await setup();
    graph.script({ status: 500 }, { status: 500 }, { status: 429, headers: { "retry-after": "0" } });
    expect((await deliver(server, textFrom("4915100001", "retry me"))).status).toBe(200);
    await graph.waitForRequests(4, 15_000);
    await sleep(700);
    expect(graph.requests).toHaveLength(4);
    const [row] = await server.store.listOutbox({ limit: 1 });
    expect(row).toMatchObject({ state: "sent", attempts: 4 });
    const attempts = await server.store.listAttempts(row!.id);
    expect(attempts.map((a) => a.outcome)).toEqual(["retry", "retry", "retry", "sent"]);
    expect(attempts.map((a) => a.httpStatus)).toEqual([500, 500, 429, 200]);
  });

  it("records a permanent 131047 as failed without a retry storm", async () => {
    const { graph, server } = await setup();
    graph.setDefault({ status: 400, body: { error: { message: "(#131047) Re-engagement message", type: "OAuthException", code: 131047, error_data: { messaging_product: "whatsapp", details: "More than 24 hours have passed" } } } });
    expect((await deliver(server, textFrom("4915100002", "too late"))).status).toBe(200);
    await graph.waitForRequests(1);
    await sleep(800);
    expect(graph.requests).toHaveLength(1);
    const [row] = await server.store.listOutbox({ limit: 1 });
    expect(row).toMatchObject({ state: "failed", lastErrorCode: 131047 });
  });
});

describe("delivery statuses", () => {
  it("applies statuses to the reply monotonically, whatever order they arrive in", async () => {
    const { graph, server } = await setup();
    expect((await deliver(server, textFrom("4915100003", "status please"))).status).toBe(200);
    const [request] = await graph.waitForRequests(1);
    expect(request).toBeDefined();
    await sleep(200);
    const [row] = await server.store.listOutbox({ limit: 1 });
    const wamid = row!.wamid!;
    for (const status of ["read", "delivered", "sent"]) {
      const body = JSON.stringify({ object: "whatsapp_business_account", entry: [{ id: "1", changes: [{ field: "messages", value: { messaging_product: "whatsapp", metadata: { display_phone_number: "1", phone_number_id: "100000000000001" }, statuses: [{ id: wamid, status, timestamp: "1781702500", recipient_id: "4915100003" }] } }] }] });
      expect((await deliver(server, body)).status).toBe(200);
    }
    expect((await server.store.getOutbox(row!.id))?.deliveryStatus).toBe("read");
  });
});

describe("a bot that throws", () => {
  it("keeps the message recorded and visible, retries it, then parks it as failed without blocking other contacts", async () => {
    const graph = await startFakeGraph();
    const server = await startTestServer({
      env: { GRAPH_API_BASE_URL: graph.url, BOT_MAX_ATTEMPTS: "2" },
      bot: { name: "fragile", handle: (ctx) => { if (ctx.message.type === "text" && ctx.message.text.body === "boom") throw new Error("handler bug"); ctx.reply("ok"); } },
    });
    cleanups.push(() => graph.close(), () => server.close());
    expect((await deliver(server, textFrom("4915100004", "boom"))).status).toBe(200);
    expect((await deliver(server, textFrom("4915100005", "fine"))).status).toBe(200);
    await graph.waitForRequests(1);
    const deadline = Date.now() + 10_000;
    let failed = await server.store.listInbox({ state: "failed", limit: 10 });
    while (failed.length === 0 && Date.now() < deadline) {
      await sleep(50);
      failed = await server.store.listInbox({ state: "failed", limit: 10 });
    }
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ attempts: 2, lastError: expect.stringContaining("handler bug") });
    expect(failed[0]!.message.type).toBe("text");
    expect(messageBodies(graph.requests).map((b) => b.to)).toEqual(["4915100005"]);
  });
});
