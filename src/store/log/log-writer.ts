import { WahookError } from "../../errors.js";
import { writeAll, type LogFs } from "./log-fs.js";
import { encodeRecords, MAX_RECORD_BODY_BYTES, recordBytes } from "./record-codec.js";
import type { SegmentHandle } from "./segment-handle.js";
import type { LogPosition } from "./types.js";

/**
 * Group commit onto the active segment. The durability argument rests on three rules:
 *  1. Writes are serialized and land at increasing offsets: record R's write completes before the
 *     write of any later record starts.
 *  2. An append resolves only after an fdatasync of R's segment that *began after* R's write
 *     completed, so R and, by rule 1, every record before it in that segment are on disk.
 *  3. Nothing is written into segment N+1 before every write into N has been covered by a
 *     completed fdatasync of N (the rotation barrier); an fdatasync of one file says nothing about
 *     another.
 * Hence, after any crash, if record R was acknowledged then every record before R in the log is
 * intact. Contrapositive: whatever follows the first invalid record (torn, missing, garbage) was
 * never acknowledged, so recovery may stop there and overwrite it. The same rules make recovery's
 * step into the next segment safe: valid data at the start of N+1 implies N was complete.
 * With overlapWrites the next write may run while an fdatasync is in flight; rule 2 still holds
 * because each fdatasync only serves the writes completed before it began.
 */
export interface LogWriter {
  append(bodies: readonly Buffer[]): Promise<void>;
  /** resolves when nothing is queued or in flight */
  drain(): Promise<void>;
  /** later appends reject with DELIVERY_LOG_CLOSED */
  close(): void;
  stats(): { writes: number; fdatasyncs: number; records: number };
}

export interface WriterState {
  active: SegmentHandle;
  offset: number;
  lastCrc: number;
}

export interface WriterDeps {
  io: LogFs;
  state: WriterState;
  overlapWrites: boolean;
  /** the next segment of the chain, opened and registered by the log */
  rotate(): Promise<SegmentHandle>;
  /** an append resolved: readers may now see everything before `next`, which is `bytes` further on */
  onDurable(next: LogPosition, bytes: number): void;
}

