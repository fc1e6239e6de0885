import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

// CommonJS run by the worker thread itself (eval), so the same code serves dist/ and the tests.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
if (workerData.nice !== 0) {
  // Linux gives each thread its own nice value; /proc/thread-self names this thread's id.
  try {
    const tid = Number(require("node:fs").readlinkSync("/proc/thread-self").split("/").pop());
    require("node:os").setPriority(tid, workerData.nice);
  } catch {}
}
const Database = require(workerData.driverPath);
const db = new Database(workerData.path, { timeout: workerData.busyTimeoutMs });
db.pragma("synchronous = NORMAL");
let timer;
const tick = () => {
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
  } catch (error) {
    parentPort.postMessage({ error: String((error && error.message) || error) });
  }
  timer = setTimeout(tick, workerData.everyMs);
};
parentPort.on("message", () => {
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
tick();
`;

/**
 * Checkpoints the WAL from a worker thread with its own connection. SQLite's automatic
 * checkpoint runs inside whichever COMMIT crosses 1000 pages, on the committing thread, and
 * fsyncs the WAL and the database there: on the event loop that was a pause of milliseconds
 * every few hundred webhooks (the bench's p99). A PASSIVE checkpoint never takes the writer's
 * lock (sqlite.org/wal.html#ckpt), so the loop's commits go on while it copies pages; once it
 * has caught up, the next writer restarts the WAL from its start, so the file stops growing and
 * the barrier's fdatasync overwrites blocks in place instead of allocating new ones.
 */
export function startCheckpointer(options: {
  path: string;
  busyTimeoutMs: number;
  everyMs?: number;
  /** the thread's nice value (Linux): behind the event loop when both want the CPU */
  nice?: number;
  onError: (message: string) => void;
  /** the thread ended without stop(): the caller must checkpoint some other way */
  onExit: () => void;
}): { stop(): Promise<void> } {
  const driverPath = createRequire(import.meta.url).resolve("better-sqlite3");
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { driverPath, path: options.path, busyTimeoutMs: options.busyTimeoutMs, everyMs: options.everyMs ?? 10, nice: options.nice ?? 10 },
  });
  worker.on("message", (message: { error?: string }) => options.onError(message.error ?? "unknown checkpoint error"));
  worker.on("error", (error) => options.onError(error.message));
  // Never keeps the process alive on its own: the store's close() stops it.
  worker.unref();
  let stopping = false;
  const exited = new Promise<void>((resolve) =>
    worker.once("exit", () => {
      if (!stopping) options.onExit();
      resolve();
    }),
  );
  return {
    stop() {
      if (!stopping) worker.postMessage("stop");
      stopping = true;
      return exited;
    },
  };
}
