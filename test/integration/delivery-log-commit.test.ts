import { describe, expect, it } from "vitest";
import { nodeLogFs, type LogFs } from "../../src/store/log/log-fs.js";
import { numbered, openSmall, readAll, tempLogDir, texts } from "../helpers/delivery-log.js";

/** Real file operations, with every write and fdatasync on the record and fdatasyncs completed by hand. */
function recordedFs() {
  const real = nodeLogFs();
  const events: string[] = [];
  const syncs: { release: () => void; fail: (error: Error) => void }[] = [];
  let writes = 0;
  const fs: Partial<LogFs> = {
    write: async (fd, buffer, offset, length, position) => {
      const n = (writes += 1);
      events.push(`write ${n} start`);
      const written = await real.write(fd, buffer, offset, length, position);
      events.push(`write ${n} done`);
      return written;
    },
    fdatasync: (fd) =>
      new Promise<void>((resolve, reject) => {
        const n = syncs.length + 1;
        events.push(`sync ${n} start`);
        syncs.push({
          release: () => void real.fdatasync(fd).then(() => (events.push(`sync ${n} done`), resolve()), reject),
          fail: (error) => (events.push(`sync ${n} failed`), reject(error)),
        });
      }),
  };
  return { fs, events, syncs };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));
/** Until the log has asked for `count` fdatasyncs (a real write runs first, which may take a while on a busy disk). */
const syncsAsked = (recorded: { syncs: unknown[] }, count: number) => expect.poll(() => recorded.syncs.length).toBe(count);
const eio = () => Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" });

describe.each([false, true])("delivery log group commit (overlapWrites %s)", (overlapWrites) => {
  it("resolves an append only after an fdatasync that began after its write, and batches the appends that arrive meanwhile", async () => {
    const recorded = recordedFs();
    const log = await openSmall(tempLogDir(), undefined, { fs: recorded.fs, overlapWrites, segmentBytes: 1 << 20 });
    const resolved: string[] = [];
    const track = (name: string, bodies: Buffer[]) => log.append(bodies).then(() => void (resolved.push(name), recorded.events.push(`${name} resolved`)));
    const a = track("a", numbered(0, 1));
    await syncsAsked(recorded, 1);
    // Arriving while the first fdatasync runs: all in the next write and fdatasync.
    const rest = Array.from({ length: 50 }, (_, i) => track(`b${i}`, numbered(1 + i, 2)));
    await tick();
    expect(resolved).toEqual([]);
    recorded.syncs[0]?.release();
    await a;
    expect(resolved).toEqual(["a"]);
    await syncsAsked(recorded, 2);
    expect(resolved).toEqual(["a"]);
    recorded.syncs[1]?.release();
    await Promise.all(rest);
    expect(log.stats()).toMatchObject({ writes: 2, fdatasyncs: 2, records: 101 });
    const events = recorded.events;
    expect(events.indexOf("sync 2 start")).toBeGreaterThan(events.indexOf("write 2 done"));
    expect(events.indexOf("b0 resolved")).toBeGreaterThan(events.indexOf("sync 2 done"));
    expect(texts(await readAll(log, { segment: 1, offset: 0 }))).toHaveLength(101);
    await log.close();
  });

  it("shares few fdatasyncs among many concurrent appends (real disk)", async () => {
    const log = await openSmall(tempLogDir(), undefined, { overlapWrites, segmentBytes: 1 << 20 });
    await Promise.all(Array.from({ length: 2000 }, (_, i) => log.append(numbered(i, 1))));
    expect(log.stats().records).toBe(2000);
    expect(log.stats().fdatasyncs).toBeLessThan(20);
    await log.close();
  });

  it("rejects the round whose fdatasync failed, and every append after it, even when fdatasync works again", async () => {
    const recorded = recordedFs();
    const dir = tempLogDir();
    const log = await openSmall(dir, undefined, { fs: recorded.fs, overlapWrites, segmentBytes: 1 << 20 });
    const first = log.append(numbered(0, 1));
    await syncsAsked(recorded, 1);
    recorded.syncs[0]?.release();
    await first;
    const failing = log.append(numbered(1, 1));
    await syncsAsked(recorded, 2);
    const waiting = log.append(numbered(2, 1));
    recorded.syncs[1]?.fail(eio());
    await expect(failing).rejects.toMatchObject({ code: "DELIVERY_LOG_FAILED" });
    await expect(waiting).rejects.toMatchObject({ code: "DELIVERY_LOG_FAILED" });
    await expect(log.append(numbered(3, 1))).rejects.toMatchObject({ code: "DELIVERY_LOG_FAILED", message: expect.stringContaining("EIO") });
    expect(recorded.syncs).toHaveLength(2); // nothing was ever called durable after the failure
    expect(log.end().position.offset).toBe(116); // readers see only the acknowledged record
    await log.close();

    // Reopening rescans: the rejected record may or may not be there (it was answered 500), the acknowledged one is.
    const again = await openSmall(dir, undefined);
    expect(texts(await readAll(again, { segment: 1, offset: 0 }))[0]).toBe("#0");
    await again.close();
  });

  it("rejects the round whose write failed", async () => {
    const real = nodeLogFs();
    let failNext = false;
    const log = await openSmall(tempLogDir(), undefined, {
      overlapWrites,
      fs: { write: (fd, b, o, l, p) => (failNext ? Promise.reject(Object.assign(new Error("ENOSPC"), { code: "ENOSPC" })) : real.write(fd, b, o, l, p)) },
    });
    await log.append(numbered(0, 1));
    failNext = true;
    await expect(log.append(numbered(1, 1))).rejects.toMatchObject({ code: "DELIVERY_LOG_FAILED" });
    failNext = false;
    await expect(log.append(numbered(2, 1))).rejects.toMatchObject({ code: "DELIVERY_LOG_FAILED" });
    await log.close();
  });
});

describe("delivery log lifecycle", () => {
  it("close waits for the appends in flight; later calls reject with DELIVERY_LOG_CLOSED", async () => {
    const log = await openSmall(tempLogDir(), undefined);
    const pending = log.append(numbered(0, 10));
    await log.close();
    await expect(pending).resolves.toBeUndefined();
    await expect(log.append(numbered(10, 1))).rejects.toMatchObject({ code: "DELIVERY_LOG_CLOSED" });
    await expect(log.read({ segment: 1, offset: 0 }, { maxRecords: 1, maxBytes: 1 })).rejects.toMatchObject({ code: "DELIVERY_LOG_CLOSED" });
  });
});
