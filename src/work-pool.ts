/**
 * Bounded concurrency without lock-step batches: a slow job (an LLM call, a Graph call that hangs
 * until its timeout) holds one slot, not the whole batch.
 */
export function createWorkPool(options: { size: number; onSettled?: () => void; onError: (error: unknown) => void }) {
  const inFlight = new Set<Promise<void>>();
  return {
    /** slots free right now */
    free: () => Math.max(0, options.size - inFlight.size),
    waitForSlot: () => (inFlight.size < options.size ? Promise.resolve() : Promise.race(inFlight)),
    run(job: () => Promise<void>) {
      const p: Promise<void> = job()
        .catch(options.onError)
        .finally(() => {
          inFlight.delete(p);
          options.onSettled?.();
        });
      inFlight.add(p);
    },
    drain: async () => {
      while (inFlight.size > 0) await Promise.all(inFlight);
    },
  };
}

/**
 * Resolves on a later turn of the event loop, after pending I/O callbacks. A worker loop whose
 * store calls resolve without real I/O (SQLite is synchronous) would otherwise keep the loop busy
 * in microtasks and delay the webhook's acknowledgements, which Meta retries when they are slow.
 */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
