import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { simulatedDelivery } from "../../src/cli/simulated-events.js";
import { spawnServer, type ChildServer } from "../helpers/child-server.js";
import { startFakeGraph } from "../helpers/fake-graph.js";
import { signedBody } from "../helpers/signed-request.js";

/** Crash safety with a real process killed by SIGKILL: nothing acknowledged is lost, nothing is sent twice. */
const SECRET = "crash-secret";
const children: ChildServer[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.kill()));
});

const baseEnv = (databasePath: string, graphUrl: string) => ({
  APP_SECRET: SECRET,
  VERIFY_TOKEN: "crash-verify",
  ACCESS_TOKEN: "crash-token",
  DATABASE_URL: `sqlite:${databasePath}`,
  GRAPH_API_BASE_URL: graphUrl,
  RETRY_MAX_DELAY_MS: "300",
  LEASE_MS: "2000",
  // A kill between claim and settle would otherwise hold the reply 30 s for Meta's status webhook
  // (which this fake Graph never sends): keep that wait inside these tests' time limits.
  SEND_CONFIRM_WAIT_MS: "1000",
});

const start = async (env: Record<string, string>) => {
  const child = await spawnServer(env);
  children.push(child);
  return child;
};

const deliver = (url: string, body: string) => fetch(`${url}/webhook`, { method: "POST", headers: signedBody(body, SECRET).headers, body });

describe("crash recovery (kill -9)", () => {
  it("sends the reply once after a crash that happened while Graph was down", async () => {
    const databasePath = join(mkdtempSync(join(tmpdir(), "wahook-crash-")), "wahook.db");
    const down = await startFakeGraph();
    const downUrl = down.url;
    await down.close(); // connections to it are now refused

    const body = simulatedDelivery({ type: "text", text: "are you there?", from: "4915100077", messageId: "wamid.CRASH1", nowSec: 1_781_702_400, random: () => 0.25 });
    const first = await start(baseEnv(databasePath, downUrl));
    expect((await deliver(first.url, body)).status).toBe(200);
    await sleep(600); // the bot has run and the outbox has failed to reach Graph at least once
    await first.kill("SIGKILL");

    const graph = await startFakeGraph();
    try {
      const second = await start(baseEnv(databasePath, graph.url));
      await graph.waitForRequests(1, 15_000);
      await sleep(800);
      expect(graph.requests.map((r) => (r.body as { text?: { body: string } }).text?.body)).toEqual(["ARE YOU THERE?"]);

      // Restart after the reply and redeliver the same message: Meta's retry must not cause a second reply.
      await second.kill("SIGKILL");
      const third = await start(baseEnv(databasePath, graph.url));
      expect((await deliver(third.url, body)).status).toBe(200);
      await sleep(1000);
      expect(graph.requests).toHaveLength(1);
    } finally {
      await graph.close();
    }
  });

  it("stops gracefully on SIGTERM with exit code 0", async () => {
    const databasePath = join(mkdtempSync(join(tmpdir(), "wahook-term-")), "wahook.db");
    const graph = await startFakeGraph();
    try {
      const child = await start(baseEnv(databasePath, graph.url));
      expect(await child.kill("SIGTERM")).toBe(0);
    } finally {
      await graph.close();
    }
  });
});

describe("start-up checks", () => {
  it.each([
    ["APP_SECRET", { VERIFY_TOKEN: "v" }],
    ["VERIFY_TOKEN", { APP_SECRET: "s" }],
  ])("refuses to start without %s, naming it, with a non-zero exit", async (name, env) => {
    const child = await spawnServer({ ...env, DATABASE_URL: "sqlite::memory:" }, { waitReady: false });
    children.push(child);
    expect(await child.exited).not.toBe(0);
    expect(child.output()).toContain(`${name} is missing`);
  });

  it("refuses to start when the database cannot be opened, and says which path", async () => {
    const child = await spawnServer({ APP_SECRET: "s", VERIFY_TOKEN: "v", DATABASE_URL: "sqlite:/etc/hostname/wahook/cannot.db" }, { waitReady: false });
    children.push(child);
    expect(await child.exited).not.toBe(0);
    expect(child.output()).toContain("/etc/hostname/wahook/cannot.db");
  });

  it("creates the schema of an empty database by itself", async () => {
    const databasePath = join(mkdtempSync(join(tmpdir(), "wahook-empty-")), "fresh.db");
    const child = await start({ APP_SECRET: "s", VERIFY_TOKEN: "v", DATABASE_URL: `sqlite:${databasePath}` });
    expect((await fetch(`${child.url}/readyz`)).status).toBe(200);
    const body = simulatedDelivery({ type: "text", text: "x", nowSec: 1_781_702_400, random: () => 0.5 });
    expect((await fetch(`${child.url}/webhook`, { method: "POST", headers: signedBody(body, "s").headers, body })).status).toBe(200);
  });
});
