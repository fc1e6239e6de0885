import { mkdirSync, readdirSync, statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { nodeLogFs, type LogFs } from "../../src/store/log/log-fs.js";
import { createSegment, segmentPath } from "../../src/store/log/segment-files.js";
import { tempLogDir } from "../helpers/delivery-log.js";

describe("a new delivery log segment", () => {
  it("is created empty (no bytes written: the appends grow it), synced, and named only once complete", async () => {
    const dir = tempLogDir();
    mkdirSync(dir, { recursive: true });
    const io = nodeLogFs();
    const calls: string[] = [];
    let bytesWritten = 0;
    const counting: LogFs = {
      ...io,
      write: async (fd, buffer, offset, length, position) => ((bytesWritten += length), io.write(fd, buffer, offset, length, position)),
      fsync: async (fd) => (calls.push("fsync"), io.fsync(fd)),
      rename: async (from, to) => (calls.push("rename"), io.rename(from, to)),
    };
    await createSegment(counting, dir, 7);
    expect(bytesWritten).toBe(0);
    expect(statSync(segmentPath(dir, 7)).size).toBe(0);
    expect(readdirSync(dir)).toEqual(["00000000000000000007.log"]);
    // The file is synced under its temp name, then renamed, then the directory is synced.
    expect(calls).toEqual(["fsync", "rename", "fsync"]);
  });
});
