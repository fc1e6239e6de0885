import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulatedDelivery } from "../../src/cli/simulated-events.js";
import { spawnServer, type ChildServer } from "../helpers/child-server.js";
import { freshPostgresSchema, postgresUrl, skipWithoutPostgres } from "../helpers/databases.js";
import { localTcpPorts } from "../helpers/process-sockets.js";
import { signedBody } from "../helpers/signed-request.js";

/** A lost database connection is retried and reported on /readyz, never a crash loop. */
const skip = skipWithoutPostgres("postgres-reconnect");

describe.skipIf(skip)("PostgreSQL connections lost while serving", () => {
  let schema: ReturnType<typeof freshPostgresSchema>;
  let server: ChildServer;
  const admin = () => new pg.Client({ connectionString: postgresUrl() });

  beforeAll(async () => {
    schema = freshPostgresSchema();
    server = await spawnServer({ APP_SECRET: "s", VERIFY_TOKEN: "v", DATABASE_URL: postgresUrl()!, DATABASE_SCHEMA: schema.name, DB_POOL_SIZE: "3" });
  }, 60_000);
  afterAll(async () => {
    await server?.kill();
    await schema?.drop();
  });

  it("keeps serving after every connection of the instance is terminated", async () => {
    const client = admin();
    await client.connect();
    try {
      // This server's backends only: other test files' servers run at the same time.
      const ports = localTcpPorts(server.process.pid as number);
      const killed = await client.query("select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'wahook' and client_port = any($1::int[])", [ports]);
      expect(killed.rowCount).toBeGreaterThan(0);
    } finally {
      await client.end();
    }
    await sleep(200);
    // The process is still up; readiness recovers as the pool opens new connections.
    const deadline = Date.now() + 10_000;
    let ready = 0;
    while (ready !== 200 && Date.now() < deadline) {
      ready = (await fetch(`${server.url}/readyz`)).status;
      if (ready !== 200) await sleep(100);
    }
    expect(ready).toBe(200);
    expect(server.process.exitCode).toBeNull();
    const body = simulatedDelivery({ type: "text", text: "still there?", nowSec: 1_781_702_400, random: () => 0.5 });
    let status = 0;
    for (let attempt = 0; attempt < 3 && status !== 200; attempt++) {
      status = (await fetch(`${server.url}/webhook`, { method: "POST", headers: signedBody(body, "s").headers, body })).status;
    }
    expect(status).toBe(200);
  });
});
