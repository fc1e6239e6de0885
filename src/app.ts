import { createRouter, type HttpRequestLike } from "./adapters/router.js";
import { answerToResponse, webRequestLike } from "./adapters/web.js";
import { createDispatcher } from "./bot/dispatcher.js";
import { echoUpper } from "./bot/echo-upper.js";
import type { Bot } from "./bot/types.js";
import type { Config } from "./config.js";
import { createGraphClient, type GraphClient } from "./graph/client.js";
import { createExpander } from "./inbox/expander.js";
import { createHttpFetch } from "./graph/http-fetch.js";
import { createGroupCommitter } from "./inbox/group-commit.js";
import { createLoadGate } from "./load-gate.js";
import { createLoop, type Loop } from "./loop.js";
import { createMetrics } from "./metrics/metrics.js";
import { createOutboxWorker } from "./outbox/worker.js";
import { createRuntime, type Runtime } from "./runtime.js";
import type { Store } from "./store/store.js";
import type { Answer } from "./webhook/answer.js";
import { createReceiver } from "./webhook/receive.js";

export interface AppOptions {
  config: Config;
  store: Store;
  runtime?: Partial<Runtime>;
  /** defaults to echo-upper; the CLI resolves BOT= into one */
  bot?: Bot;
  /** defaults to a client for config.graphApiBaseUrl; null disables sending (no ACCESS_TOKEN) */
  graph?: GraphClient | null;
  webhookPath?: string;
  /** this instance's name in leases; unique per process */
  workerId?: string;
  idleMs?: number;
}

export interface App {
  /** the framework-free core of the built-in server: webhook, /healthz, /readyz, /metrics */
  route(request: HttpRequestLike): Promise<Answer>;
  /** the webhook alone, for mounting on any path of a host app (Express, Fastify) */
  webhook(request: HttpRequestLike): Promise<Answer>;
  /** Web-standard handler (Request -> Response): Hono, Bun, Deno, workers, tests */
  fetch(request: Request): Promise<Response>;
  /** starts the journal expansion, the bot dispatcher, the outbox sender and pruning */
  start(): void;
  /** stops taking work, lets running work finish (bounded), gives leases back */
  stop(): Promise<void>;
  readonly metrics: ReturnType<typeof createMetrics>;
  readonly store: Store;
  readonly runtime: Runtime;
  readonly workerId: string;
}

const DAY_MS = 86_400_000;

