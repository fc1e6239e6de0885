import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import type { AppOptions } from "../../src/app.js";
import type { Bot } from "../../src/bot/types.js";
import { parseConfig, type Config, type Env } from "../../src/config.js";
import { silentLogger } from "../../src/runtime.js";
import { startServer, type RunningServer } from "../../src/server.js";
import type { Store } from "../../src/store/store.js";

export const TEST_SECRET = "test-secret";
export const TEST_VERIFY_TOKEN = "test-verify-token";

export const testConfig = (env: Env = {}): Config =>
  parseConfig({
    APP_SECRET: TEST_SECRET,
    VERIFY_TOKEN: TEST_VERIFY_TOKEN,
    ACCESS_TOKEN: "test-access-token",
    GRAPH_API_BASE_URL: "http://127.0.0.1:9",
    DATABASE_URL: `sqlite:${join(mkdtempSync(join(tmpdir(), "wahook-test-")), "wahook.db")}`,
    HOST: "127.0.0.1",
    PORT: "0",
    LOG_LEVEL: "silent",
    RETRY_MAX_DELAY_MS: "200",
    ...env,
  });

export interface TestServer extends RunningServer {
  url: string;
  webhookUrl: string;
  config: Config;
}

/** The real server (node:http on loopback, SQLite unless DATABASE_URL says otherwise). */
export async function startTestServer(options: { env?: Env; bot?: Bot; store?: Store; logger?: Logger; app?: Partial<AppOptions> } = {}): Promise<TestServer> {
  const config = testConfig(options.env);
  const server = await startServer(config, {
    logger: options.logger ?? silentLogger(),
    cwd: process.cwd(),
    ...(options.bot ? { bot: options.bot } : {}),
    ...(options.store ? { store: options.store } : {}),
    app: { idleMs: 20, ...options.app },
  });
  const url = `http://127.0.0.1:${server.port}`;
  return Object.assign(server, { url, webhookUrl: `${url}/webhook`, config });
}

export const postSigned = (url: string, body: string | Buffer, headers: Record<string, string>) =>
  fetch(url, { method: "POST", headers, body });
