// One function per kind of cell. Each starts its own server process(es) and stops them after.
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { PHONE_NUMBER_ID, SECRET, SHAPES } from "./bodies.mjs";
import { load } from "./loadgen.mjs";
import { startServer } from "./proc.mjs";
import { byProductFrame, selfTimeByArea, topSelfTime } from "./profile.mjs";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line) => process.stderr.write(`[bench] ${line}\n`);

/** The environment `wahook serve` would get; graphUrl turns on sending to the fake Graph. */
export function wahookEnv({ database, graphUrl }) {
  return {
    APP_SECRET: SECRET, VERIFY_TOKEN: "bench-verify", DATABASE_URL: database, LOG_LEVEL: "warn", PHONE_NUMBER_ID,
    ...(graphUrl ? { ACCESS_TOKEN: "bench-token", GRAPH_API_BASE_URL: graphUrl, SEND_RATE_PER_SECOND: "1000000" } : {}),
  };
}

const tempDb = () => join(mkdtempSync(join(tmpdir(), "wahook-bench-db-")), "wahook.db");
const wamidsOf = (body, ids) => {
  for (const entry of JSON.parse(body.toString("utf8")).entry ?? []) {
    for (const change of entry.changes ?? []) for (const message of change.value?.messages ?? []) ids.add(message.id);
  }
};
/**
 * Distinct wamids the store holds after a cell (its server stopped): inbox rows plus the messages
 * of deliveries acknowledged but not yet expanded, in the delivery log after the database's
 * cursor or in journal rows (the receive-only cell never expands).
 */
const recordedWamids = async (path) => {
  const db = new Database(path, { readonly: true });
  let pending = 0;
  const ids = new Set();
  let cursor;
  try {
    for (const id of db.prepare("select message_id from wahook_inbox").pluck().iterate()) ids.add(id);
    for (const body of db.prepare("select body from wahook_deliveries").pluck().iterate()) {
      pending += 1;
      wamidsOf(body, ids);
    }
    const row = db.prepare("select segment, offset from wahook_log_cursor where id = 1").get();
    cursor = row && { segment: Number(row.segment), offset: Number(row.offset) };
  } finally {
    db.close();
  }
  if (cursor && existsSync(`${path}.deliveries`)) {
    const { openDeliveryLog } = await import("../../dist/store/log/delivery-log.js");
    const log = await openDeliveryLog({ dir: `${path}.deliveries`, start: cursor });
    try {
      for (let at = cursor; ; ) {
        const records = await log.read(at, { maxRecords: 4096, maxBytes: 64 * 1024 * 1024 });
        if (records.length === 0) break;
        for (const record of records) {
          pending += 1;
          wamidsOf(record.body, ids);
        }
        at = records[records.length - 1].next;
      }
    } finally {
      await log.close();
    }
  }
  return { ids: ids.size, journal: pending };
};

const SERVERS = {
  reference: { script: "reference", label: "reference (bare node:http)" },
  durable: { script: "reference-durable", label: "reference + group-committed fdatasync" },
  peer: { script: "peer", label: "whatsapp-api-js" },
  wahook: { script: "wahook", label: "wahook", env: {} },
  "wahook-receive": { script: "wahook", label: "wahook, workers not started", env: { BENCH_RECEIVE_ONLY: "1" } },
};

/**
 * Warm-up then measurement with wrk on one fresh server. For wahook (a new SQLite file each time)
 * it also counts the inbox rows after the server stopped: every acked message must be there.
 */
