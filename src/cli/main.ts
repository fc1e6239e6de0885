import type { Env } from "../config.js";
import { isWahookError } from "../errors.js";
import { commands, type Command } from "./commands.js";
import type { CliIo } from "./io.js";

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

const isHelpFlag = (arg: string): boolean => arg === "--help" || arg === "-h";

function overview(): string {
  const names = Object.keys(commands);
  const width = Math.max(...names.map((name) => name.length));
  const lines = Object.entries(commands).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`);
  return [
    "Usage: wahook <command> [options]",
    "",
    "Commands:",
    ...lines,
    "",
    "Run 'wahook <command> --help' for the options of a command.",
    "Settings come from the environment and from .env in the current directory.",
    "",
  ].join("\n");
}

// node:util parseArgs reports unknown flags, missing values and stray positionals with these codes.
const isParseArgsError = (error: unknown): error is Error =>
  error instanceof Error && String((error as NodeJS.ErrnoException).code ?? "").startsWith("ERR_PARSE_ARGS");

function usageError(io: CliIo, message: string, hint: string): number {
  io.stderr(`wahook: ${message}\n${hint}\n`);
  return EXIT_USAGE;
}

async function runCommand(name: string, command: Command, args: readonly string[], env: Env, io: CliIo): Promise<number> {
  // Everything after a bare "--" is an operand, so `wahook sign -- --help` signs a file named --help.
  const beforeOperands = args.indexOf("--") === -1 ? args : args.slice(0, args.indexOf("--"));
  if (beforeOperands.some(isHelpFlag)) {
    io.stdout(`${command.usage.trimEnd()}\n`);
    return EXIT_OK;
  }
  const hint = `Run 'wahook ${name} --help' for usage.`;
  try {
    return await command.run(args, env, io);
  } catch (error) {
    if (isParseArgsError(error) || isWahookError(error, "CLI_USAGE")) return usageError(io, `${name}: ${error.message}`, hint);
    if (isWahookError(error)) {
      io.stderr(`wahook ${name}: ${error.message}\n(${error.code}; see ${error.docsUrl})\n`);
      return EXIT_FAILURE;
    }
    // A bug, not a user mistake: keep the stack so it can be reported.
    io.stderr(`wahook ${name}: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT_FAILURE;
  }
}

/** The whole CLI as a function: arguments, environment and io in, exit code out. */
export async function main(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) return usageError(io, "no command given.", overview().trimEnd());
  if (isHelpFlag(first)) {
    io.stdout(overview());
    return EXIT_OK;
  }
  if (first === "help") {
    const topic = rest[0];
    if (topic === undefined) return main(["--help"], env, io);
    return main([topic, "--help"], env, io);
  }
  const command = Object.hasOwn(commands, first) ? commands[first] : undefined;
  if (command === undefined) {
    return usageError(io, `unknown command '${first}'.`, "Run 'wahook --help' to list the commands.");
  }
  return runCommand(first, command, rest, env, io);
}
