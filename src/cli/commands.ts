import type { Env } from "../config.js";
import type { CliIo } from "./io.js";
import { demoCommand } from "./demo.js";
import { migrateCommand } from "./migrate.js";
import { outboxCommand } from "./outbox.js";
import { serveCommand } from "./serve.js";
import { signCommand } from "./sign.js";
import { simulateCommand } from "./simulate.js";
import { verifyUrlCommand } from "./verify-url.js";

/**
 * One CLI command. `run` gets the arguments after the command name (main handles --help before
 * calling it) and returns the exit code. Usage mistakes throw WahookError CLI_USAGE, or let
 * node:util parseArgs throw; main turns both into exit code 2.
 */
export interface Command {
  /** one line for `wahook --help` */
  summary: string;
  /** the full text of `wahook <command> --help` */
  usage: string;
  run(args: readonly string[], env: Env, io: CliIo): Promise<number>;
}

/** The registry main dispatches on; a new command is one import and one line here. */
export const commands: Readonly<Record<string, Command>> = {
  serve: serveCommand,
  demo: demoCommand,
  simulate: simulateCommand,
  sign: signCommand,
  "verify-url": verifyUrlCommand,
  outbox: outboxCommand,
  migrate: migrateCommand,
};
