import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { WahookError } from "../errors.js";

/**
 * Everything a CLI command may touch in the outside world. Commands take this instead of the
 * global `process`, so tests run them in-process with a capturing io and a fake fetch.
 */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** the whole of standard input, as bytes (signatures are over bytes, never decoded text) */
  readStdin(): Promise<Buffer>;
  fetch: typeof fetch;
  /** relative file arguments resolve against this */
  cwd: string;
  /** resolves with the signal's name at the first SIGINT or SIGTERM (long-running commands wait on it) */
  untilShutdown(): Promise<string>;
}

/** The parts of Node's `process` that processIo wraps; bin.ts passes the real one. */
export type ProcessLike = Pick<NodeJS.Process, "stdout" | "stderr" | "stdin" | "cwd" | "once">;

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

/** The io of a real process. Takes `process` as an argument so only bin.ts names the global. */
export function processIo(proc: ProcessLike): CliIo {
  return {
    stdout: (text) => void proc.stdout.write(text),
    stderr: (text) => void proc.stderr.write(text),
    readStdin: () => readAll(proc.stdin),
    fetch: globalThis.fetch.bind(globalThis),
    cwd: proc.cwd(),
    untilShutdown: () =>
      new Promise((resolve) => {
        // Listening replaces Node's default exit-on-signal, so the command can close cleanly first.
        for (const signal of ["SIGINT", "SIGTERM"] as const) proc.once(signal, () => resolve(signal));
      }),
  };
}

/**
 * The exact bytes of a file argument, or of stdin for "-". Read as bytes because a signature is
 * over bytes: decoding and re-encoding could change them (BOM, invalid UTF-8, line endings).
 */
export async function readInput(io: CliIo, file: string): Promise<Buffer> {
  if (file === "-") return io.readStdin();
  const path = resolve(io.cwd, file);
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EISDIR" || code === "EACCES") {
      throw new WahookError("CLI_USAGE", `cannot read ${path} (${code}).`, { cause: error });
    }
    throw error;
  }
}
