import { parseArgs } from "node:util";
import { parseDatabaseUrl } from "../config.js";
import { openStore } from "../store/open-store.js";
import type { Command } from "./commands.js";

const usage = `Usage: wahook migrate

Creates or upgrades the database schema (DATABASE_URL; default: SQLite at data/wahook.db).
\`wahook serve\` does the same at start; several instances migrating at once is safe.
`;

export const migrateCommand: Command = {
  summary: "create or upgrade the database schema",
  usage,
  async run(args, env, io) {
    parseArgs({ args: [...args], options: {}, strict: true });
    const store = await openStore(parseDatabaseUrl(env.DATABASE_URL));
    try {
      await store.migrate();
      io.stdout(`Schema is up to date (${store.dialect}).\n`);
      return 0;
    } finally {
      await store.close();
    }
  },
};
