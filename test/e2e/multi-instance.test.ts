import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulatedDelivery, toWireJson } from "../../src/cli/simulated-events.js";
import { spawnServer, type ChildServer } from "../helpers/child-server.js";
import { freshPostgresSchema, postgresUrl, skipWithoutPostgres } from "../helpers/databases.js";
import { startFakeGraph, type FakeGraph, type FakeResponse, type RecordedRequest } from "../helpers/fake-graph.js";
import { signedBody } from "../helpers/signed-request.js";

/**
 * Three real server processes on one PostgreSQL database, like instances behind a load balancer.
 * Each test gets a fresh schema. Skipped (with a note) when WAHOOK_TEST_POSTGRES_URL is unset.
 */
const SECRET = "multi-secret";
const skip = skipWithoutPostgres("multi-instance");

/** A `sent` status webhook as Meta posts it (shape of test/fixtures/status-sent.json), in its wire encoding. */
const sentStatusDelivery = (phoneNumberId: string, wamid: string, recipientId: string, callbackData: unknown): string =>
  toWireJson({
    object: "whatsapp_business_account",
    entry: [{ id: "0", changes: [{ field: "messages", value: {
      messaging_product: "whatsapp",
      metadata: { display_phone_number: "15550001234", phone_number_id: phoneNumberId },
      statuses: [{
        id: wamid, status: "sent", timestamp: String(Math.floor(Date.now() / 1000)), recipient_id: recipientId,
        ...(typeof callbackData === "string" ? { biz_opaque_callback_data: callbackData } : {}),
        pricing: { billable: true, pricing_model: "PMP", type: "regular", category: "service" },
      }],
    } }] }],
  });

