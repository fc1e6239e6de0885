import { statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { isWahookError } from "../../src/errors.js";
import { nodeLogFs } from "../../src/store/log/log-fs.js";
import { segmentPath } from "../../src/store/log/segment-files.js";
import type { LogPosition } from "../../src/store/log/types.js";
import { numbered, openSmall, readAll, segmentFiles, tempLogDir, texts } from "../helpers/delivery-log.js";

const first: LogPosition = { segment: 1, offset: 0 };
const realFs = nodeLogFs();
const labels = (from: number, count: number) => numbered(from, count).map((b) => b.toString().split(":")[0]);

describe("delivery log segments", () => {
  it("rotates into new segments when one is full and reads across them, also after a reopen", async () => {
    const dir = tempLogDir();
    const log = await openSmall(dir, undefined);
    for (let i = 0; i < 10; i += 1) await log.append(numbered(i * 20, 20));
    expect(log.stats().liveSegments).toBeGreaterThan(3);
    expect(texts(await readAll(log, first))).toEqual(labels(0, 200));
    const end = log.end();
    await log.close();

    const again = await openSmall(dir, undefined);
    expect(again.end()).toEqual(end);
    expect(texts(await readAll(again, first))).toEqual(labels(0, 200));
    await again.append(numbered(200, 5));
    expect(texts(await readAll(again, end.position))).toEqual(labels(200, 5));
    await again.close();
  });

  it("creates new segments empty, grows the active one with its records up to the segment size, and keeps spares ready", async () => {
    const dir = tempLogDir();
    const log = await openSmall(dir, undefined, { spareSegments: 2 });
    // 116 bytes per record: 30 fill 3,480 of the 4,096 bytes, so all stay in segment 1.
    await log.append(numbered(0, 30));
    await expect.poll(() => log.stats().spareSegments).toBe(2);
    expect(log.end().position).toEqual({ segment: 1, offset: 3480 });
    expect(segmentFiles(dir).map((segment) => statSync(segmentPath(dir, segment)).size)).toEqual([3480, 0, 0]);
    await log.close();
  });

  it("after a reopen, goes on appending into a segment the appends had not filled, instead of rotating at the file's end", async () => {
    const dir = tempLogDir();
    const log = await openSmall(dir, undefined);
    await log.append(numbered(0, 3));
    await log.close();
    const again = await openSmall(dir, undefined);
    await again.append(numbered(3, 3));
    expect(again.end().position).toEqual({ segment: 1, offset: 696 });
    expect(texts(await readAll(again, first))).toEqual(labels(0, 6));
    await again.close();
  });

  it("recycles released segments by renaming them to new numbers, and never reads their stale records", async () => {
    const dir = tempLogDir();
    const log = await openSmall(dir, undefined, { spareSegments: 2 });
    await log.append(numbered(0, 100)); // about 3 segments
    await expect.poll(() => log.stats().spareSegments).toBe(2);
    const inode1 = statSync(segmentPath(dir, 1)).ino;
    const all = await readAll(log, first);
    const cursor = (all[79] as { next: LogPosition }).next;
    await log.release(cursor);
    expect(segmentFiles(dir)[0]).toBe(cursor.segment);
    // Segment 1's file lives on under a higher number (or was deleted once the pool was full).
    const recycled = segmentFiles(dir).find((s) => statSync(segmentPath(dir, s)).ino === inode1);
    expect(recycled === undefined || recycled > log.end().position.segment).toBe(true);

    // Write until the recycled files are in use, a few records into the last one, and reopen:
    // only new records are found, none of the stale ones the file still holds further on.
    await log.append(numbered(100, 200));
    const end = log.end();
    await log.close();
    const again = await openSmall(dir, cursor);
    expect(again.end()).toEqual(end);
    expect(texts(await readAll(again, cursor))).toEqual(labels(80, 220));
    await again.close();
  });

  it("with a consumer that keeps up, each rotation reuses the segment released after it instead of writing a new one", async () => {
    const dir = tempLogDir();
    // A new segment is built under a temp name opened with "wx"; a recycled one is only renamed.
    let created = 0;
    const log = await openSmall(dir, undefined, {
      spareSegments: 2,
      fs: { open: (path, flags) => ((created += path.endsWith(".log.tmp") ? 1 : 0), realFs.open(path, flags)) },
    });
    await log.append(numbered(0, 1));
    await expect.poll(() => log.stats().spareSegments).toBe(2);
    const createdAtStart = created;
    let at = first;
    // 5 records of 116 bytes per round, each read and released before the next: the consumer is
    // never more than a quarter of a 4 KiB segment behind, as an expansion keeping up would be.
    for (let round = 0; round < 48; round += 1) {
      await log.append(numbered(1 + round * 5, 5));
      const records = await readAll(log, at);
      at = (records[records.length - 1] as { next: LogPosition }).next;
      await log.release(at);
      await expect.poll(() => log.stats().spareSegments).toBe(2);
    }
    expect(log.end().position.segment).toBeGreaterThan(6);
    expect(createdAtStart).toBe(3);
    expect(created).toBe(createdAtStart);
    await log.close();
  });

  it("with a consumer a segment or more behind (a flood), keeps making spares: nothing is due back soon", async () => {
    const dir = tempLogDir();
    const log = await openSmall(dir, undefined, { spareSegments: 2 });
    for (let round = 0; round < 6; round += 1) {
      await log.append(numbered(round * 30, 30));
      await expect.poll(() => log.stats().spareSegments).toBe(2);
    }
    expect(log.stats().liveSegments).toBeGreaterThan(3);
    await log.close();
  });

  it("tops the pool up when the segment that was due back cannot be recycled (grown for an oversized record)", async () => {
    const dir = tempLogDir();
    const log = await openSmall(dir, undefined, { spareSegments: 2 });
    await log.append([Buffer.from("small")]);
    await expect.poll(() => log.stats().spareSegments).toBe(2);
    const readToEnd = async (from: LogPosition) => {
      const records = await readAll(log, from);
      const end = (records[records.length - 1] as { next: LogPosition }).next;
      await log.release(end);
      await log.read(end, { maxRecords: 1, maxBytes: 100 }); // the consumer waits at the end
      return end;
    };
    const afterSmall = await readToEnd(first);
    await log.append([Buffer.alloc(10_000, 7)]); // into a spare grown to fit it
    const afterBig = await readToEnd(afterSmall);
    await log.append([Buffer.from("after")]); // leaves the grown segment while its release is due
    await readToEnd(afterBig);
    // The grown segment is deleted, not recycled: the spare it was counted as is made instead.
    await expect.poll(() => log.stats().spareSegments).toBe(2);
    await log.close();
  });

  it("gives a record larger than a segment a segment grown to fit it", async () => {
    const dir = tempLogDir();
    const log = await openSmall(dir, undefined);
    const big = Buffer.alloc(10_000, 7);
    await log.append([Buffer.from("small"), big, Buffer.from("after")]);
    const records = await readAll(log, first, { maxRecords: 10, maxBytes: 100 });
    expect(records.map((r) => r.body.length)).toEqual([5, 10_000, 5]);
    expect(records[1]?.body.equals(big)).toBe(true);
    await log.close();

    const again = await openSmall(dir, undefined);
    expect((await readAll(again, first)).map((r) => r.body.length)).toEqual([5, 10_000, 5]);
    expect(statSync(segmentPath(dir, records[1]?.next.segment ?? 0)).size).toBeGreaterThanOrEqual(10_016);
    await again.close();
  });

  it("never reuses a sequence number, across releases and reopens", async () => {
    const dir = tempLogDir();
    let cursor: LogPosition | undefined;
    const seen = new Set<number>();
    let maxSeen = 0;
    for (let round = 0; round < 4; round += 1) {
      const log = await openSmall(dir, cursor, { spareSegments: 1 });
      await log.append(numbered(round * 100, 100));
      const records = await readAll(log, cursor ?? first);
      cursor = (records[records.length - 1] as { next: LogPosition }).next;
      await log.release(cursor);
      await log.close();
      const now = segmentFiles(dir);
      for (const segment of now.filter((s) => !seen.has(s))) {
        expect(segment).toBeGreaterThan(maxSeen);
      }
      for (const segment of now) seen.add(segment);
      maxSeen = Math.max(maxSeen, ...now);
    }
  });

  it("refuses a start position that does not belong to the directory", async () => {
    const dir = tempLogDir();
    const log = await openSmall(dir, undefined);
    await log.append(numbered(0, 3));
    const records = await readAll(log, first);
    await log.close();
    const code = (start: LogPosition) => openSmall(dir, start).then(() => "opened", (e: unknown) => (isWahookError(e) ? e.code : String(e)));
    expect(await code({ segment: 1, offset: (records[2]?.next.offset ?? 0) + 116 })).toBe("DELIVERY_LOG_POSITION_INVALID"); // beyond the end
    expect(await code({ segment: 1, offset: 5 })).toBe("DELIVERY_LOG_POSITION_INVALID"); // not a boundary
    expect(await code({ segment: 99, offset: 0 })).toBe("DELIVERY_LOG_POSITION_INVALID"); // missing segment
    expect(await code({ segment: 1, offset: records[1]?.next.offset ?? 0 })).toBe("opened");
    expect(await openSmall(tempLogDir(), { segment: 1, offset: 0 }).catch((e: unknown) => isWahookError(e, "DELIVERY_LOG_POSITION_INVALID"))).toBe(true);
  });

  it("release keeps every unconsumed record, and rejects positions outside the live range", async () => {
    const dir = tempLogDir();
    const log = await openSmall(dir, undefined, { spareSegments: 1 });
    let consumed = 0;
    let cursor = first;
    for (let round = 0; round < 8; round += 1) {
      await log.append(numbered(round * 37, 37));
      const pending = await readAll(log, cursor);
      expect(texts(pending)).toEqual(labels(consumed, round * 37 + 37 - consumed));
      const take = Math.floor(pending.length / 2) + round;
      cursor = (pending[take - 1] as { next: LogPosition }).next;
      consumed += take;
      await log.release(cursor);
      const { unreleasedBytes } = log.end();
      expect(unreleasedBytes).toBe((pending.length - take) * 116);
    }
    await expect(log.release({ segment: 1, offset: 0 })).resolves.toBeUndefined(); // behind the cursor: nothing to do
    await expect(log.release({ segment: log.end().position.segment + 5, offset: 0 })).rejects.toMatchObject({ code: "DELIVERY_LOG_POSITION_INVALID" });
    await log.close();
    const again = await openSmall(dir, cursor);
    expect(texts(await readAll(again, cursor))).toEqual(labels(consumed, 8 * 37 - consumed));
    await again.close();
  });
});
