import { dirname } from "node:path";
import { WahookError } from "../../errors.js";
import { acquireLock, currentOwner, probeProcess, type LockOwner } from "./lock-file.js";
import { nodeLogFs, syncDir, type LogFs } from "./log-fs.js";
import { readRecords } from "./log-reader.js";
import { createLogWriter, type WriterState } from "./log-writer.js";
import { recoverLog } from "./recovery.js";
import { closeWhenIdle, newHandle, type SegmentHandle } from "./segment-handle.js";
import { segmentPath } from "./segment-files.js";
import { createSegmentPool } from "./segment-pool.js";
import { comparePositions, formatPosition, type DeliveryLog, type LogPosition } from "./types.js";

export interface DeliveryLogOptions {
  dir: string;
  /** the consumer's durable cursor (a LogRecord's `next`); undefined = a new log, read from its oldest segment */
  start: LogPosition | undefined;
  /** default 64 MiB: few rotations; a bigger record gets a segment grown to fit */
  segmentBytes?: number;
  /** spare segments kept ahead of the writer (new ones empty, recycled ones whole); default 2 */
  spareSegments?: number;
  /**
   * let the next write run during an fdatasync; default false. bench/log-append.mjs (64 callers in
   * a closed loop) showed no gain beyond its run-to-run noise: every caller is already waiting in
   * the current round, so nobody arrives to be written early, and the fdatasync still serializes.
   */
  overlapWrites?: boolean;
  /** fault injection: any operation replaced, the rest from node:fs */
  fs?: Partial<LogFs>;
  /** tests: pretend to be another process */
  lock?: { self?: LockOwner; probe?: (pid: number) => Promise<{ alive: boolean; startTime: string | undefined }> };
}

export interface OpenDeliveryLog extends DeliveryLog {
  /** records found after `start` when the log was opened (recovery counts them while it scans) */
  readonly recoveredRecords: number;
  /** counters for tests and gauges */
  stats(): { writes: number; fdatasyncs: number; records: number; spareSegments: number; liveSegments: number };
}

const MIN_SEGMENT_BYTES = 4096;

export async function openDeliveryLog(options: DeliveryLogOptions): Promise<OpenDeliveryLog> {
  const io: LogFs = { ...nodeLogFs(), ...options.fs };
  const segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024;
  if (!Number.isSafeInteger(segmentBytes) || segmentBytes < MIN_SEGMENT_BYTES) throw new WahookError("CONFIG_INVALID", `delivery log segmentBytes must be an integer >= ${MIN_SEGMENT_BYTES}, got ${segmentBytes}`);
  const { dir } = options;
  try {
    await io.mkdir(dir);
    // The directory itself may be new: its entry in the parent must survive a power loss too.
    await syncDir(io, dirname(dir));
  } catch (error) {
    throw new WahookError("STORE_UNAVAILABLE", `cannot create the delivery log directory ${dir}: ${(error as Error).message}`, { cause: error });
  }
  const releaseLock = await acquireLock(dir, { io, self: options.lock?.self ?? (await currentOwner(io)), probe: options.lock?.probe ?? ((pid) => probeProcess(io, pid)) }).catch((error: unknown) => {
    throw unavailable(dir, error);
  });
  try {
    return await assemble(io, options, segmentBytes, releaseLock);
  } catch (error) {
    await releaseLock().catch(() => undefined);
    throw unavailable(dir, error);
  }
}

/** Our own errors pass; an I/O failure while opening means the log cannot be used (the integrator falls back). */
const unavailable = (dir: string, error: unknown): Error =>
  error instanceof WahookError ? error : new WahookError("STORE_UNAVAILABLE", `cannot open the delivery log in ${dir}: ${(error as Error).message}`, { cause: error });

