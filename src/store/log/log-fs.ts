import * as fs from "node:fs";

/**
 * The file operations the log uses, as promises over libuv's thread pool (never a blocking call on
 * the event loop). Injected so that fault tests can fail or count a single operation.
 */
export interface LogFs {
  open(path: string, flags: string): Promise<number>;
  close(fd: number): Promise<void>;
  read(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  write(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  fdatasync(fd: number): Promise<void>;
  fsync(fd: number): Promise<void>;
  sizeBytes(fd: number): Promise<number>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  readdir(dir: string): Promise<string[]>;
  mkdir(dir: string): Promise<void>;
  link(existing: string, target: string): Promise<void>;
  readFile(path: string): Promise<Buffer>;
}

const settle = <T>(resolve: (value: T) => void, reject: (error: Error) => void) => (error: NodeJS.ErrnoException | null, value: T) => (error ? reject(error) : resolve(value));

const call = <T>(start: (done: (error: NodeJS.ErrnoException | null, value: T) => void) => void): Promise<T> =>
  new Promise<T>((resolve, reject) => start(settle(resolve, reject)));

export function nodeLogFs(): LogFs {
  return {
    open: (path, flags) => call((done) => fs.open(path, flags, 0o600, done)),
    close: (fd) => call<void>((done) => fs.close(fd, (error) => done(error, undefined))),
    read: (fd, buffer, offset, length, position) => call((done) => fs.read(fd, buffer, offset, length, position, done)),
    write: (fd, buffer, offset, length, position) => call((done) => fs.write(fd, buffer, offset, length, position, done)),
    fdatasync: (fd) => call<void>((done) => fs.fdatasync(fd, (error) => done(error, undefined))),
    fsync: (fd) => call<void>((done) => fs.fsync(fd, (error) => done(error, undefined))),
    sizeBytes: (fd) => call<number>((done) => fs.fstat(fd, (error, stats) => done(error, stats?.size ?? 0))),
    rename: (from, to) => call<void>((done) => fs.rename(from, to, (error) => done(error, undefined))),
    unlink: (path) => call<void>((done) => fs.unlink(path, (error) => done(error, undefined))),
    readdir: (dir) => call((done) => fs.readdir(dir, done)),
    mkdir: (dir) => call<void>((done) => fs.mkdir(dir, { recursive: true }, (error) => done(error, undefined))),
    link: (existing, target) => call<void>((done) => fs.link(existing, target, (error) => done(error, undefined))),
    readFile: (path) => call((done) => fs.readFile(path, done)),
  };
}

/** Writes the whole range: a regular-file write may still return short (a signal, a full disk). */
export async function writeAll(io: LogFs, fd: number, bytes: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const written = await io.write(fd, bytes, done, bytes.length - done, position + done);
    if (written <= 0) throw Object.assign(new Error(`write returned ${written}`), { code: "EIO" });
    done += written;
  }
}

/** Reads the whole range or fewer bytes only at the end of the file. */
export async function readFully(io: LogFs, fd: number, bytes: Buffer, position: number): Promise<number> {
  let done = 0;
  while (done < bytes.length) {
    const got = await io.read(fd, bytes, done, bytes.length - done, position + done);
    if (got === 0) break;
    done += got;
  }
  return done;
}

/** Makes a directory's entries (a new, renamed or removed file) survive a power loss. */
export async function syncDir(io: LogFs, dir: string): Promise<void> {
  const fd = await io.open(dir, "r");
  try {
    await io.fsync(fd);
  } finally {
    await io.close(fd);
  }
}
