import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulatedDelivery } from "../../src/cli/simulated-events.js";
import { startFakeGraph, type FakeGraph } from "../helpers/fake-graph.js";
import { signedBody } from "../helpers/signed-request.js";
import { startTestServer, TEST_SECRET, type TestServer } from "../helpers/test-server.js";

/** The README's bot example, loaded with BOT=./examples/counter-bot.mjs exactly as a user would. */
let graph: FakeGraph;
let server: TestServer;
beforeAll(async () => {
  graph = await startFakeGraph();
  server = await startTestServer({ env: { GRAPH_API_BASE_URL: graph.url, BOT: "./examples/counter-bot.mjs" } });
});
afterAll(async () => {
  await server.close();
  await graph.close();
});

const deliver = (type: "text" | "image", text: string, id: string) => {
  const body = simulatedDelivery({ type, text, from: "4915100042", name: "Ada", messageId: id, nowSec: 1_781_702_400, random: () => 0.5 });
  return fetch(server.webhookUrl, { method: "POST", headers: signedBody(body, TEST_SECRET).headers, body });
};

describe("examples/counter-bot.mjs", () => {
  it("counts each contact's messages in its durable state, marks them read and reacts to images", async () => {
    expect((await deliver("text", "hello", "wamid.EX1")).status).toBe(200);
    await graph.waitForRequests(2);
    expect((await deliver("text", "again", "wamid.EX2")).status).toBe(200);
    await graph.waitForRequests(4);
    expect((await deliver("image", "look", "wamid.EX3")).status).toBe(200);
    await graph.waitForRequests(5);
    await sleep(200);
    const bodies = graph.requests.map((r) => r.body as Record<string, unknown>);
    const texts = bodies.filter((b) => b.type === "text").map((b) => (b.text as { body: string }).body);
    expect(texts).toEqual(['Ada, that is message #1 from you: "hello"', 'Ada, that is message #2 from you: "again"']);
    expect(bodies.filter((b) => b.status === "read").map((b) => b.message_id)).toEqual(["wamid.EX1", "wamid.EX2"]);
    expect(bodies.find((b) => b.type === "reaction")).toMatchObject({ to: "4915100042", reaction: { message_id: "wamid.EX3", emoji: "👀" } });
  });
});
