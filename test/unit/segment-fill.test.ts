import { mkdirSync, statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { nodeLogFs, type LogFs } from "../../src/store/log/log-fs.js";
import { createSegment, segmentPath, ZERO_CHUNK_BYTES } from "../../src/store/log/segment-files.js";
import { tempLogDir } from "../helpers/delivery-log.js";

/** The real file operations, with the bytes written since the last sync of each fd tracked. */
function recordingFs() {
  const io = nodeLogFs();
  const unsynced = new Map<number, number>();
  let mostUnsyncedBytes = 0;
  let syncs = 0;
  const synced = (fd: number) => {
    syncs += 1;
    unsynced.set(fd, 0);
  };
  const recording: LogFs = {
    ...io,
    write: async (fd, buffer, offset, length, position) => {
      const written = await io.write(fd, buffer, offset, length, position);
      unsynced.set(fd, (unsynced.get(fd) ?? 0) + written);
      mostUnsyncedBytes = Math.max(mostUnsyncedBytes, unsynced.get(fd) ?? 0);
      return written;
    },
    fdatasync: async (fd) => (await io.fdatasync(fd), synced(fd)),
    fsync: async (fd) => (await io.fsync(fd), synced(fd)),
  };
  return { io: recording, stats: () => ({ mostUnsyncedBytes, syncs }) };
}

describe("a new delivery log segment", () => {
  it("is pre-written and synced chunk by chunk, never queueing more than one chunk of zeros for the disk", async () => {
    const dir = tempLogDir();
    mkdirSync(dir, { recursive: true });
    const { io, stats } = recordingFs();
    const sizeBytes = 3 * ZERO_CHUNK_BYTES + 4096;
    await createSegment(io, dir, 7, sizeBytes);
    expect(statSync(segmentPath(dir, 7)).size).toBe(sizeBytes);
    expect(stats().mostUnsyncedBytes).toBeLessThanOrEqual(ZERO_CHUNK_BYTES);
    // 4 chunks, each synced, then the file itself (and its directory, not counted here).
    expect(stats().syncs).toBeGreaterThanOrEqual(5);
  });
});
