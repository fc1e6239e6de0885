import { openSync, readSync, closeSync, writeSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { segmentPath } from "../../src/store/log/segment-files.js";
import type { LogPosition, LogRecord } from "../../src/store/log/types.js";
import { numbered, openSmall, readAll, tempLogDir, texts } from "../helpers/delivery-log.js";

const first: LogPosition = { segment: 1, offset: 0 };

/** Overwrites bytes of a closed log's segment file, as a torn write or a bad sector would leave them. */
function patch(dir: string, at: LogPosition, bytes: Buffer): void {
  const fd = openSync(segmentPath(dir, at.segment), "r+");
  try {
    writeSync(fd, bytes, 0, bytes.length, at.offset);
  } finally {
    closeSync(fd);
  }
}

function peek(dir: string, at: LogPosition, length: number): Buffer {
  const fd = openSync(segmentPath(dir, at.segment), "r");
  try {
    const out = Buffer.alloc(length);
    readSync(fd, out, 0, length, at.offset);
    return out;
  } finally {
    closeSync(fd);
  }
}

async function logWith(count: number): Promise<{ dir: string; records: LogRecord[] }> {
  const dir = tempLogDir();
  const log = await openSmall(dir, undefined, { segmentBytes: 1 << 16 });
  for (let i = 0; i < count; i += 1) await log.append(numbered(i, 1));
  const records = await readAll(log, first);
  await log.close();
  return { dir, records };
}

describe("delivery log recovery", () => {
  it.each([
    ["cut inside the body (the rest reads as zeros)", (start: LogPosition) => ({ at: { ...start, offset: start.offset + 40 }, bytes: Buffer.alloc(76) })],
    ["cut inside the header", (start: LogPosition) => ({ at: { ...start, offset: start.offset + 6 }, bytes: Buffer.alloc(110) })],
    ["one garbled body byte", (start: LogPosition) => ({ at: { ...start, offset: start.offset + 60 }, bytes: Buffer.from("?") })],
  ])("drops a torn last record (%s) and appends over it", async (_name, damage) => {
    const { dir, records } = await logWith(10);
    const lastStart = (records[8] as LogRecord).next;
    const { at, bytes } = damage(lastStart);
    patch(dir, at, bytes);

    const log = await openSmall(dir, undefined, { segmentBytes: 1 << 16 });
    expect(log.end().position).toEqual(lastStart);
    await log.append(numbered(100, 3));
    expect(texts(await readAll(log, first))).toEqual([...texts(records.slice(0, 9)), "#100", "#101", "#102"]);
    await log.close();
    const again = await openSmall(dir, undefined, { segmentBytes: 1 << 16 });
    expect(texts(await readAll(again, first))).toEqual([...texts(records.slice(0, 9)), "#100", "#101", "#102"]);
    await again.close();
  });

  it("never resurrects a record of the crashed run that lay after the torn one, even when new records end exactly where it starts", async () => {
    const { dir, records } = await logWith(6);
    // Record 3 torn (a power loss wrote 4 and 5 but not all of 3); the new record has the same
    // length, so it ends exactly where the old record 4 begins.
    const third = (records[2] as LogRecord).next;
    patch(dir, { ...third, offset: third.offset + 50 }, Buffer.from("garbage"));
    const log = await openSmall(dir, undefined, { segmentBytes: 1 << 16 });
    expect(log.end().position).toEqual(third);
    await log.append(numbered(200, 1));
    await log.close();
    const again = await openSmall(dir, undefined, { segmentBytes: 1 << 16 });
    expect(texts(await readAll(again, first))).toEqual(["#0", "#1", "#2", "#200"]);
    await again.close();
  });

  it("rewrites the recovered unconsumed tail before appending (so a kernel's clean-but-unwritten pages get written)", async () => {
    const { dir, records } = await logWith(4);
    const writes: { position: number; length: number }[] = [];
    const log = await openSmall(dir, (records[0] as LogRecord).next, {
      segmentBytes: 1 << 16,
      fs: { write: async (fd, buffer, offset, length, position) => (writes.push({ position, length }), (await import("node:fs")).writeSync(fd, buffer, offset, length, position)) },
    });
    const before = peek(dir, (records[0] as LogRecord).next, 3 * 116);
    expect(writes).toContainEqual({ position: 116, length: 3 * 116 });
    expect(peek(dir, (records[0] as LogRecord).next, 3 * 116).equals(before)).toBe(true);
    expect(texts(await readAll(log, (records[0] as LogRecord).next))).toEqual(["#1", "#2", "#3"]);
    await log.close();
  });

  it("resumes at the end of a full segment and rotates with the next append", async () => {
    const dir = tempLogDir();
    const log = await openSmall(dir, undefined);
    await log.append(numbered(0, 35)); // exactly 4060 bytes of a 4096-byte segment: the next record rotates
    await log.close();
    const again = await openSmall(dir, undefined);
    await again.append(numbered(35, 1));
    expect(again.end().position.segment).toBe(2);
    await again.close();
    const third = await openSmall(dir, undefined);
    expect(texts(await readAll(third, first))).toHaveLength(36);
    await third.close();
  });

  it("reports an I/O failure while opening as STORE_UNAVAILABLE, and leaves no lock behind", async () => {
    const dir = tempLogDir();
    const failing = openSmall(dir, undefined, { fs: { readdir: () => Promise.reject(Object.assign(new Error("EIO: i/o error, scandir"), { code: "EIO" })) } });
    await expect(failing).rejects.toMatchObject({ code: "STORE_UNAVAILABLE", message: expect.stringContaining("EIO") });
    await (await openSmall(dir, undefined)).close();
  });
});