export async function ackCell(kind, shape, { files, warmSeconds, seconds, connections, nodeArgs = [] }) {
  const spec = SERVERS[kind];
  const database = spec.script === "wahook" ? tempDb() : undefined;
  const server = await startServer(spec.script, { APP_SECRET: SECRET, ...(database ? { ...wahookEnv({ database }), ...spec.env } : {}) }, { nodeArgs });
  let warm, result, rss;
  try {
    warm = await load({ url: server.url, bodies: files[shape].warm, seconds: warmSeconds, connections });
    result = await load({ url: server.url, bodies: files[shape].measure, seconds, connections });
    rss = server.rss();
  } finally {
    await server.stop();
  }
  const notes = [];
  if (result.non2xx + result.errors > 0) notes.push(`${result.non2xx} non-2xx, ${result.errors} socket errors`);
  if (database) {
    const perBody = SHAPES[shape].messages;
    // A wrapped file repeats wamids (like Meta's retries): count each distinct one acked once.
    const distinct = (run, lines) => Math.min(run.requests - run.non2xx, lines) * perBody;
    const acked = distinct(warm, files[shape].warmCount) + distinct(result, files[shape].measureCount);
    const held = await recordedWamids(database);
    notes.push(`${held.ids.toLocaleString("en-US")} distinct wamids recorded (${held.journal.toLocaleString("en-US")} deliveries still journaled) for ${acked.toLocaleString("en-US")} distinct acked${held.ids >= acked ? "" : " (MISSING)"}`);
    if (warm.wraps + result.wraps > 0) notes.push(`body file wrapped ${warm.wraps + result.wraps}x: later requests repeated message ids, as Meta's retries do`);
    rmSync(join(database, ".."), { recursive: true, force: true });
  }
  notes.push(`RSS ${Math.round(rss)} MiB`);
  log(`${spec.label} ${shape}: ${Math.round(result.rps)} req/s, p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms`);
  return { kind, label: spec.label, shape, ...result, rss, notes };
}

