import { closeSync, fdatasync as nodeFdatasync, fsyncSync, openSync } from "node:fs";
import { dirname } from "node:path";

/** Resolves once everything committed before the call is on disk. */
export type DurabilityBarrier = () => Promise<void>;

type Fdatasync = (fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => void;

/**
 * Group fsync of the SQLite WAL, off the event loop. Commits run with synchronous=NORMAL: in WAL
 * mode a COMMIT writes its frames to the -wal file without fsync, so it costs microseconds and
 * never blocks the loop on the disk. A caller that must not go on before its commit survives a
 * power loss (the webhook's 200, a send leaving for Graph) awaits sync(): it resolves after an
 * fdatasync of the WAL that began after the call, i.e. after the caller's commit was written.
 * That is exactly what synchronous=FULL does inside COMMIT (sqlite.org/pragma.html#pragma_synchronous,
 * sqlite.org/wal.html), except that here one fdatasync on libuv's thread pool serves every
 * caller who arrived while the previous one ran, and the loop keeps serving requests meanwhile.
 * The WAL is only deleted by the last connection to close, so this fd stays the live file.
 */
export function createWalSync(walPath: string, options: { fdatasync?: Fdatasync } = {}): { sync: DurabilityBarrier; close(): void } {
  const fdatasync = options.fdatasync ?? nodeFdatasync;
  // One at a time: 2 or 4 overlapping fdatasyncs measured the same (docs/BENCHMARKS.md), and
  // one in flight is what makes the callers who arrive meanwhile share the next.
  const maxConcurrent = 1;
  const fd = openSync(walPath, "r");
  // The WAL's directory entry must survive a power loss too; it exists by now, so once is enough.
  const dir = openSync(dirname(walPath), "r");
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }

  let running = 0;
  let waiting: { resolve: () => void; reject: (error: Error) => void }[] = [];

  const start = (): void => {
    running += 1;
    const batch = waiting;
    waiting = [];
    fdatasync(fd, (error) => {
      running -= 1;
      for (const waiter of batch) {
        if (error) waiter.reject(error);
        else waiter.resolve();
      }
      // Whoever arrived during this fdatasync may have committed after it began: one more.
      if (waiting.length > 0 && running < maxConcurrent) start();
    });
  };

  return {
    sync: () =>
      new Promise<void>((resolve, reject) => {
        waiting.push({ resolve, reject });
        if (running < maxConcurrent) start();
      }),
    close: () => closeSync(fd),
  };
}
