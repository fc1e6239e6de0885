import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { isWahookError } from "../../src/errors.js";
import { LOCK_FILE_NAME } from "../../src/store/log/lock-file.js";
import { numbered, openSmall, readAll, tempLogDir } from "../helpers/delivery-log.js";

/** The delivery log under a real SIGKILL, and its lock against a real second process. */
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

function spawnChild(args: string[]) {
  const child = spawn(process.execPath, ["--import", "tsx", "test/helpers/log-child.ts", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  let err = "";
  child.stdout?.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  /** Only complete lines: a number cut by the kill was never fully printed. */
  const lines = () => out.split("\n").slice(0, -1);
  const waitFor = async (test: () => boolean) => {
    const deadline = Date.now() + 20_000;
    while (!test()) {
      if (child.exitCode !== null) throw new Error(`child exited ${child.exitCode}: ${err}`);
      if (Date.now() > deadline) throw new Error(`child timed out: ${out.slice(-200)} ${err}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  return { child, lines, waitFor, kill: async () => (child.kill("SIGKILL"), await exited) };
}

const segmentBytes = 64 * 1024;

describe("delivery log crash safety (kill -9)", () => {
  it("keeps every acknowledged record, in order, exactly once, across repeated kills mid-append", async () => {
    const dir = tempLogDir();
    const acknowledged: number[][] = [];
    for (let run = 0; run < 4; run += 1) {
      const child = spawnChild(["append", dir, String(run)]);
      const goal = 300 + Math.floor(Math.random() * 1500);
      await child.waitFor(() => child.lines().length >= goal);
      await child.kill();
      acknowledged.push(child.lines().map(Number));
    }
    const log = await openSmall(dir, undefined, { segmentBytes });
    const records = (await readAll(log, { segment: 1, offset: 0 }, { maxRecords: 500, maxBytes: 1 << 20 })).map((r) => r.body.toString().split(":").map(Number) as [number, number]);
    // Unacknowledged records may be there too (written, then killed before their fdatasync), but
    // each run's records come after the previous run's, each number at most once, in order.
    for (let i = 1; i < records.length; i += 1) {
      const [run, n] = records[i] as [number, number];
      const [prevRun, prevN] = records[i - 1] as [number, number];
      expect(run > prevRun || (run === prevRun && n === prevN + 1)).toBe(true);
    }
    acknowledged.forEach((numbers, run) => {
      const present = new Set(records.filter(([r]) => r === run).map(([, n]) => n));
      expect(numbers.length).toBeGreaterThan(0);
      for (const n of numbers) expect(present.has(n)).toBe(true);
    });
    // Appending goes on after whatever tail the last kill left.
    await log.append(numbered(0, 3));
    await log.close();
    const again = await openSmall(dir, undefined, { segmentBytes });
    expect((await readAll(again, { segment: 1, offset: 0 }, { maxRecords: 1000, maxBytes: 1 << 22 })).length).toBe(records.length + 3);
    await again.close();
  }, 120_000);
});

describe("delivery log lock", () => {
  it("refuses a second open in the same process while the first is open, and allows it after close", async () => {
    const dir = tempLogDir();
    const log = await openSmall(dir, undefined);
    const second = await openSmall(dir, undefined).catch((error: unknown) => error);
    expect(isWahookError(second, "DELIVERY_LOG_LOCKED")).toBe(true);
    expect((second as Error).message).toMatch(new RegExp(`process ${process.pid}.*one wahook per log directory`));
    await log.close();
    await (await openSmall(dir, undefined)).close();
  });

  it("refuses while another live process holds it, and takes it over once that process is killed", async () => {
    const dir = tempLogDir();
    const holder = spawnChild(["hold", dir]);
    await holder.waitFor(() => holder.lines().includes("open"));
    await expect(openSmall(dir, undefined)).rejects.toMatchObject({ code: "DELIVERY_LOG_LOCKED" });
    await holder.kill();
    const log = await openSmall(dir, undefined);
    await log.append(numbered(0, 1));
    await log.close();
  });

  it("takes over a lock whose pid is alive but started at another time (a reused pid)", async () => {
    const dir = tempLogDir();
    await (await openSmall(dir, undefined)).close();
    writeFileSync(join(dir, LOCK_FILE_NAME), JSON.stringify({ pid: process.pid, startTime: "1", token: "old" }));
    await (await openSmall(dir, undefined)).close();
  });

  it("takes over a lock of a dead pid", async () => {
    const dir = tempLogDir();
    await (await openSmall(dir, undefined)).close();
    const dead = spawn(process.execPath, ["-e", ""]);
    const pid = dead.pid as number;
    await new Promise((resolve) => dead.once("exit", resolve));
    writeFileSync(join(dir, LOCK_FILE_NAME), JSON.stringify({ pid, startTime: "12345" }));
    await (await openSmall(dir, undefined)).close();
  });
});