/** Runs a cell with its server(s) under `node --cpu-prof`; `run(nodeArgs)` returns the cell's rate. */
export async function profiled(title, unit, run) {
  const dir = mkdtempSync(join(tmpdir(), "wahook-bench-prof-"));
  try {
    const rate = await run(["--cpu-prof", `--cpu-prof-dir=${dir}`]);
    await sleep(200);
    const file = join(dir, readdirSync(dir).find((name) => name.endsWith(".cpuprofile")));
    return { title, unit, rate, top: topSelfTime(file, 15), product: byProductFrame(file, 12), areas: selfTimeByArea(file) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Wall time of one committed single-row transaction on this disk, in ms: { mean, p99 } (better-sqlite3). */
export function commitLatencyMs(synchronous) {
  const path = tempDb();
  const db = new Database(path);
  try {
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${synchronous}`);
    db.exec("create table t (k integer primary key, v text)");
    const insert = db.prepare("insert into t (v) values (?)");
    const times = [];
    for (let i = 0; i < 200; i += 1) {
      const start = performance.now();
      db.exec("begin immediate");
      insert.run("x".repeat(1200));
      db.exec("commit");
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    return { mean: times.reduce((a, b) => a + b, 0) / times.length, p99: times[197] };
  } finally {
    db.close();
    rmSync(join(path, ".."), { recursive: true, force: true });
  }
}

export const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** Whether PostgreSQL answers, within 3 s; the error text when it does not. */
export async function postgresProblem() {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("select 1");
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message || String(error.code) : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Rows per state in the inbox and the outbox once the servers stopped: backlog versus loss. */
async function statesAfter(database, schema) {
  const query = (table) => `select state, count(*) as n from ${schema ? `"${schema}".` : ""}${table} group by state order by state`;
  const read = async (table) => {
    if (!schema) {
      const db = new Database(database, { readonly: true });
      try {
        return db.prepare(query(table)).all();
      } finally {
        db.close();
      }
    }
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      return (await client.query(query(table))).rows;
    } finally {
      await client.end();
    }
  };
  const text = (rows) => rows.map((row) => `${row.state} ${Number(row.n).toLocaleString("en-US")}`).join(", ");
  return `inbox: ${text(await read("wahook_inbox"))}; outbox: ${text(await read("wahook_outbox"))}`;
}

async function dropSchema(name) {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${name}" cascade`);
  } finally {
    await client.end();
  }
}

/** Samples what wahook's PostgreSQL sessions wait on (pg_stat_activity) every 250 ms. */
function sampleWaits() {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  const counts = new Map();
  let samples = 0;
  let timer;
  const tick = async () => {
    const { rows } = await client.query("select coalesce(wait_event_type || ':' || wait_event, state) as what, count(*)::int as n from pg_stat_activity where application_name = 'wahook' group by 1");
    samples += 1;
    for (const row of rows) counts.set(row.what, (counts.get(row.what) ?? 0) + row.n);
    timer = setTimeout(() => tick().catch(() => undefined), 250);
  };
  const ready = client.connect().then(tick);
  return {
    async stop() {
      await ready.catch(() => undefined);
      clearTimeout(timer);
      await client.end().catch(() => undefined);
      return [...counts].sort((a, b) => b[1] - a[1]).map(([what, n]) => ({ what, mean: n / Math.max(samples, 1) }));
    },
  };
}

/**
 * End to end: `instances` wahook servers on the server core sharing one store (a new SQLite file,
 * or a new PostgreSQL schema), the client posting distinct text messages round robin and counting
 * the echo-upper replies at its fake Graph. A warm-up at the planned rate first (own tag), as long
 * as the ack cells' (warmSeconds): after 500 messages (0.25 s at 2,000 msg/s) the process was
 * still cold (most likely code V8 had not optimized yet; not the files, since a restart on grown
 * files did the same), and the first seconds of the measured run held all of its late replies
 * (docs/BENCHMARKS.md). The warm-up's own figures are kept in the row (`warm`).
 */
export async function e2eCell({ client, graphUrl, store, instances, rate, seconds, warmSeconds, drainSeconds, tag, sampleRss, nodeArgs = [] }) {
  const schema = store === "PostgreSQL" ? `wahook_bench_${randomBytes(5).toString("hex")}` : undefined;
  const database = schema ? POSTGRES_URL : tempDb();
  const servers = [];
  try {
    for (let i = 0; i < instances; i += 1) {
      servers.push(await startServer("wahook", { ...wahookEnv({ database, graphUrl }), ...(schema ? { BENCH_PG_SCHEMA: schema } : {}) }, { nodeArgs }));
    }
    const urls = servers.map((s) => s.url);
    const warmCount = Math.max(500, Math.round(rate * warmSeconds));
    const warm = await client.call("e2e", { urls, rate, count: warmCount, maxSendSeconds: warmSeconds + 10, drainSeconds: 10, tag: `warm${tag}` });
    const samples = [];
    const sampler = sampleRss ? setInterval(() => samples.push(servers[0].rss()), 5000) : undefined;
    const waits = schema ? sampleWaits() : undefined;
    const result = await client.call("e2e", { urls, rate, count: Math.round(rate * seconds), maxSendSeconds: seconds + 5, drainSeconds, tag });
    clearInterval(sampler);
    const rss = servers.map((s) => s.rss());
    log(`e2e ${store} x${instances}: ${Math.round(result.repliesPerSecond)} replies/s, ${result.unanswered} unanswered, dup ${result.duplicates}, p99 ${result.ackToReply.p99.toFixed(1)} ms`);
    const row = { store, instances, seconds, ...result, rss, samples, waits: await waits?.stop(), warm: { seconds: warmSeconds, count: warmCount, ackToReply: warm.ackToReply, unanswered: warm.unanswered, duplicates: warm.duplicates + warm.wrongRecipient } };
    for (const server of servers.splice(0)) await server.stop();
    row.states = await statesAfter(database, schema).catch((error) => `could not read: ${error.message}`);
    return row;
  } finally {
    for (const server of servers) await server.stop();
    if (schema) await dropSchema(schema).catch((error) => log(`could not drop schema ${schema}: ${error.message}`));
    else rmSync(join(database, ".."), { recursive: true, force: true });
  }
}

/** Ack time of 1, 10, 100 and 1000 messages per POST on one fresh wahook server (SQLite). */
export async function growthCell({ client, secondsEach }) {
  const database = tempDb();
  const server = await startServer("wahook", wahookEnv({ database }));
  try {
    return await client.call("growth", { url: server.url, sizes: [1, 10, 100, 1000], secondsEach, tag: "growth" });
  } finally {
    await server.stop();
    rmSync(join(database, ".."), { recursive: true, force: true });
  }
}