/** The composition root: wires the pipeline stages in flow order. */
export function createApp(options: AppOptions): App {
  const { config, store } = options;
  const runtime = createRuntime(options.runtime);
  const log = runtime.logger;
  const workerId = options.workerId ?? `wahook-${runtime.newId()}`;
  const idleMs = options.idleMs ?? 250;
  const metrics = createMetrics({ depth: () => store.depth(), processMetrics: true });
  const shutdown = new AbortController();

  // ③ inbox: the verified bytes are journaled (durably) before the 200, then expanded into keyed
  // events. Several batches may wait for their fsync at once: the store's barrier shares one.
  const committer = createGroupCommitter<Buffer, void>(
    async (bodies) => {
      await store.journal(bodies, runtime.nowMs());
      return bodies.map(() => undefined);
    },
    { maxInFlight: 8 },
  );
  // Deliveries waiting for their 200 come first: while 16 or more are in flight (and 2 ms after)
  // under a flood of more than 3 MB/s of bodies (~2,500 text deliveries/s: more than a 2-core
  // machine turns into replies), or after 250 ms of that without a break, background ticks get
  // 10% of the time, waiting at most 500 ms each. Otherwise nothing is throttled, so replies use
  // every cycle the acks leave.
  const gate = createLoadGate({ busyAt: 16, holdMs: 2, share: 0.1, floodBytesPerSec: 3_000_000, floodAfterBusyMs: 250, maxWaitMs: 500 });
  const accept = async (body: Buffer) => {
    await committer.submit(body);
    expandLoop.wake();
  };
  const receiver = createReceiver({ verifyToken: config.verifyToken, appSecrets: config.appSecrets, accept, metrics, logger: log });
  const expander = createExpander({ store, runtime, metrics, phoneNumberId: config.phoneNumberId, batchSize: 256, maxEventsPerTick: 512, maxTickMs: store.dialect === "sqlite" ? 8 : Infinity, minEventsPerTick: 64, onNewMessages: (unclaimed) => (dispatcher.unclaimed(unclaimed), botLoop.wake()), itemOffer: () => dispatcher.offer() });
  const expandLoop = createLoop({ name: "expand", tick: gate.paced(expander.tick), idleMs, logger: log, beforeTick: gate.quiet });
  const { route, webhook } = createRouter({ receiver, webhookPath: options.webhookPath ?? "/webhook", maxBodyBytes: config.maxBodyBytes, metrics, logger: log, ready: () => store.ping(), newRequestId: runtime.newId, load: gate });

  // A send must end well inside its lease, or another instance could claim and send it again.
  const graphTimeoutMs = Math.min(config.graphTimeoutMs, Math.floor(config.leaseMs / 2));
  // Up to 256 handlers and 256 sends in flight, claimed and committed in batches of at most 64:
  // a claim or commit of one batch is under way while the others run, instead of each stage
  // waiting for the whole pool. Bigger batches would hold a transaction (SQLite: the loop) longer.
  const workerConcurrency = 256;
  const workerBatchSize = 64;
  // undici keep-alive unless a fetch was injected: Node's fetch costs ~7x the CPU per send (graph/http-fetch.ts).
  const graphHttp = options.graph === undefined && config.accessToken && !options.runtime?.fetch ? createHttpFetch({ maxSockets: workerConcurrency }) : undefined;
  const graph =
    options.graph !== undefined
      ? options.graph
      : config.accessToken
        ? createGraphClient({ baseUrl: config.graphApiBaseUrl, apiVersion: config.graphApiVersion, accessToken: config.accessToken, fetch: graphHttp ?? runtime.fetch, timeoutMs: graphTimeoutMs, nowMs: runtime.nowMs })
        : null;

  const sender = graph && createOutboxWorker({
    store, graph, runtime, metrics, workerId, leaseMs: config.leaseMs, ratePerSecond: config.sendRatePerSecond, maxAgeMs: config.messageMaxAgeMs,
    retryMaxDelayMs: config.retryMaxDelayMs, concurrency: workerConcurrency, batchSize: workerBatchSize, sendConfirmWaitMs: config.sendConfirmWaitMs, signal: shutdown.signal,
    // A finished send frees a slot: worth a claim only if rows may be waiting unclaimed.
    onSettled: () => {
      if (sender?.backlog()) sendLoop?.wake();
    },
    onSlotsFree: () => sendLoop?.wake(),
  });
  const sendLoop = sender ? createLoop({ name: "outbox", tick: gate.paced(sender.tick), idleMs, logger: log, beforeTick: gate.quiet }) : undefined;

  const dispatcher = createDispatcher({
    store, bot: options.bot ?? echoUpper, runtime, metrics, workerId, leaseMs: config.leaseMs, maxAttempts: config.botMaxAttempts,
    retryMaxDelayMs: config.retryMaxDelayMs, batchSize: workerBatchSize, concurrency: workerConcurrency, signal: shutdown.signal,
    onSettled: (mayClaim) => {
      if (mayClaim) botLoop.wake();
      if (sender?.backlog()) sendLoop?.wake();
    },
    onSlotsFree: () => botLoop.wake(),
    claimHints: store.dialect === "sqlite",
    ...(sender ? { replyOffer: sender.offer, onUnleased: sender.unleased } : {}),
    beforeHandle: graph && config.markRead !== "off"
      ? (item) => void graph.markRead(item.phoneNumberId, item.messageId, { typing: config.markRead === "typing" }).catch(() => undefined)
      : undefined,
  });
  const botLoop = createLoop({ name: "bot", tick: gate.paced(dispatcher.tick), idleMs, logger: log, beforeTick: gate.quiet });

  // Keys are kept past Meta's 7 days of retries, then pruned in small batches.
  const pruneBatch = 500;
  const pruneLoop = createLoop({
    name: "prune",
    tick: async () => ((await store.prune(runtime.nowMs() - config.dedupeRetentionDays * DAY_MS, pruneBatch)) >= pruneBatch ? 1 : 0),
    idleMs: 10 * 60_000,
    logger: log,
  });

  const loops: Loop[] = [expandLoop, botLoop, pruneLoop, ...(sendLoop ? [sendLoop] : [])];

  const stop = async () => {
    sender?.close();
    dispatcher.close();
    await Promise.all(loops.map((loop) => loop.stop()));
    const finish = Promise.all([dispatcher.drain(), sender?.drain(), committer.drain()]);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, config.shutdownTimeoutMs)));
    await Promise.race([finish, deadline]);
    clearTimeout(timer);
    shutdown.abort();
    graphHttp?.close();
    await store.releaseLeases(workerId);
  };

  if (!graph) log.warn("ACCESS_TOKEN is not set: replies are kept in the outbox but not sent until it is");

  return {
    route,
    webhook,
    fetch: async (request) => answerToResponse(await route(webRequestLike(request))),
    start() {
      for (const loop of loops) loop.start();
    },
    stop,
    metrics,
    store,
    runtime,
    workerId,
  };
}
