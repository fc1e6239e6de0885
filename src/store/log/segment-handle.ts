import type { LogFs } from "./log-fs.js";

/** An open segment of the live chain (from the release point to the active one). */
export interface SegmentHandle {
  segment: number;
  fd: number;
  sizeBytes: number;
  /** where its records end once the writer has moved on; undefined while it is the active segment */
  sealedBytes: number | undefined;
  /** reads in flight: the fd is closed only when they are done, so a recycled fd number is never read by mistake */
  readers: number;
  released: boolean;
  onIdle: (() => void) | undefined;
}

export const newHandle = (segment: number, fd: number, sizeBytes: number): SegmentHandle => ({
  segment,
  fd,
  sizeBytes,
  sealedBytes: undefined,
  readers: 0,
  released: false,
  onIdle: undefined,
});

/** Closes the fd once the reads in flight on it have finished. */
export async function closeWhenIdle(io: LogFs, handle: SegmentHandle): Promise<void> {
  handle.released = true;
  if (handle.readers > 0) await new Promise<void>((resolve) => (handle.onIdle = resolve));
  await io.close(handle.fd);
}

/** Runs a read on the handle's fd, holding it open meanwhile. */
export async function withReader<T>(handle: SegmentHandle, read: (fd: number) => Promise<T>): Promise<T> {
  handle.readers += 1;
  try {
    return await read(handle.fd);
  } finally {
    handle.readers -= 1;
    if (handle.readers === 0) handle.onIdle?.();
  }
}
