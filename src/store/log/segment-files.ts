import { join } from "node:path";
import { syncDir, type LogFs } from "./log-fs.js";

/** 20 digits hold any safe integer, so names sort like the numbers. */
export const segmentFileName = (segment: number): string => `${String(segment).padStart(20, "0")}.log`;

const SEGMENT_NAME = /^(\d{20})\.log$/;
/** Half-written segments get this suffix until they are complete: a crash leaves only garbage to delete. */
const TEMP_SUFFIX = ".log.tmp";

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
 * Creates segment `segment`, empty: the appends grow it up to the log's segment size, so its
 * blocks are allocated by the writes themselves and each append's fdatasync also commits the new
 * size (ext4: a journal commit). New segments used to be pre-written with zeros and synced 1 MiB
 * at a time, so that fdatasync flushed data pages only; but under a flood (the expansion far
 * behind, nothing released, every segment new) that wrote every byte twice: the receive
 * path's 30 KB cell took 206 / 198 / 208 µs of CPU per request with zeros against 184 / 179 / 186
 * without, while at 1.2 KB the two were within the noise (docs/BENCHMARKS.md). Released segments
 * are still reused whole (segment-pool.ts): with the expansion keeping up the appends overwrite
 * blocks already allocated.
 * Built under a temp name and renamed, then the directory is fsynced: the log never writes a
 * record into a segment whose name (hence whose sequence number, which every record must match)
 * could vanish in a power loss.
 */
export async function createSegment(io: LogFs, dir: string, segment: number): Promise<void> {
  const temp = join(dir, `${String(segment).padStart(20, "0")}${TEMP_SUFFIX}`);
  const fd = await io.open(temp, "wx");
  try {
    await io.fsync(fd);
  } finally {
    await io.close(fd);
  }
  await io.rename(temp, segmentPath(dir, segment));
  await syncDir(io, dir);
}

/** Renames a released segment to a new, higher number (its stale records keep the old one) and makes that durable. */
export async function renameSegment(io: LogFs, dir: string, from: number, to: number): Promise<void> {
  await io.rename(segmentPath(dir, from), segmentPath(dir, to));
  await syncDir(io, dir);
}
