import { WahookError } from "../../errors.js";
import { readFully, writeAll, type LogFs } from "./log-fs.js";
import { recordBytes } from "./record-codec.js";
import { newHandle, type SegmentHandle } from "./segment-handle.js";
import { listSegments, segmentPath } from "./segment-files.js";
import { scanSegment } from "./segment-scan.js";
import { formatPosition, type LogPosition } from "./types.js";

export interface Recovered {
  /** the live segments from the start position on, opened; all but the last are sealed */
  chain: SegmentHandle[];
  /** where appending resumes (in the last segment of the chain) and the crc the next record chains to */
  end: { offset: number; lastCrc: number };
  /** bytes of records between start and end */
  unreleasedBytes: number;
  /** records between start and end */
  unreleasedRecords: number;
  /** segments before start: consumed, to recycle or delete */
  released: number[];
  /** segments after the chain: never written in this numbering, usable as spares */
  spares: number[];
  maxSeen: number;
}

const invalidStart = (start: LogPosition, why: string) =>
  new WahookError("DELIVERY_LOG_POSITION_INVALID", `the delivery log cannot start at ${formatPosition(start)}: ${why}. The consumer's cursor and the log directory do not belong together (restored from different times?)`);

interface Scanned {
  handle: SegmentHandle;
  endOffset: number;
  lastCrc: number;
  records: number;
  /** records at or after startOffset */
  recordsFromStart: number;
  /** record end offsets, only collected for the start segment */
  hitsStart: boolean;
}

async function scanFromZero(io: LogFs, dir: string, segment: number, startOffset: number): Promise<Scanned> {
  const fd = await io.open(segmentPath(dir, segment), "r+");
  try {
    const sizeBytes = await io.sizeBytes(fd);
    let records = 0;
    let recordsFromStart = 0;
    let hitsStart = startOffset === 0;
    const result = await scanSegment(io, fd, {
      segment,
      segmentBytes: sizeBytes,
      fromOffset: 0,
      untilOffset: sizeBytes,
      prevCrc: 0,
      onRecord: (offset, body) => {
        records += 1;
        if (offset >= startOffset) recordsFromStart += 1;
        if (offset + recordBytes(body.length) === startOffset) hitsStart = true;
        return true;
      },
    });
    return { handle: newHandle(segment, fd, sizeBytes), endOffset: result.endOffset, lastCrc: result.lastCrc ?? 0, records, recordsFromStart, hitsStart };
  } catch (error) {
    await io.close(fd);
    throw error;
  }
}

/**
 * Rewrites the recovered, unconsumed tail in place and fdatasyncs it before any new append. A
 * previous run in this boot may have died on a failed fdatasync: the kernel can then serve those
 * pages from its cache, marked clean but never written, and a new record appended behind them
 * would be acknowledged on top of a hole. Writing them again makes them dirty, so the fdatasync
 * either puts them on disk or fails. Costs one pass over the backlog of the last segment.
 */
async function rewriteTail(io: LogFs, fd: number, fromOffset: number, toOffset: number): Promise<void> {
  if (toOffset <= fromOffset) return;
  const chunk = Buffer.allocUnsafe(Math.min(1 << 20, toOffset - fromOffset));
  for (let at = fromOffset; at < toOffset; at += chunk.length) {
    const part = chunk.subarray(0, Math.min(chunk.length, toOffset - at));
    await readFully(io, fd, part, at);
    await writeAll(io, fd, part, at);
  }
  await io.fdatasync(fd);
}

/**
 * Finds the valid records from `start` on: the start segment is scanned from 0 (which also proves
 * start.offset is a record boundary), then each next segment whose first record is valid joins
 * the chain (the writer's rotation barrier makes that safe, see log-writer.ts); the first segment
 * that does not begin with a valid record, and all after it, are spares.
 */
export async function recoverLog(io: LogFs, dir: string, start: LogPosition | undefined): Promise<Recovered | undefined> {
  const present = await listSegments(io, dir);
  const maxSeen = Math.max(0, start?.segment ?? 0, ...present);
  if (present.length === 0) {
    if (start !== undefined) throw invalidStart(start, "the directory holds no segment");
    return undefined;
  }
  const first = start?.segment ?? (present[0] as number);
  if (!present.includes(first)) throw invalidStart(start as LogPosition, `segment ${first} does not exist (present: ${present[0]}..${present[present.length - 1]})`);
  const startOffset = start?.offset ?? 0;
  const chain: Scanned[] = [];
  try {
    const head = await scanFromZero(io, dir, first, startOffset);
    chain.push(head);
    if (!head.hitsStart) throw invalidStart(start as LogPosition, head.endOffset < startOffset ? `segment ${first}'s valid records end at ${head.endOffset}` : "it is not a record boundary");
    for (const segment of present.filter((s) => s > first)) {
      const next = await scanFromZero(io, dir, segment, 0);
      if (next.records === 0) {
        await io.close(next.handle.fd);
        break;
      }
      chain.push(next);
    }
    const last = chain[chain.length - 1] as Scanned;
    await rewriteTail(io, last.handle.fd, last === head ? startOffset : 0, last.endOffset);
  } catch (error) {
    await Promise.all(chain.map((s) => io.close(s.handle.fd).catch(() => undefined)));
    throw error;
  }
  const last = chain[chain.length - 1] as Scanned;
  for (const scanned of chain) if (scanned !== last) scanned.handle.sealedBytes = scanned.endOffset;
  return {
    chain: chain.map((s) => s.handle),
    end: { offset: last.endOffset, lastCrc: last.lastCrc },
    unreleasedBytes: chain.reduce((sum, s) => sum + s.endOffset, 0) - startOffset,
    unreleasedRecords: chain.reduce((sum, s) => sum + s.recordsFromStart, 0),
    released: present.filter((s) => s < first),
    spares: present.filter((s) => s > last.handle.segment),
    maxSeen,
  };
}
