/**
 * How busy the webhook is, for the background stages (expansion, bot, sender) to give way. A
 * delivery is "in flight" from its body being read until its answer; Meta waits on each one and
 * retries slow answers, while a reply that starts a few milliseconds later costs nothing. So when
 * many deliveries are in flight, a background tick waits until they drop below the threshold,
 * but never longer than maxWaitMs: under a sustained flood the bot still moves every maxWaitMs.
 */
export interface LoadGate {
  enter(): void;
  leave(): void;
  /** resolves when fewer than `busyAt` deliveries are in flight, or after maxWaitMs */
  quiet(): Promise<void>;
}

export function createLoadGate(options: { busyAt: number; maxWaitMs: number }): LoadGate {
  let inFlight = 0;
  let waiting: (() => void)[] = [];
  const release = () => {
    const ready = waiting;
    waiting = [];
    for (const resolve of ready) resolve();
  };
  return {
    enter() {
      inFlight += 1;
    },
    leave() {
      inFlight -= 1;
      if (inFlight < options.busyAt && waiting.length > 0) release();
    },
    quiet() {
      if (inFlight < options.busyAt) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          waiting = waiting.filter((w) => w !== done);
          resolve();
        }, options.maxWaitMs);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        waiting.push(done);
      });
    },
  };
}
