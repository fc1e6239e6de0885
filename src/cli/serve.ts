import { parseArgs } from "node:util";
import { parseConfig } from "../config.js";
import { createLogger } from "../logger.js";
import { startServer } from "../server.js";
import type { Command } from "./commands.js";

const usage = `Usage: wahook serve

Runs the webhook server in the foreground (what \`npm start\` runs): verifies and records every
delivery before answering 200, runs the bot, sends replies through the outbox. Creates or migrates
the database schema at start. SIGTERM or SIGINT stops it gracefully: no new requests, in-flight
work finishes (SHUTDOWN_TIMEOUT_MS at most), leases are released, exit 0.

Environment (see README > Configuration): APP_SECRET and VERIFY_TOKEN are required;
ACCESS_TOKEN to send replies; PORT, HOST, DATABASE_URL, BOT, LOG_LEVEL, ...
`;

export const serveCommand: Command = {
  summary: "run the webhook server (what `npm start` runs)",
  usage,
  async run(args, env, io) {
    parseArgs({ args: [...args], options: {}, strict: true });
    const config = parseConfig(env);
    const logger = createLogger(config.logLevel, { write: (line: string) => io.stdout(line) });
    const server = await startServer(config, { logger, cwd: io.cwd, fetch: io.fetch });
    const signal = await io.untilShutdown();
    logger.info({ signal }, "shutting down");
    await server.close();
    logger.info("stopped");
    return 0;
  },
};
