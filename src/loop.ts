import type { Logger } from "pino";

export interface Loop {
  start(): void;
  /** runs the next tick now instead of after the idle wait (new work was just recorded) */
  wake(): void;
  /** resolves once the running tick has finished; no tick starts after */
  stop(): Promise<void>;
}

/**
 * Drives a database-polling worker: tick again at once while a tick found work, otherwise sleep
 * idleMs or until woken. Polling (not only waking) is what lets another instance's work, and
 * work left by a crashed process, be picked up.
 */
export function createLoop(options: {
  name: string;
  tick: () => Promise<number>;
  idleMs: number;
  errorBackoffMs?: number;
  logger: Logger;
  /** awaited before every tick: lets background work give way to the webhook (load-gate.ts) */
  beforeTick?: () => Promise<void>;
}): Loop {
  let running = false;
  let current: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let wakeUp: (() => void) | undefined;
  // a wake that arrives mid-tick must not be lost, or fresh work would wait a whole idle period
  let woken = false;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      wakeUp = resolve;
      timer = setTimeout(resolve, ms);
    }).finally(() => {
      clearTimeout(timer);
      wakeUp = undefined;
    });

  const run = async () => {
    while (running) {
      let waitMs = 0;
      try {
        if (options.beforeTick) await options.beforeTick();
        if (!running) break;
        const done = await options.tick();
        if (done === 0) waitMs = options.idleMs;
      } catch (error) {
        options.logger.error({ err: error, loop: options.name }, "worker tick failed; retrying");
        waitMs = options.errorBackoffMs ?? 1000;
      }
      if (running && waitMs > 0 && !woken) await sleep(waitMs);
      woken = false;
    }
  };

  return {
    start() {
      if (running) return;
      running = true;
      current = run();
    },
    wake() {
      woken = true;
      wakeUp?.();
    },
    async stop() {
      running = false;
      wakeUp?.();
      await current;
    },
  };
}
