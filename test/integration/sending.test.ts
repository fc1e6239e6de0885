import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { simulatedDelivery } from "../../src/cli/simulated-events.js";
import { startFakeGraph } from "../helpers/fake-graph.js";
import { signedBody } from "../helpers/signed-request.js";
import { startTestServer, TEST_SECRET, type TestServer } from "../helpers/test-server.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function setup(env: Record<string, string>) {
  const graph = await startFakeGraph();
  const server = await startTestServer({ env: { GRAPH_API_BASE_URL: graph.url, ...env } });
  cleanups.push(() => graph.close(), () => server.close());
  return { graph, server };
}

let seq = 0;
const deliver = (server: TestServer, from: string, text = "hi") => {
  const body = simulatedDelivery({ type: "text", text, from, messageId: `wamid.SEND${++seq}`, nowSec: 1_781_702_400, random: () => 0.5 });
  return fetch(server.webhookUrl, { method: "POST", headers: signedBody(body, TEST_SECRET).headers, body });
};

describe("sending", () => {
  it("smooths a burst to SEND_RATE_PER_SECOND per business number instead of sending it all at once", async () => {
    const { graph, server } = await setup({ SEND_RATE_PER_SECOND: "4" });
    const startedAt = Date.now();
    for (let i = 0; i < 12; i++) expect((await deliver(server, `49150000${10 + i}`)).status).toBe(200);
    await sleep(500);
    // One second's burst (4) may go at once; the rest follow at 4 per second.
    const elapsedSec = (Date.now() - startedAt) / 1000;
    expect(graph.count()).toBeLessThanOrEqual(4 + Math.ceil(4 * elapsedSec));
    await graph.waitForRequests(12, 10_000);
    expect(graph.count()).toBe(12);
  });

  it("sends no read receipt unless MARK_READ asks for one", async () => {
    const { graph, server } = await setup({});
    expect((await deliver(server, "4915000099")).status).toBe(200);
    await graph.waitForRequests(1);
    await sleep(200);
    expect(graph.requests.map((r) => (r.body as { type?: string; status?: string }).status ?? (r.body as { type: string }).type)).toEqual(["text"]);
  });

  it("with MARK_READ=typing shows a typing indicator on the message before the reply", async () => {
    const { graph, server } = await setup({ MARK_READ: "typing" });
    expect((await deliver(server, "4915000098")).status).toBe(200);
    const [receipt] = await graph.waitForRequests(2);
    expect(receipt?.body).toMatchObject({ messaging_product: "whatsapp", status: "read", message_id: `wamid.SEND${seq}`, typing_indicator: { type: "text" } });
    expect((graph.requests[1]?.body as { type: string }).type).toBe("text");
  });
});
