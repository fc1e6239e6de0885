import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { openStore } from "../../src/store/open-store.js";
import { captureIo } from "../helpers/capture-io.js";

const tempDatabase = () => `sqlite:${join(mkdtempSync(join(tmpdir(), "wahook-cli-")), "wahook.db")}`;

async function run(argv: string[], env: Record<string, string>) {
  const capture = captureIo();
  const code = await main(argv, env, capture.io);
  return { code, out: capture.stdout(), err: capture.stderr() };
}

describe("wahook migrate", () => {
  it("creates the schema of an empty database", async () => {
    const DATABASE_URL = tempDatabase();
    const { code, out } = await run(["migrate"], { DATABASE_URL });
    expect(code).toBe(0);
    expect(out).toContain("up to date (sqlite)");
    const store = await openStore({ kind: "sqlite", path: DATABASE_URL.slice("sqlite:".length) }, { migrate: false });
    try {
      expect(await store.depth()).toEqual({ journalPending: 0, inboxPending: 0, inboxFailed: 0, outboxPending: 0, outboxFailed: 0 });
    } finally {
      await store.close();
    }
  });
});

describe("wahook outbox", () => {
  it("lists dead messages without their text, and retries one", async () => {
    const DATABASE_URL = tempDatabase();
    const store = await openStore({ kind: "sqlite", path: DATABASE_URL.slice("sqlite:".length) });
    const [id] = await store.enqueue([{ phoneNumberId: "100", recipient: "4915100001", kind: "message", body: { type: "text", text: { body: "secret words" } } }], 1000);
    const [item] = await store.claimOutbox({ workerId: "w", nowMs: 1000, leaseMs: 60_000, limit: 1 });
    await store.settleOutbox(item!, "w", { kind: "failed", error: { code: 190, httpStatus: 401, title: "Error validating access token" } }, { startedAtMs: 1000, durationMs: 5 }, 1010);
    await store.close();

    const dead = await run(["outbox", "dead"], { DATABASE_URL });
    expect(dead.code).toBe(0);
    expect(dead.out).toMatch(new RegExp(`${id}\\s+failed .*error=190 Error validating access token`));
    expect(dead.out).not.toContain("secret words");

    const retried = await run(["outbox", "retry", String(id)], { DATABASE_URL });
    expect(retried.code).toBe(0);
    expect((await run(["outbox", "list", "--state", "pending"], { DATABASE_URL })).out).toMatch(new RegExp(`${id}\\s+pending`));
    expect((await run(["outbox", "dead"], { DATABASE_URL })).out).toBe("No messages.\n");

    const again = await run(["outbox", "retry", String(id)], { DATABASE_URL });
    expect(again.code).toBe(1);
    expect(again.err).toContain("not failed or dead");
  });

  it("rejects bad arguments with usage errors (exit 2)", async () => {
    const DATABASE_URL = tempDatabase();
    expect((await run(["outbox"], { DATABASE_URL })).code).toBe(2);
    expect((await run(["outbox", "retry", "abc"], { DATABASE_URL })).code).toBe(2);
    expect((await run(["outbox", "list", "--state", "lost"], { DATABASE_URL })).code).toBe(2);
  });
});