interface Waiter {
  remaining: number;
  next: LogPosition;
  bytes: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

interface Written {
  fd: number;
  /** each waiter with how many of its records this write carried */
  waiters: { waiter: Waiter; count: number }[];
}

export function createLogWriter(deps: WriterDeps): LogWriter {
  const { io, state } = deps;
  let queue: { body: Buffer; waiter: Waiter }[] = [];
  let writing = false;
  let syncing = false;
  let written: Written[] = [];
  const unsettled = new Set<Waiter>();
  let failure: WahookError | undefined;
  let closed = false;
  const drains: (() => void)[] = [];
  const counts = { writes: 0, fdatasyncs: 0, records: 0 };

  const fail = (error: unknown, what: string): void => {
    // fsyncgate: after a failed fdatasync Linux may mark the dirty pages clean and report the
    // error once; a later fdatasync can then succeed with the data never written. So no later
    // append may be called durable by this log: it stays failed until it is reopened.
    failure ??= new WahookError("DELIVERY_LOG_FAILED", `the delivery log's ${what} failed (${(error as NodeJS.ErrnoException).code ?? String(error)}): it accepts no more appends; answer 500 and reopen the log or fall back to the database journal`, { cause: error });
    for (const waiter of unsettled) waiter.reject(failure);
    unsettled.clear();
    queue = [];
    written = [];
  };

  const mustRotate = (): boolean => {
    const first = queue[0];
    return first !== undefined && state.offset > 0 && recordBytes(first.body.length) > state.active.sizeBytes - state.offset;
  };

  const pump = (): void => {
    if (failure === undefined) {
      const barrier = mustRotate() && (syncing || written.length > 0);
      const mayWrite = deps.overlapWrites || (!syncing && written.length === 0);
      if (!writing && queue.length > 0 && mayWrite && !barrier) void runWrite();
      if (!syncing && written.length > 0) void runSync();
    }
    if (queue.length === 0 && !writing && !syncing && written.length === 0 && !scheduled) {
      for (const done of drains.splice(0)) done();
    }
  };

  /**
   * An idle writer starts on the next turn of the event loop, not at the first append: all the
   * appends of this turn (requests whose bodies completed together, callers resumed by the same
   * fdatasync) then share one write. A busy writer collects the next round meanwhile anyway.
   */
  let scheduled = false;
  const schedulePump = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      pump();
    });
  };

  /** Takes what fits into the active segment, first moving to the next segment or growing an empty one if needed. */
  const takeRoom = async (): Promise<{ body: Buffer; waiter: Waiter }[]> => {
    for (;;) {
      let room = state.active.sizeBytes - state.offset;
      let count = 0;
      while (count < queue.length && recordBytes((queue[count] as { body: Buffer }).body.length) <= room) {
        room -= recordBytes((queue[count] as { body: Buffer }).body.length);
        count += 1;
      }
      if (count > 0) return queue.splice(0, count);
      const needBytes = recordBytes((queue[0] as { body: Buffer }).body.length);
      if (state.offset === 0) {
        // A record larger than a whole segment: this one is still unused, so it may grow to fit
        // (the write itself grows the file; the pool deletes such a segment once released).
        state.active.sizeBytes = needBytes;
        continue;
      }
      state.active.sealedBytes = state.offset;
      state.active = await deps.rotate();
      state.offset = 0;
      state.lastCrc = 0;
    }
  };

  const runWrite = async (): Promise<void> => {
    writing = true;
    try {
      const taken = await takeRoom();
      const segment = state.active.segment;
      const { bytes, lastCrc } = encodeRecords(segment, state.lastCrc, taken.map((t) => t.body));
      const at = state.offset;
      await writeAll(io, state.active.fd, bytes, at);
      counts.writes += 1;
      counts.records += taken.length;
      state.offset = at + bytes.length;
      state.lastCrc = lastCrc;
      let end = at;
      const waiters: Written["waiters"] = [];
      for (const { body, waiter } of taken) {
        end += recordBytes(body.length);
        waiter.next = { segment, offset: end };
        waiter.bytes += recordBytes(body.length);
        const last = waiters[waiters.length - 1];
        if (last?.waiter === waiter) last.count += 1;
        else waiters.push({ waiter, count: 1 });
      }
      if (failure === undefined) written.push({ fd: state.active.fd, waiters });
    } catch (error) {
      fail(error, "write");
    } finally {
      writing = false;
      pump();
    }
  };

  const runSync = async (): Promise<void> => {
    syncing = true;
    const batch = written;
    written = [];
    try {
      // One fd: the rotation barrier keeps every not-yet-synced write in the active segment.
      await io.fdatasync((batch[0] as Written).fd);
      counts.fdatasyncs += 1;
      if (failure !== undefined) return;
      for (const { waiters } of batch) {
        for (const { waiter, count } of waiters) {
          // A waiter spans writes when its bodies crossed into a new segment: it counts its records down.
          waiter.remaining -= count;
          if (waiter.remaining === 0 && unsettled.delete(waiter)) {
            deps.onDurable(waiter.next, waiter.bytes);
            waiter.resolve();
          }
        }
      }
    } catch (error) {
      fail(error, "fdatasync");
    } finally {
      syncing = false;
      pump();
    }
  };

  return {
    append: (bodies) => {
      if (closed) return Promise.reject(new WahookError("DELIVERY_LOG_CLOSED", "the delivery log was closed: open it again"));
      if (failure) return Promise.reject(failure);
      if (bodies.length === 0) return Promise.resolve();
      if (bodies.some((body) => body.length > MAX_RECORD_BODY_BYTES)) return Promise.reject(new RangeError("a delivery log record body is limited to 4 GiB"));
      return new Promise<void>((resolve, reject) => {
        const waiter: Waiter = { remaining: bodies.length, next: { segment: 0, offset: 0 }, bytes: 0, resolve, reject };
        unsettled.add(waiter);
        for (const body of bodies) queue.push({ body, waiter });
        schedulePump();
      });
    },
    drain: () => new Promise<void>((resolve) => {
      drains.push(resolve);
      pump();
    }),
    close: () => {
      closed = true;
    },
    stats: () => ({ ...counts }),
  };
}
