/**
 * A child process for the delivery log's crash and lock tests (run through tsx):
 *   append <dir> <run>  appends "<run>:<n>" records as fast as it can, 16 in flight, and prints n
 *                       once that append resolved (stdout to a pipe is synchronous on Linux, so a
 *                       printed number was acknowledged before any SIGKILL can land).
 *   hold <dir>          opens the log, prints "open" and waits to be killed.
 */
import { openDeliveryLog } from "../../src/store/log/delivery-log.js";

const [mode, dir, run] = process.argv.slice(2);
const log = await openDeliveryLog({ dir: dir as string, start: undefined, segmentBytes: 64 * 1024, spareSegments: 2 });
if (mode === "hold") {
  process.stdout.write("open\n");
  setInterval(() => undefined, 60_000);
} else {
  let next = 0;
  const one = async (): Promise<void> => {
    for (;;) {
      const n = next++;
      // Lengths vary so that records straddle segment ends in every possible way.
      const body = Buffer.from(`${run}:${n}:`.padEnd(20 + ((n * 7919) % 900), "x"));
      await log.append([body]);
      process.stdout.write(`${n}\n`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, one));
}
