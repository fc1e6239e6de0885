import { join } from "node:path";
import { syncDir, writeAll, type LogFs } from "./log-fs.js";

/** 20 digits hold any safe integer, so names sort like the numbers. */
export const segmentFileName = (segment: number): string => `${String(segment).padStart(20, "0")}.log`;

const SEGMENT_NAME = /^(\d{20})\.log$/;
/** Half-written segments get this suffix until they are complete: a crash leaves only garbage to delete. */
const TEMP_SUFFIX = ".log.tmp";
/** The most zeros a new segment puts into the disk's queue before they are synced. */
export const ZERO_CHUNK_BYTES = 1 << 20;

export const segmentPath = (dir: string, segment: number): string => join(dir, segmentFileName(segment));

/** The segment numbers present in dir, ascending; removes the temp files an interrupted creation left. */
export async function listSegments(io: LogFs, dir: string): Promise<number[]> {
  const segments: number[] = [];
  for (const name of await io.readdir(dir)) {
    const match = SEGMENT_NAME.exec(name);
    if (match) segments.push(Number(match[1]));
    else if (name.endsWith(TEMP_SUFFIX)) await io.unlink(join(dir, name));
  }
  return segments.sort((a, b) => a - b);
}

/**
 * Writes zeros over [fromBytes, toBytes) and fsyncs. Zeros really written, not a sparse file or a
 * fallocate: either would leave the first write to each block allocating it or converting an
 * unwritten extent, i.e. a metadata change (journal commit) inside the append's fdatasync. With
 * blocks written and the size fixed, that fdatasync flushes data pages only.
 * Synced chunk by chunk: a single fsync at the end put the whole segment (64 MiB) in the disk's
 * queue at once, and the appends' fdatasyncs, which the 200s wait for, queued behind it. With a
 * flood outrunning the expansion (new segments every few seconds) that was most of the receive
 * path's p99 (docs/BENCHMARKS.md).
 */
async function fillZeros(io: LogFs, fd: number, fromBytes: number, toBytes: number): Promise<void> {
  const zeros = Buffer.alloc(Math.min(ZERO_CHUNK_BYTES, Math.max(toBytes - fromBytes, 0)));
  for (let at = fromBytes; at < toBytes; at += zeros.length) {
    const length = Math.min(zeros.length, toBytes - at);
    await writeAll(io, fd, length === zeros.length ? zeros : zeros.subarray(0, length), at);
    // fsync, not fdatasync: fdatasync stays the appends' barrier alone (fault tests fail just that).
    await io.fsync(fd);
  }
}

/**
 * Creates segment `segment` of sizeBytes, pre-written. Built under a temp name and renamed, then
 * the directory is fsynced: the log never writes a record into a segment whose name (hence whose
 * sequence number, which every record must match) could vanish in a power loss.
 */
export async function createSegment(io: LogFs, dir: string, segment: number, sizeBytes: number): Promise<void> {
  const temp = join(dir, `${String(segment).padStart(20, "0")}${TEMP_SUFFIX}`);
  const fd = await io.open(temp, "wx");
  try {
    await fillZeros(io, fd, 0, sizeBytes);
  } finally {
    await io.close(fd);
  }
  await io.rename(temp, segmentPath(dir, segment));
  await syncDir(io, dir);
}

/** Grows a not-yet-used segment so that a record larger than it fits (the file size is only read at open). */
export async function extendSegment(io: LogFs, fd: number, fromBytes: number, toBytes: number): Promise<void> {
  await fillZeros(io, fd, fromBytes, toBytes);
}

/** Renames a released segment to a new, higher number (its stale records keep the old one) and makes that durable. */
export async function renameSegment(io: LogFs, dir: string, from: number, to: number): Promise<void> {
  await io.rename(segmentPath(dir, from), segmentPath(dir, to));
  await syncDir(io, dir);
}
