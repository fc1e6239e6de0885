// wahook as deployed: startServer() from the BUILT product (dist/), configured from the
// environment like `wahook serve`. BENCH_PG_SCHEMA puts a PostgreSQL run in its own schema.
// BENCH_RECEIVE_ONLY=1 builds the same app but never starts its workers (bot, outbox, pruning):
// the receive path alone, for comparison only.
import { createApp, createLogger, listen, openStore, parseConfig } from "../../dist/index.js";
import { startServer } from "../../dist/server.js";

const config = parseConfig({ ...process.env, HOST: "127.0.0.1", PORT: "0" });
const logger = createLogger(config.logLevel);
const schema = process.env.BENCH_PG_SCHEMA;
const store = schema ? await openStore(config.database, { schema, poolSize: config.dbPoolSize }) : undefined;

let close;
if (process.env.BENCH_RECEIVE_ONLY === "1") {
  const own = store ?? (await openStore(config.database, { poolSize: config.dbPoolSize }));
  const app = createApp({ config, store: own, runtime: { logger } });
  const http = await listen(app.route, { port: 0, host: "127.0.0.1", onError: (error) => logger.error({ err: error }, "request failed") });
  process.stdout.write(`READY ${http.port}\n`);
  close = async () => (await http.close(), await own.close());
} else {
  const server = await startServer(config, { logger, cwd: process.cwd(), ...(store ? { store } : {}) });
  process.stdout.write(`READY ${server.port}\n`);
  close = () => server.close();
}

const stop = async () => {
  await close();
  process.exit(0);
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
