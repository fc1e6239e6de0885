import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { simulatedDelivery } from "../../src/cli/simulated-events.js";
import { startFakeGraph } from "../helpers/fake-graph.js";
import { startFakeOpenAi } from "../helpers/fake-openai.js";
import { signedBody } from "../helpers/signed-request.js";
import { startTestServer, TEST_SECRET } from "../helpers/test-server.js";

/** BOT=openai through the real server, against OpenAI-compatible and Graph fakes on loopback. */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function setup(env: Record<string, string> = {}) {
  const graph = await startFakeGraph();
  const openai = await startFakeOpenAi({ text: "**Yes**, the oak table is back【4:0†source】." });
  const server = await startTestServer({ env: { GRAPH_API_BASE_URL: graph.url, BOT: "openai", OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: openai.baseUrl, OPENAI_MODEL: "test-model", ...env } });
  cleanups.push(() => graph.close(), () => openai.close(), () => server.close());
  return { graph, openai, server };
}

let seq = 0;
const deliver = (url: string, text: string) => {
  const body = simulatedDelivery({ type: "text", text, from: "4915100123", messageId: `wamid.AI${++seq}`, nowSec: 1_781_702_400, random: () => 0.5 });
  return fetch(url, { method: "POST", headers: signedBody(body, TEST_SECRET).headers, body });
};

describe("BOT=openai", () => {
  it("answers in WhatsApp formatting and keeps the conversation per contact in the store", async () => {
    const { graph, openai, server } = await setup();
    expect((await deliver(server.webhookUrl, "Is the oak table back?")).status).toBe(200);
    await graph.waitForRequests(1);
    expect((await deliver(server.webhookUrl, "Great, thanks")).status).toBe(200);
    await graph.waitForRequests(2);
    const replies = graph.requests.map((r) => (r.body as { text: { body: string } }).text.body);
    expect(replies[0]).toBe("*Yes*, the oak table is back.");
    const second = openai.requests[1]!.body.messages!.map((m) => `${m.role}: ${m.content}`);
    expect(second).toContain("user: Is the oak table back?");
    expect(second.at(-1)).toBe("user: Great, thanks");
    expect(openai.requests[1]!.body.model).toBe("test-model");
  });

  it("retries LLM errors with backoff, then parks the message as failed — never a duplicate answer", async () => {
    const { graph, openai, server } = await setup({ BOT_MAX_ATTEMPTS: "3" });
    openai.script({ status: 500 }, { status: 503 }, { status: 500 });
    expect((await deliver(server.webhookUrl, "hello?")).status).toBe(200);
    const deadline = Date.now() + 15_000;
    while ((await server.store.listInbox({ state: "failed", limit: 5 })).length === 0 && Date.now() < deadline) await sleep(50);
    const [parked] = await server.store.listInbox({ state: "failed", limit: 5 });
    expect(parked).toMatchObject({ attempts: 3 });
    expect(openai.requests).toHaveLength(3);
    expect(graph.requests).toHaveLength(0);
  });

  it("answers once after a transient LLM error", async () => {
    const { graph, openai, server } = await setup();
    openai.script({ status: 500 });
    expect((await deliver(server.webhookUrl, "hi")).status).toBe(200);
    await graph.waitForRequests(1, 10_000);
    await sleep(300);
    expect(openai.requests).toHaveLength(2);
    expect(graph.requests).toHaveLength(1);
  });
});
