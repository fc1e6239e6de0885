/**
 * Group commit: concurrent requests' writes share one transaction (one fsync) instead of paying
 * one each. No timer: a batch is whatever arrived while the previous transaction was running, or
 * in the same event-loop turn, so a lone request waits for nobody and a busy server gets big batches.
 */
export interface GroupCommitter<T, R> {
  submit(item: T): Promise<R>;
  /** resolves when every submitted item is settled */
  drain(): Promise<void>;
}

export function createGroupCommitter<T, R>(
  write: (items: readonly T[]) => Promise<readonly R[]>,
  options: { maxBatch?: number } = {},
): GroupCommitter<T, R> {
  const maxBatch = options.maxBatch ?? 512;
  let queue: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  let writing: Promise<void> | undefined;
  let scheduled = false;

  const flush = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
      queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch);
      try {
        const results = await write(batch.map((entry) => entry.item));
        batch.forEach((entry, i) => entry.resolve(results[i] as R));
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
    }
    writing = undefined;
  };

  const schedule = () => {
    if (scheduled || writing) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      writing ??= flush();
    });
  };

  return {
    submit(item) {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        schedule();
      });
    },
    async drain() {
      while (writing || scheduled || queue.length > 0) {
        await (writing ?? new Promise((r) => setImmediate(r)));
      }
    },
  };
}
