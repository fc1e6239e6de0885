import { syncDir, type LogFs } from "./log-fs.js";
import { createSegment, renameSegment, segmentPath } from "./segment-files.js";

/**
 * Spare segments, ready before the writer needs them, and the fate of released ones. A spare is a
 * segment file already named with a future sequence number (new: empty, grown by the appends;
 * recycled: written whole, holding stale records of older numbers). Every new number is one more
 * than the highest ever seen in the directory or in the consumer's cursor, so a file's name is
 * always at least the number of every record inside it, and no stale record can ever match the
 * segment it lies in. All directory changes run one at a time: they pick numbers and count spares.
 */
export interface SegmentPool {
  /**
   * the lowest spare, creating one now if there is none; removed from the pool. `releaseDue`: the
   * segment being left will be released soon (the consumer is inside it), so it counts as a spare
   */
  takeNext(releaseDue?: boolean): Promise<number>;
  /** a released segment (its fd closed): recycled as a spare while the pool is short, else deleted */
  retire(segment: number, sizeBytes: number): Promise<void>;
  /** starts filling the pool in the background */
  topUp(): void;
  spareCount(): number;
  /** waits for the background work; its failures were already reported through takeNext */
  close(): Promise<void>;
}

export function createSegmentPool(deps: { io: LogFs; dir: string; segmentBytes: number; spareTarget: number; spares: readonly number[]; maxSeen: number }): SegmentPool {
  const { io, dir, segmentBytes, spareTarget } = deps;
  const spares = [...deps.spares].sort((a, b) => a - b);
  let maxSeen = Math.max(deps.maxSeen, ...spares);
  let queue: Promise<unknown> = Promise.resolve();
  let toppingUp = false;
  let closed = false;

  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const result = queue.then(task);
    queue = result.catch(() => undefined);
    return result;
  };

  const createSpare = async (): Promise<void> => {
    const segment = maxSeen + 1;
    // Counted as seen before the file exists: even a half-created number is never handed out twice.
    maxSeen = segment;
    await createSegment(io, dir, segment);
    spares.push(segment);
  };

  // A segment about to come back is recycled instead of a new one made: its blocks are allocated,
  // so the appends into it sync data pages only, and nothing is deleted. When new segments were
  // pre-written with zeros, a consumer keeping up made every rotation write one (64 MiB and 64
  // fsyncs) and delete the segment released a moment later, and two of the spells of late
  // replies measured at 2,000 msg/s fell on one (docs/BENCHMARKS.md). Counted once at most, and
  // only when the consumer is close behind (delivery-log.ts): under a flood it may release
  // nothing for a while.
  const topUp = (releaseDue = false): void => {
    const target = spareTarget - (releaseDue ? 1 : 0);
    if (toppingUp || closed || spares.length >= target) return;
    toppingUp = true;
    void serial(async () => {
      while (!closed && spares.length < target) await createSpare();
    })
      // A failure here (disk full) shows up where it matters: takeNext creates on demand and throws.
      .catch(() => undefined)
      .finally(() => {
        toppingUp = false;
      });
  };

  return {
    takeNext: async (releaseDue = false) => {
      const segment = await serial(async () => {
        if (spares.length === 0) await createSpare();
        return spares.shift() as number;
      });
      topUp(releaseDue);
      return segment;
    },
    retire: (segment, sizeBytes) =>
      serial(async () => {
        if (!closed && spares.length < spareTarget && sizeBytes === segmentBytes) {
          const target = maxSeen + 1;
          maxSeen = target;
          await renameSegment(io, dir, segment, target);
          spares.push(target);
          return;
        }
        await io.unlink(segmentPath(dir, segment));
        // Without this a power loss could bring the file back; harmless under a cursor past it,
        // but an "undefined = read everything" reopen would then see a gap in the chain.
        await syncDir(io, dir);
        // Not recycled after all (grown for an oversized record, say): the pool may be short.
        // (topUp queues behind this task; it does not wait for it.)
        if (!closed && spares.length < spareTarget) topUp();
      }),
    topUp,
    spareCount: () => spares.length,
    close: async () => {
      closed = true;
      await serial(async () => undefined);
    },
  };
}
