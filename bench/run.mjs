// `npm run bench`: builds, then measures in one run the reference ceiling, a durable reference (the same plus a group-committed fdatasync), whatsapp-api-js, the
// wahook ack path (SQLite), end to end (SQLite; PostgreSQL with 1 and 2 instances), cost growth
// and optionally a memory soak and a CPU profile. Prints markdown and writes docs/BENCHMARKS.md
// (between its bench markers). Loopback only; every phase is bounded in time.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { execFileSync } from "node:child_process";
import { SHAPES, writeBodies } from "./lib/bodies.mjs";
import { ackCell, commitLatencyMs, e2eCell, growthCell, postgresProblem, profiled } from "./lib/cells.mjs";
import { generator } from "./lib/loadgen.mjs";
import { ROOT, hasCommand, startClient } from "./lib/proc.mjs";
import { render } from "./lib/report.mjs";

const { values: flags } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    soak: { type: "boolean", default: false },
    "soak-seconds": { type: "string", default: "300" },
    profile: { type: "boolean", default: false },
    "e2e-seconds": { type: "string" },
    "e2e-rate": { type: "string", default: "2000" },
    connections: { type: "string", default: "50" },
    "no-write": { type: "boolean", default: false },
    only: { type: "string", default: "ack,growth,e2e" },
  },
});
if (!hasCommand("taskset")) throw new Error("taskset (util-linux) is needed to pin the server and the load generator to their cores");
if (cpus().length < 2) throw new Error("the bench needs 2 cores: one for the server, one for the load generator");

const parts = new Set(flags.only.split(","));
const log = (line) => process.stderr.write(`[bench] ${line}\n`);
const warmSeconds = flags.quick ? 1 : 3;
const seconds = flags.quick ? 4 : 10;
const e2eSeconds = Number(flags["e2e-seconds"] ?? (flags.quick ? 8 : 15));
const e2eRate = Number(flags["e2e-rate"]);
const connections = Number(flags.connections);
const drainSeconds = Math.max(10, e2eSeconds / 2);
const options = { warmSeconds, seconds, connections };
const started = Date.now();
if (generator !== "wrk") log("wrk not found (apt-get install wrk): falling back to autocannon for the ack-path cells");

// Distinct bodies for wahook: enough for 20,000 req/s of 1.2 KB and 1,500 req/s of 30 KB; a faster
// server wraps around (reported). The reference and the peer read the same files.
const capacity = { "1.2KB": 20000, "30KB": 1500 };
const dir = mkdtempSync(join(tmpdir(), "wahook-bench-bodies-"));
const files = {};
for (const shape of Object.keys(SHAPES)) {
  const warm = join(dir, `${shape}-warm.txt`);
  const measure = join(dir, `${shape}-measure.txt`);
  const size = writeBodies(warm, { shape, count: capacity[shape] * warmSeconds, tag: "warm" });
  writeBodies(measure, { shape, count: capacity[shape] * seconds, tag: "measure", first: 500_000_000 });
  files[shape] = { warm, measure, size, warmCount: capacity[shape] * warmSeconds, measureCount: capacity[shape] * seconds };
  log(`bodies ${shape}: ${size} bytes each, ${capacity[shape] * (warmSeconds + seconds)} written`);
}
const cell = (kind, shape) => ackCell(kind, shape, { files, ...options });
const mean = (a, b) => (a + b) / 2;