async function assemble(io: LogFs, options: DeliveryLogOptions, segmentBytes: number, releaseLock: () => Promise<void>): Promise<OpenDeliveryLog> {
  const { dir } = options;
  const recovered = await recoverLog(io, dir, options.start);
  const pool = createSegmentPool({ io, dir, segmentBytes, spareTarget: options.spareSegments ?? 2, spares: recovered?.spares ?? [], maxSeen: recovered?.maxSeen ?? options.start?.segment ?? 0 });
  // A handle's sizeBytes is where the writer rotates: the segment size, whatever the file holds so
  // far (a new segment is created empty and grows with the appends), or more for a segment grown
  // to fit one record larger than that. The pool recycles only segments of exactly segmentBytes.
  const capacity = (fileBytes: number) => Math.max(fileBytes, segmentBytes);
  const openHandle = async (segment: number): Promise<SegmentHandle> => {
    const fd = await io.open(segmentPath(dir, segment), "r+");
    return newHandle(segment, fd, capacity(await io.sizeBytes(fd)));
  };
  for (const handle of recovered?.chain ?? []) handle.sizeBytes = capacity(handle.sizeBytes);
  const chain: SegmentHandle[] = recovered?.chain ?? [await openHandle(await pool.takeNext())];
  const active = chain[chain.length - 1] as SegmentHandle;
  const state: WriterState = { active, offset: recovered?.end.offset ?? 0, lastCrc: recovered?.end.lastCrc ?? 0 };
  let readableEnd: LogPosition = { segment: active.segment, offset: state.offset };
  let releasedTo: LogPosition = options.start ?? { segment: (chain[0] as SegmentHandle).segment, offset: 0 };
  let unreleasedBytes = recovered?.unreleasedBytes ?? 0;
  // The furthest position a read started from: where the consumer is.
  let readFrom: LogPosition = releasedTo;
  let closing: Promise<void> | undefined;

  const writer = createLogWriter({
    io,
    state,
    overlapWrites: options.overlapWrites ?? false,
    rotate: async () => {
      // The consumer reads close behind, inside the segment being left: it releases that one soon
      // (it releases a segment only once its cursor has left it, so the released position says nothing).
      const leaving = chain[chain.length - 1] as SegmentHandle;
      const releaseDue = chain.length === 1 && readFrom.segment === leaving.segment && state.offset - readFrom.offset <= segmentBytes / 4;
      const handle = await openHandle(await pool.takeNext(releaseDue));
      chain.push(handle);
      return handle;
    },
    onDurable: (next, bytes) => {
      readableEnd = next;
      unreleasedBytes += bytes;
    },
  });
  for (const segment of recovered?.released ?? []) pool.retire(segment, segmentBytes).catch(() => undefined);
  pool.topUp();

  const checkOpen = () => {
    if (closing) throw new WahookError("DELIVERY_LOG_CLOSED", "the delivery log was closed: open it again");
  };

  /** Bytes of records between two positions of the live chain. */
  const bytesBetween = (from: LogPosition, to: LogPosition): number => {
    let sum = 0;
    for (const handle of chain) {
      if (handle.segment < from.segment || handle.segment > to.segment) continue;
      const endOffset = handle.segment === to.segment ? to.offset : (handle.sealedBytes ?? 0);
      sum += endOffset - (handle.segment === from.segment ? from.offset : 0);
    }
    return sum;
  };

  return {
    append: (bodies) => writer.append(bodies),
    read: async (from, limits) => {
      checkOpen();
      if (comparePositions(from, readFrom) > 0) readFrom = from;
      return readRecords({ io, chain: () => chain, readableEnd: () => readableEnd }, from, limits);
    },
    release: async (upTo) => {
      checkOpen();
      // Behind the release point: a consumer confirming an older cursor again; nothing to do.
      if (comparePositions(upTo, releasedTo) <= 0) return;
      if (comparePositions(upTo, readableEnd) > 0 || !chain.some((h) => h.segment === upTo.segment)) {
        throw new WahookError("DELIVERY_LOG_POSITION_INVALID", `cannot release the delivery log up to ${formatPosition(upTo)}: the live records lie between ${formatPosition(releasedTo)} and ${formatPosition(readableEnd)}`);
      }
      unreleasedBytes -= bytesBetween(releasedTo, upTo);
      releasedTo = upTo;
      const done: Promise<void>[] = [];
      // A segment goes once the writer has left it and the cursor has passed all of it.
      while (chain.length > 1) {
        const oldest = chain[0] as SegmentHandle;
        const passed = oldest.segment < upTo.segment || (oldest.segment === upTo.segment && upTo.offset === oldest.sealedBytes);
        if (!passed || oldest.sealedBytes === undefined) break;
        chain.shift();
        done.push(closeWhenIdle(io, oldest).then(() => pool.retire(oldest.segment, oldest.sizeBytes)));
      }
      await Promise.all(done);
    },
    end: () => ({ position: readableEnd, unreleasedBytes }),
    close: () => {
      closing ??= (async () => {
        await writer.drain();
        writer.close();
        await pool.close();
        await Promise.all(chain.splice(0).map((handle) => closeWhenIdle(io, handle)));
        await releaseLock();
      })();
      return closing;
    },
    recoveredRecords: recovered?.unreleasedRecords ?? 0,
    stats: () => ({ ...writer.stats(), spareSegments: pool.spareCount(), liveSegments: chain.length }),
  };
}
