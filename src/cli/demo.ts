import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { loadBot } from "../bot/load.js";
import { parseConfig, type Env } from "../config.js";
import { createLogger } from "../logger.js";
import { startServer, type RunningServer } from "../server.js";
import { sign } from "../webhook/signature.js";
import type { Command } from "./commands.js";
import { describeReply, printingBot } from "./demo-print.js";
import { startSandboxGraph, type SandboxSend } from "./demo-sandbox.js";
import { runDemoScript } from "./demo-script.js";
import type { CliIo } from "./io.js";

const usage = `Usage: wahook demo [--port N] [--once]

Shows the whole pipeline on this machine with no Meta account: the server on a fresh SQLite file
(data/wahook-demo.db), a local Graph API SANDBOX that records what would have been sent, generated
secrets, and a few signed simulated messages (text, emoji, an image, a duplicate delivery) printed
as a conversation. It keeps running so you can simulate more from another terminal; Ctrl-C stops it.

  --port N   webhook port (default: PORT or 8000; a free port if that one is taken)
  --once     exit after the scripted conversation (used by the tests)

The demo never uses ACCESS_TOKEN: every reply goes to the sandbox.
`;

const DEMO_DB = "data/wahook-demo.db";

async function start(env: Env, io: CliIo, port: string, say: (line: string) => void): Promise<{ server: RunningServer; secret: string; sends: readonly SandboxSend[]; closeSandbox(): Promise<void> }> {
  const secret = randomBytes(16).toString("hex");
  const sandbox = await startSandboxGraph((send) => say(send.wamid ? `  ← reply to ${String(send.body.to)}: ${describeReply(send.body)}  [SANDBOX ${send.wamid.slice(0, 20)}…]` : "  ← read receipt  [SANDBOX]"));
  const dbPath = resolve(io.cwd, DEMO_DB);
  // The delivery log belongs to the database (store/kysely/journal-log.ts): both go together.
  await Promise.all(["", "-wal", "-shm", ".deliveries"].map((suffix) => rm(dbPath + suffix, { force: true, recursive: true })));
  const config = parseConfig({
    ...env,
    APP_SECRET: secret,
    VERIFY_TOKEN: randomBytes(12).toString("hex"),
    ACCESS_TOKEN: "sandbox-token",
    GRAPH_API_BASE_URL: sandbox.url,
    DATABASE_URL: `sqlite:${dbPath}`,
    HOST: "127.0.0.1",
    PORT: port,
    PHONE_NUMBER_ID: undefined,
  });
  const logger = createLogger(env.LOG_LEVEL ?? "warn", { write: (line: string) => io.stderr(line) });
  const bot = printingBot(await loadBot(config, { cwd: io.cwd, fetch: io.fetch }), say);
  const server = await startServer(config, { logger, cwd: io.cwd, bot, app: { idleMs: 50 } }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "EADDRINUSE") throw error;
    say(`(port ${port} is taken; using a free one)`);
    return startServer({ ...config, port: 0 }, { logger, cwd: io.cwd, bot, app: { idleMs: 50 } });
  });
  return { server, secret, sends: sandbox.sends, closeSandbox: sandbox.close };
}

export const demoCommand: Command = {
  summary: "run the whole pipeline locally with a Graph API sandbox (no Meta account needed)",
  usage,
  async run(args, env, io) {
    const { values } = parseArgs({ args: [...args], options: { port: { type: "string" }, once: { type: "boolean", default: false } }, strict: true });
    const say = (line: string) => io.stdout(`${line}\n`);
    if (env.ACCESS_TOKEN) say("(ACCESS_TOKEN is set; the demo ignores it and sends only to its local sandbox)");
    const { server, secret, sends, closeSandbox } = await start(env, io, values.port ?? env.PORT ?? "8000", say);
    const url = `http://127.0.0.1:${server.port}/webhook`;
    say(`wahook demo: webhook ${url}, store ${DEMO_DB}, Graph API SANDBOX (nothing leaves this machine)`);
    try {
      const post = async (body: string) => {
        const response = await io.fetch(url, { method: "POST", headers: { "content-type": "application/json", "x-hub-signature-256": sign(body, secret) }, body });
        return response.status;
      };
      const ok = await runDemoScript({ server, sends, post, say });
      if (values.once) return ok ? 0 : 1;
      say(`\nThe server keeps running. From another terminal, simulate Meta (the secret is this demo's own):`);
      say(`  APP_SECRET=${secret} npx wahook simulate --url ${url} --text "hello again"`);
      say(`Ctrl-C to stop.`);
      await io.untilShutdown();
      return 0;
    } finally {
      await server.close();
      await closeSandbox();
    }
  },
};
