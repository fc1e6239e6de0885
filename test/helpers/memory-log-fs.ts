import type { LogFs } from "../../src/store/log/log-fs.js";

/** The read side of LogFs over one in-memory file (fd 1), for scanner tests without a disk. */
export function memoryFile(bytes: Buffer): Pick<LogFs, "read"> {
  return {
    read: async (_fd, buffer, offset, length, position) => {
      const end = Math.min(bytes.length, position + length);
      if (end <= position) return 0;
      return bytes.copy(buffer, offset, position, end);
    },
  };
}