let pgProblem;
const results = { ack: [], e2e: [], e2eNotes: [], connections, commit: commitLatencyMs("FULL"), commitNormal: commitLatencyMs("NORMAL") };
try {
  // Ack path: the reference right before and right after every cell; ratios use the mean.
  for (const shape of parts.has("ack") ? Object.keys(SHAPES) : []) {
    let ref = await cell("reference", shape);
    for (const kind of ["peer", "durable", "wahook", "wahook-receive"]) {
      const row = await cell(kind, shape);
      const after = await cell("reference", shape);
      results.ack.push({ ...row, refBefore: ref, refAfter: after, ratio: row.rps / mean(ref.rps, after.rps), p99Ratio: row.p99 / mean(ref.p99, after.p99) });
      ref = after;
    }
  }

  const client = startClient();
  try {
    if (parts.has("growth")) results.growth = await growthCell({ client, secondsEach: flags.quick ? 1 : 3 });
    const { graphUrl } = await client.call("graph");
    pgProblem = await postgresProblem();
    const runs = [["SQLite", 1], ["PostgreSQL", 1], ["PostgreSQL", 2]];
    let ref = parts.has("e2e") ? await cell("reference", "1.2KB") : undefined;
    for (const [store, instances] of parts.has("e2e") ? runs : []) {
      if (store === "PostgreSQL" && pgProblem) {
        results.e2e.push({ store, instances, skipped: `skipped: PostgreSQL not reachable (${pgProblem})` });
        log(`PostgreSQL e2e skipped: ${pgProblem}`);
        continue;
      }
      const tag = `e2e${store === "SQLite" ? "s" : "p"}${instances}`;
      const row = await e2eCell({ client, graphUrl, warmSeconds, store, instances, rate: e2eRate, seconds: e2eSeconds, drainSeconds, tag });
      const after = await cell("reference", "1.2KB");
      results.e2e.push({ ...row, refBefore: ref, refAfter: after, ratio: row.repliesPerSecond / mean(ref.rps, after.rps) });
      ref = after;
    }
    results.e2eNotes.push(
      `Planned: ${e2eRate.toLocaleString("en-US")} msg/s for ${e2eSeconds} s, after a warm-up of ${warmSeconds} s at the same rate (as long as the ack cells'; its figures are below the table, not in it); at most 256 POSTs in flight, so a server that acks slowly holds the generator back ("offered msg/s" below plan); sending stops at ${e2eSeconds + 5} s. ` +
        `replies/s = distinct replies ÷ (last reply − first send). "No reply by deadline" = acked but no reply ${drainSeconds} s after the last ack (slow or lost: the bench cannot tell). ` +
        `The fake Graph runs in the load generator on core 1; PostgreSQL runs unpinned (it shares both cores). "vs ref" divides replies/s by the 1.2 KB reference measured right before and after.` +
        (e2eSeconds < 60 ? ` The 60 s sustained target needs \`--e2e-seconds 60\`.` : ""),
    );

    if (flags.soak) {
      // Half the peak the full path sustains in this run: the lower of the 1.2 KB ack rate and the SQLite end-to-end replies/s.
      const ackPeak = results.ack.find((r) => r.kind === "wahook" && r.shape === "1.2KB")?.rps ?? NaN;
      const e2ePeak = results.e2e.find((r) => r.store === "SQLite")?.repliesPerSecond ?? NaN;
      const peak = Math.min(...[ackPeak, e2ePeak, e2eRate].filter(Number.isFinite));
      const rate = Math.max(1, Math.round(peak / 2));
      const soakSeconds = Number(flags["soak-seconds"]);
      const row = await e2eCell({ client, graphUrl, warmSeconds, store: "SQLite", instances: 1, rate, seconds: soakSeconds, drainSeconds: 30, tag: "soak", sampleRss: true });
      const s = row.samples;
      const avg = (list) => list.reduce((a, b) => a + b, 0) / list.length;
      const firstMinute = avg(s.slice(0, 12));
      const lastMinute = avg(s.slice(-12));
      results.soak = { rate, ackPeak, e2ePeak, seconds: soakSeconds, samples: s, firstMinute, lastMinute, change: lastMinute / firstMinute - 1, min: Math.min(...s), max: Math.max(...s), e2e: row };
    }
    if (flags.profile) {
      const ack = (kind) => async (nodeArgs) => (await ackCell(kind, "1.2KB", { files, ...options, nodeArgs })).rps;
      results.profile = [
        await profiled("wahook, 1.2 KB ack cell (the real server: workers running, no ACCESS_TOKEN)", "req/s", ack("wahook")),
        await profiled("wahook, 1.2 KB ack cell, workers not started (receive path only)", "req/s", ack("wahook-receive")),
      ];
      for (const store of pgProblem ? ["SQLite"] : ["SQLite", "PostgreSQL"]) {
        results.profile.push(await profiled(`wahook, end to end on ${store}, 1 instance (${e2eRate} msg/s planned, ${e2eSeconds} s)`, "replies/s", async (nodeArgs) =>
          (await e2eCell({ client, graphUrl, warmSeconds, store, instances: 1, rate: e2eRate, seconds: e2eSeconds, drainSeconds, tag: `prof${store[0]}`, nodeArgs })).repliesPerSecond));
      }
    }
  } finally {
    client.stop();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const cpu = /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown CPU";
results.date = new Date().toISOString().replace(/\.\d+Z$/, "Z");
results.command = ["npm run bench", ...(process.argv.length > 2 ? ["--", ...process.argv.slice(2)] : [])].join(" ");
const git = (...args) => execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();
results.revision = `${git("rev-parse", "--short", "HEAD")}${git("status", "--porcelain", "--", "src") ? " + uncommitted changes in src/" : ""}`;
results.machine = `${cpus().length} cores (${cpu}), node ${process.version}, ${process.platform}`;
results.generator = generator === "wrk" ? "wrk 4.1 (Debian), 1 thread" : "autocannon (wrk missing)";
results.durations = `ack cells ${warmSeconds} s warm-up + ${seconds} s measured; whole run ${Math.round((Date.now() - started) / 1000)} s`;
const markdown = render(results);
process.stdout.write(markdown + "\n");

const doc = join(ROOT, "docs/BENCHMARKS.md");
const BEGIN = "<!-- bench:begin (written by npm run bench; edit outside the markers) -->";
const END = "<!-- bench:end -->";
if (!flags["no-write"]) {
  const text = existsSync(doc) ? readFileSync(doc, "utf8") : `# Benchmarks\n\n${BEGIN}\n${END}\n`;
  const [head, rest] = text.includes(BEGIN) ? text.split(BEGIN) : [text + "\n", END];
  writeFileSync(doc, `${head}${BEGIN}\n${markdown}\n${rest.slice(rest.indexOf(END))}`);
  log(`wrote ${doc}`);
}
