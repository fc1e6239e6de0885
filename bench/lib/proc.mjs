// Child processes of the bench: servers pinned to core 0, load generators to core 1 (taskset
// execs node, so the pid we hold is the node process itself).
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const BENCH = fileURLToPath(new URL("..", import.meta.url));
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const SERVER_CORE = "0";
export const CLIENT_CORE = "1";

export const hasCommand = (name) => spawnSync("sh", ["-c", `command -v ${name}`]).status === 0;

/** Resident set size of a process in MiB (from /proc), or NaN once it is gone. */
export function rssMiB(pid) {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return Number(kb) / 1024;
  } catch {
    return NaN;
  }
}

/** Starts bench/servers/<name>.mjs on the server core; resolves once it prints "READY <port>". */
export function startServer(name, env, { nodeArgs = [] } = {}) {
  const child = spawn("taskset", ["-c", SERVER_CORE, process.execPath, ...nodeArgs, `${BENCH}servers/${name}.mjs`], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (child.kill("SIGKILL"), reject(new Error(`${name} did not start:\n${output}`))), 30_000);
    child.stderr.on("data", (chunk) => (output = (output + chunk).slice(-4000)));
    child.stdout.on("data", (chunk) => {
      output = (output + chunk).slice(-4000);
      const port = /READY (\d+)/.exec(output)?.[1];
      if (!port || child.ready) return;
      child.ready = true;
      clearTimeout(timer);
      resolve({
        pid: child.pid,
        url: `http://127.0.0.1:${port}`,
        port: Number(port),
        output: () => output,
        rss: () => rssMiB(child.pid),
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
          const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
          await exited;
          clearTimeout(killer);
        },
      });
    });
    exited.then((code) => (child.ready ? undefined : (clearTimeout(timer), reject(new Error(`${name} exited (${code}):\n${output}`)))));
  });
}

/** The Node load generator (lib/client.mjs) on the client core; call(cmd, args) -> result. */
export function startClient() {
  const child = spawn("taskset", ["-c", CLIENT_CORE, process.execPath, `${BENCH}lib/client.mjs`], { cwd: ROOT, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const pending = new Map();
  let nextId = 0;
  child.on("message", ({ id, ok, result, error }) => {
    const waiter = pending.get(id);
    pending.delete(id);
    if (ok) waiter?.resolve(result);
    else waiter?.reject(new Error(error));
  });
  child.on("exit", () => pending.forEach((waiter) => waiter.reject(new Error("load generator exited"))));
  return {
    call: (cmd, args = {}) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        child.send({ id, cmd, ...args });
      }),
    stop: () => child.disconnect(),
  };
}

/** Runs a command to completion and returns its stdout (throws on a non-zero exit). */
export function runToEnd(command, args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    child.stderr.on("data", (chunk) => (err += chunk));
    child.once("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} exited ${code}: ${err || out}`))));
  });
}