describe.skipIf(skip)("several instances on one PostgreSQL database", () => {
  let graph: FakeGraph;
  let schema: ReturnType<typeof freshPostgresSchema>;
  let instances: ChildServer[] = [];
  const statusTimers = new Set<NodeJS.Timeout>();
  const statusFailures: string[] = [];
  let wamidCount = 0;

  /**
   * The fake Graph plays Meta: it answers a send with a new wamid and, 50-200 ms later, posts the
   * signed `sent` status webhook of that message to a live instance, echoing the body's
   * biz_opaque_callback_data as Meta does [WA-MSG status]. A send that reached it before its
   * sender was killed is thereby confirmed, as it would be in production.
   */
  const actLikeMeta = (request: RecordedRequest): FakeResponse => {
    const body = request.body as Record<string, unknown>;
    if (body.status === "read") return { status: 200, body: { success: true } };
    const n = ++wamidCount;
    const wamid = `wamid.multi-${n}`;
    const to = String(body.to);
    const phoneNumberId = request.path.split("/")[2] ?? "";
    const timer = setTimeout(() => {
      statusTimers.delete(timer);
      const status = sentStatusDelivery(phoneNumberId, wamid, to, body.biz_opaque_callback_data);
      deliverSomewhere(status, n).catch((error: unknown) => statusFailures.push(`${wamid}: ${String(error)}`));
    }, 50 + Math.floor(Math.random() * 150));
    statusTimers.add(timer);
    return { status: 200, body: { messaging_product: "whatsapp", contacts: [{ input: to, wa_id: to }], messages: [{ id: wamid }] } };
  };

  beforeAll(async () => {
    graph = await startFakeGraph();
    graph.setDefault(actLikeMeta);
    schema = freshPostgresSchema();
    const env = {
      APP_SECRET: SECRET,
      VERIFY_TOKEN: "multi",
      ACCESS_TOKEN: "multi-token",
      DATABASE_URL: postgresUrl()!,
      DATABASE_SCHEMA: schema.name,
      GRAPH_API_BASE_URL: graph.url,
      BOT: "./test/fixtures/bots/sequence-bot.mjs",
      LEASE_MS: "3000",
      SEND_RATE_PER_SECOND: "2000",
      RETRY_MAX_DELAY_MS: "500",
      DB_POOL_SIZE: "5",
      // A message whose lease expired unsettled (the killed instance's, or a starved live one's on
      // a busy machine) waits until 20 s after that lease was taken, and a timed-out send 20 s
      // after it started: far longer than the status webhook takes to confirm a send that reached
      // the fake Graph, even when this machine stalls for seconds, so such a send is not repeated.
      SEND_CONFIRM_WAIT_MS: "20000",
    };
    // All three start at the same moment: the migrations must still be applied exactly once.
    instances = await Promise.all([0, 1, 2].map(() => spawnServer(env)));
  }, 60_000);

  afterAll(async () => {
    for (const timer of statusTimers) clearTimeout(timer);
    await Promise.all(instances.map((i) => i.kill()));
    await graph?.close();
    await schema?.drop();
  });

  const deliver = (instance: ChildServer, body: string) =>
    fetch(`${instance.url}/webhook`, { method: "POST", headers: signedBody(body, SECRET).headers, body }).then((r) => r.status);

  /** What a load balancer in front of Meta's retries amounts to: try another instance on failure. */
  const deliverSomewhere = async (body: string, first: number): Promise<void> => {
    for (let attempt = 0; attempt < 6; attempt++) {
      const live = instances.filter((i) => i.process.exitCode === null && i.process.signalCode === null);
      const target = live[(first + attempt) % live.length]!;
      const status = await deliver(target, body).catch(() => 0);
      if (status === 200) return;
      await sleep(50);
    }
    throw new Error("no instance acknowledged the delivery");
  };

  /**
   * Resolves once no reply is pending: each was settled by its sender or confirmed by its status
   * webhook. Only then can no resend still come (one held for its status would come 20 s later).
   */
  const outboxSettled = async (timeoutMs: number): Promise<void> => {
    const client = new pg.Client({ connectionString: postgresUrl() });
    await client.connect();
    try {
      for (const deadline = Date.now() + timeoutMs; ; await sleep(250)) {
        const { rows } = await client.query<{ n: number }>(`select count(*)::int as n from "${schema.name}".wahook_outbox where state = 'pending'`);
        if (rows[0]?.n === 0) return;
        if (Date.now() > deadline) throw new Error(`${rows[0]?.n} replies still pending after ${timeoutMs} ms`);
      }
    } finally {
      await client.end();
    }
  };

  const textsSent = () => graph.requests.map((r) => r.body as { to: string; text?: { body: string } }).filter((b) => b.text);

  it("answers one delivery posted to all instances concurrently, many times, once", async () => {
    const body = simulatedDelivery({ type: "text", text: "same", from: "4917000000", messageId: "wamid.MULTI-SAME", nowSec: 1_781_702_400, random: () => 0.5 });
    const statuses = await Promise.all(Array.from({ length: 30 }, (_, i) => deliver(instances[i % 3]!, body)));
    expect(statuses.every((s) => s === 200)).toBe(true);
    await graph.waitForRequests(1, 20_000);
    await sleep(1500);
    expect(textsSent().filter((b) => b.to === "4917000000")).toHaveLength(1);
  });

  it("replies to 1000 messages spread across instances exactly once, in order per contact, while one instance is killed with -9", async () => {
    const contacts = 100;
    const perContact = 10;
    let posted = 0;
    const killer = (async () => {
      while (posted < 300) await sleep(20);
      await instances[2]!.kill("SIGKILL");
    })();
    // Each contact's messages are posted in order (the next after the previous was acknowledged);
    // contacts run concurrently against different instances.
    await Promise.all(
      Array.from({ length: contacts }, async (_, c) => {
        const from = `49171${String(c).padStart(5, "0")}`;
        for (let m = 0; m < perContact; m++) {
          const body = simulatedDelivery({ type: "text", text: `m${m}`, from, messageId: `wamid.MULTI-${c}-${m}`, nowSec: 1_781_702_400, random: () => 0.5 });
          await deliverSomewhere(body, c + m);
          posted++;
        }
      }),
    );
    await killer;
    const expected = 1 + contacts * perContact;
    await graph.waitForRequests(expected, 90_000);
    await outboxSettled(90_000);
    await sleep(1000);
    const sent = textsSent();
    expect(statusFailures).toEqual([]);
    expect(sent).toHaveLength(expected);
    for (let c = 0; c < contacts; c++) {
      const from = `49171${String(c).padStart(5, "0")}`;
      const replies = sent.filter((b) => b.to === from).map((b) => b.text!.body).sort((a, b) => a.length - b.length);
      expect(replies).toEqual(Array.from({ length: perContact }, (_, m) => Array.from({ length: m + 1 }, (_, k) => `m${k}`).join(",")));
    }
  }, 180_000);

  it("applied the migrations once although three instances started together", async () => {
    const client = new pg.Client({ connectionString: postgresUrl() });
    await client.connect();
    try {
      const tables = await client.query("select table_name from information_schema.tables where table_schema = $1 order by 1", [schema.name]);
      expect(tables.rows.length).toBeGreaterThan(3);
    } finally {
      await client.end();
    }
  });
});
