import type { Logger } from "pino";
import { listen } from "./adapters/node.js";
import { createApp, type App, type AppOptions } from "./app.js";
import { loadBot } from "./bot/load.js";
import type { Bot } from "./bot/types.js";
import type { Config } from "./config.js";
import { openStore } from "./store/open-store.js";
import type { Store } from "./store/store.js";

export interface RunningServer {
  app: App;
  store: Store;
  port: number;
  /** graceful: stop accepting, finish in-flight work (bounded), release leases, close the store */
  close(): Promise<void>;
}

/**
 * Everything `wahook serve` does before it waits for a signal: open and migrate the store (an
 * empty database gets its schema here), load the bot, listen, start the workers. Fails fast with
 * a WahookError when the store cannot be opened or the bot cannot be loaded.
 */
export async function startServer(
  config: Config,
  options: { logger: Logger; cwd: string; bot?: Bot; store?: Store; fetch?: typeof fetch; app?: Partial<AppOptions> },
): Promise<RunningServer> {
  const store = options.store ?? (await openStore(config.database, {
      poolSize: config.dbPoolSize,
      statementTimeoutMs: config.dbStatementTimeoutMs,
      ...(config.databaseSchema ? { schema: config.databaseSchema } : {}),
      // migrated just below, once, whether the store was opened here or handed in
      migrate: false,
      onError: (error) => options.logger.warn({ err: error }, "database error in the background (a lost PostgreSQL connection is replaced on the next query; a failed SQLite checkpoint is retried)"),
    }));
  try {
    await store.migrate();
    const bot = options.bot ?? (await loadBot(config, { cwd: options.cwd, ...(options.fetch ? { fetch: options.fetch } : {}) }));
    const app = createApp({ config, store, bot, runtime: { logger: options.logger, ...(options.fetch ? { fetch: options.fetch } : {}) }, ...options.app });
    const http = await listen(app.route, { port: config.port, host: config.host, onError: (error) => options.logger.error({ err: error }, "request failed") });
    app.start();
    options.logger.info({ port: http.port, host: config.host, store: store.dialect, bot: bot.name, workerId: app.workerId }, "wahook is listening");
    let closing: Promise<void> | undefined;
    return {
      app,
      store,
      port: http.port,
      close: () =>
        (closing ??= (async () => {
          await http.close();
          await app.stop();
          await store.close();
        })()),
    };
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
}
