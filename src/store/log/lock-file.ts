import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { WahookError } from "../../errors.js";
import type { LogFs } from "./log-fs.js";

export const LOCK_FILE_NAME = "wahook-log.lock";

/** Who holds a lock: a pid alone is not enough, pids are reused after the owner dies. */
export interface LockOwner {
  pid: number;
  /** Linux: field 22 of /proc/<pid>/stat (clock ticks after boot); undefined where there is no /proc */
  startTime: string | undefined;
}

export interface LockDeps {
  io: LogFs;
  self: LockOwner;
  /** the owner's start time now, undefined when the pid is not running; used to tell a live owner from a reused pid */
  probe(pid: number): Promise<{ alive: boolean; startTime: string | undefined }>;
}

/** Field 22 of /proc/<pid>/stat. The command name (field 2) may hold spaces and ')', so count from the last ')'. */
export const parseStartTime = (stat: string): string | undefined => stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];

export async function probeProcess(io: LogFs, pid: number): Promise<{ alive: boolean; startTime: string | undefined }> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to another user, which still makes it a live owner.
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return { alive: false, startTime: undefined };
  }
  try {
    return { alive: true, startTime: parseStartTime((await io.readFile(`/proc/${pid}/stat`)).toString("latin1")) };
  } catch {
    return { alive: true, startTime: undefined };
  }
}

export async function currentOwner(io: LogFs): Promise<LockOwner> {
  return { pid: process.pid, startTime: (await probeProcess(io, process.pid)).startTime };
}

const isStale = async (deps: LockDeps, owner: LockOwner | undefined): Promise<boolean> => {
  if (!owner) return true; // unreadable content: only a crash between our write and link could leave it, and link makes that impossible
  const now = await deps.probe(owner.pid);
  if (!now.alive) return true;
  // The pid runs, but a different process if it started at another time (pid reuse after a reboot or wrap).
  return owner.startTime !== undefined && now.startTime !== undefined && owner.startTime !== now.startTime;
};

const parseOwner = (text: string): LockOwner | undefined => {
  try {
    const value = JSON.parse(text) as { pid?: unknown; startTime?: unknown };
    if (typeof value.pid !== "number") return undefined;
    return { pid: value.pid, startTime: typeof value.startTime === "string" ? value.startTime : undefined };
  } catch {
    return undefined;
  }
};

/**
 * Takes the directory's lock, or throws DELIVERY_LOG_LOCKED while a live process holds it (this
 * one included: a second open in the same process is refused too). The lock content is written to
 * a private temp file first and then link()ed into place: link fails with EEXIST like O_EXCL, and
 * nobody can ever see a lock file that exists but is still empty. A stale lock (owner dead, or its
 * pid now belongs to a process with another start time) is removed and the link retried, as
 * PostgreSQL does with postmaster.pid; like there, two processes taking over the same stale lock
 * at the same instant is not excluded, so the caller re-reads the lock after taking it.
 * Returns the function that releases it.
 */
export async function acquireLock(dir: string, deps: LockDeps): Promise<() => Promise<void>> {
  const { io } = deps;
  const lockPath = join(dir, LOCK_FILE_NAME);
  const content = JSON.stringify({ pid: deps.self.pid, startTime: deps.self.startTime, token: randomBytes(8).toString("hex") });
  const temp = join(dir, `${LOCK_FILE_NAME}.${deps.self.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const fd = await io.open(temp, "wx");
  try {
    await io.write(fd, Buffer.from(content), 0, Buffer.byteLength(content), 0);
    await io.fsync(fd);
  } finally {
    await io.close(fd);
  }
  try {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await io.link(temp, lockPath);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt >= 5) throw error;
      }
      let text: string;
      try {
        text = (await io.readFile(lockPath)).toString("utf8");
      } catch {
        continue; // released between our link and our read: try again
      }
      const owner = parseOwner(text);
      if (!(await isStale(deps, owner))) {
        throw new WahookError(
          "DELIVERY_LOG_LOCKED",
          `the delivery log in ${dir} is in use by process ${owner?.pid ?? "?"}: run one wahook per log directory (stop the other one, or give this one its own directory); if that process is not wahook, remove ${lockPath}`,
        );
      }
      await io.unlink(lockPath).catch(() => undefined);
    }
  } finally {
    await io.unlink(temp).catch(() => undefined);
  }
  if ((await io.readFile(lockPath)).toString("utf8") !== content) {
    throw new WahookError("DELIVERY_LOG_LOCKED", `the delivery log in ${dir} was taken over by another process at the same moment; retry`);
  }
  return async () => {
    // Only remove it if it is still ours: never delete a successor's lock.
    const now = await io.readFile(lockPath).catch(() => Buffer.alloc(0));
    if (now.toString("utf8") === content) await io.unlink(lockPath);
  };
}
