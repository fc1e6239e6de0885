import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { simulatedDelivery } from "../../src/cli/simulated-events.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import { eventually } from "../helpers/eventually.js";
import { signedBody } from "../helpers/signed-request.js";
import { startTestServer, TEST_SECRET } from "../helpers/test-server.js";

/** A real SQLite store whose writes and pings can be made to fail, like a full disk or a lost connection. */
async function breakableStore() {
  const inner = await openStore({ kind: "sqlite", path: join(mkdtempSync(join(tmpdir(), "wahook-broken-")), "wahook.db") });
  const state = { broken: false };
  const fail = () => Promise.reject(new Error("disk I/O error"));
  const store: Store = {
    ...inner,
    journal: (bodies, nowMs) => (state.broken ? fail() : inner.journal(bodies, nowMs)),
    ping: () => (state.broken ? fail() : inner.ping()),
  };
  return { store, state };
}

describe("a store that fails while serving", () => {
  it("answers 500 so Meta retries, reports 503 on /readyz, and records the retry once the store is back", async () => {
    const { store, state } = await breakableStore();
    const server = await startTestServer({ store, env: { ACCESS_TOKEN: "" } });
    try {
      const body = simulatedDelivery({ type: "text", text: "keep me", messageId: "wamid.KEEP", nowSec: 1_781_702_400, random: () => 0.5 });
      const post = () => fetch(server.webhookUrl, { method: "POST", headers: signedBody(body, TEST_SECRET).headers, body });

      state.broken = true;
      const refused = await post();
      expect(refused.status).toBe(500);
      expect(JSON.parse(await refused.text()).error.code).toBe("store_write_failed");
      expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

      state.broken = false;
      expect((await post()).status).toBe(200);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      // The 200 came once the delivery was journaled; the inbox row follows when it is expanded.
      const inbox = await eventually(() => store.listInbox({ limit: 10 }), (rows) => rows.length > 0);
      expect(inbox.map((row) => row.messageId)).toEqual(["wamid.KEEP"]);
    } finally {
      await server.close();
    }
  });
});
