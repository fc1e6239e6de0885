import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { captureIo } from "../helpers/capture-io.js";

describe("wahook demo", () => {
  it("shows the whole pipeline with no Meta account: replies, statuses and an ignored duplicate", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "wahook-demo-"));
    const capture = captureIo({ cwd });
    const code = await main(["demo", "--once", "--port", "0"], { ACCESS_TOKEN: "a-real-token-the-demo-must-not-use" }, capture.io);
    const out = capture.stdout();
    expect(code).toBe(0);
    expect(out).toContain("SANDBOX");
    expect(out).toContain("the demo ignores it");
    expect(out).toContain('reply to 15550001111: "HELLO WAHOOK!"');
    expect(out).toContain("OLÁ 👋 ¿QUÉ TAL? GRÜSSE — 你好");
    expect(out).toMatch(/Meta reports the reply read: HTTP 200/);
    expect(out.match(/← reply to/g)).toHaveLength(2);
    expect(out).toContain("duplicates ignored: 1");
    expect(out).toContain("Every message was recorded once and answered once.");
    expect(existsSync(join(cwd, "data", "wahook-demo.db"))).toBe(true);
    // A second run starts afresh: the old database goes, and its delivery log with it.
    const again = captureIo({ cwd });
    expect(await main(["demo", "--once", "--port", "0"], {}, again.io)).toBe(0);
    expect(again.stdout()).toContain("Every message was recorded once and answered once.");
  });

  it("keeps running for more simulated messages until it is stopped", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "wahook-demo-"));
    const capture = captureIo({ cwd });
    const running = main(["demo", "--port", "0"], {}, capture.io);
    const deadline = Date.now() + 20_000;
    while (!capture.stdout().includes("Ctrl-C to stop") && Date.now() < deadline) await sleep(50);
    const instruction = /APP_SECRET=(\w+) npx wahook simulate --url (\S+)/.exec(capture.stdout());
    expect(instruction).not.toBeNull();
    const [, secret, url] = instruction!;
    expect(await main(["simulate", "--url", url!, "--text", "one more"], { APP_SECRET: secret }, captureIo().io)).toBe(0);
    while (!capture.stdout().includes('"ONE MORE"') && Date.now() < deadline) await sleep(50);
    expect(capture.stdout()).toContain('"ONE MORE"');
    capture.shutdown();
    expect(await running).toBe(0);
  });
});
