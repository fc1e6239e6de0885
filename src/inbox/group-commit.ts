/**
 * Group commit: concurrent requests' writes share one transaction (one fsync) instead of paying
 * one each. No timer: a batch is whatever arrived in the same event-loop turn, or while earlier
 * batches were being written, so a lone request waits for nobody and a busy server gets big
 * batches. With maxInFlight > 1 a new batch may start while earlier ones still wait for their
 * fsync (the store's barrier then covers several batches with one fdatasync).
 */
export interface GroupCommitter<T, R> {
  submit(item: T): Promise<R>;
  /** resolves when every submitted item is settled */
  drain(): Promise<void>;
}

interface Entry<T, R> {
  item: T;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

export function createGroupCommitter<T, R>(
  write: (items: readonly T[]) => Promise<readonly R[]>,
  options: { maxBatch?: number; maxInFlight?: number } = {},
): GroupCommitter<T, R> {
  const maxBatch = options.maxBatch ?? 512;
  const maxInFlight = options.maxInFlight ?? 1;
  let queue: Entry<T, R>[] = [];
  let inFlight = 0;
  let scheduled = false;
  let idle: (() => void)[] = [];

  const run = async (batch: Entry<T, R>[]): Promise<void> => {
    inFlight += 1;
    try {
      const results = await write(batch.map((entry) => entry.item));
      batch.forEach((entry, i) => entry.resolve(results[i] as R));
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    } finally {
      inFlight -= 1;
      pump();
    }
  };

  const pump = (): void => {
    while (queue.length > 0 && inFlight < maxInFlight) {
      const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
      queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch);
      void run(batch);
    }
    if (queue.length === 0 && inFlight === 0 && !scheduled) {
      const waiting = idle;
      idle = [];
      for (const resolve of waiting) resolve();
    }
  };

  return {
    submit(item) {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        if (scheduled) return;
        scheduled = true;
        setImmediate(() => {
          scheduled = false;
          pump();
        });
      });
    },
    drain() {
      if (queue.length === 0 && inFlight === 0 && !scheduled) return Promise.resolve();
      return new Promise<void>((resolve) => idle.push(resolve));
    },
  };
}
