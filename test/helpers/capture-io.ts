import type { CliIo } from "../../src/cli/io.js";

/** A CliIo that records output, serves canned stdin, and shuts down only when told to. */
export function captureIo(options: { stdin?: string | Buffer; fetch?: typeof fetch; cwd?: string } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  let stdinReads = 0;
  let shutdown: (signal: string) => void = () => undefined;
  const stopped = new Promise<string>((resolve) => {
    shutdown = resolve;
  });
  const io: CliIo = {
    stdout: (text) => void out.push(text),
    stderr: (text) => void err.push(text),
    readStdin: async () => {
      stdinReads += 1;
      return Buffer.from(options.stdin ?? "");
    },
    fetch: options.fetch ?? globalThis.fetch,
    cwd: options.cwd ?? process.cwd(),
    untilShutdown: () => stopped,
  };
  return {
    io,
    stdout: () => out.join(""),
    stderr: () => err.join(""),
    stdinReads: () => stdinReads,
    /** what a SIGINT would do to a long-running command */
    shutdown: (signal = "SIGINT") => shutdown(signal),
  };
}
