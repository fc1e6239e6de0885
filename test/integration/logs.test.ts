import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { simulatedDelivery } from "../../src/cli/simulated-events.js";
import { createLogger } from "../../src/logger.js";
import { sign } from "../../src/webhook/signature.js";
import { startFakeGraph } from "../helpers/fake-graph.js";
import { startTestServer } from "../helpers/test-server.js";

const APP_SECRET = "s3cr3t-app-secret-value-0123456789";
const VERIFY_TOKEN = "verify-token-value-abcdefghij";
const ACCESS_TOKEN = "EAAGaccess-token-value-zyxwvutsrq";
const MESSAGE_TEXT = "my private message text 4711";

/** Every 8-character piece of a secret: a log must not carry even part of one. */
const pieces = (secret: string) => Array.from({ length: secret.length - 7 }, (_, i) => secret.slice(i, i + 8));

describe("logs never carry secrets, signatures or message text", () => {
  it.each(["trace", "debug", "info", "warn"])("at LOG_LEVEL=%s", async (level) => {
    let output = "";
    const logger = createLogger(level, { write: (line: string) => void (output += line) });
    const graph = await startFakeGraph();
    graph.script({ status: 500 }); // one failed attempt, so error paths log too
    const server = await startTestServer({ env: { APP_SECRET, VERIFY_TOKEN, ACCESS_TOKEN, GRAPH_API_BASE_URL: graph.url }, logger });
    try {
      await fetch(`${server.webhookUrl}?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=42`);
      await fetch(`${server.webhookUrl}?hub.mode=subscribe&hub.verify_token=wrong-${VERIFY_TOKEN}&hub.challenge=42`);
      const body = simulatedDelivery({ type: "text", text: MESSAGE_TEXT, nowSec: 1_781_702_400, random: () => 0.5 });
      const signature = sign(body, APP_SECRET);
      await fetch(server.webhookUrl, { method: "POST", headers: { "content-type": "application/json", "x-hub-signature-256": signature }, body });
      await fetch(server.webhookUrl, { method: "POST", headers: { "content-type": "application/json", "x-hub-signature-256": sign(body, "forger") }, body });
      await graph.waitForRequests(2, 10_000);
      await sleep(100);
      if (level === "trace") expect(output.length).toBeGreaterThan(0);
      for (const secret of [APP_SECRET, VERIFY_TOKEN, ACCESS_TOKEN]) {
        for (const piece of pieces(secret)) expect(output).not.toContain(piece);
      }
      expect(output).not.toContain(signature.slice(7, 20));
      expect(output).not.toContain("private message");
      expect(output).not.toContain("PRIVATE MESSAGE");
      expect(output).not.toContain("hub.verify_token=");
    } finally {
      await server.close();
      await graph.close();
    }
  });
});
