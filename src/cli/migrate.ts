import { parseArgs } from "node:util";
import type { Command } from "./commands.js";
import { withCliStore } from "./open-store.js";

const usage = `Usage: wahook migrate

Creates or upgrades the database schema (DATABASE_URL, DATABASE_SCHEMA; default: SQLite at
data/wahook.db).
\`wahook serve\` does the same at start; several instances migrating at once is safe.
`;

export const migrateCommand: Command = {
  summary: "create or upgrade the database schema",
  usage,
  async run(args, env, io) {
    parseArgs({ args: [...args], options: {}, strict: true });
    const dialect = await withCliStore(
      env,
      async (store) => {
        await store.migrate();
        return store.dialect;
      },
      { migrate: false },
    );
    io.stdout(`Schema is up to date (${dialect}).\n`);
    return 0;
  },
};
