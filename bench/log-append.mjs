// `node bench/log-append.mjs` (after `npm run build`): appends/s and fdatasyncs per append of the
// delivery log (serial and overlapped write/fdatasync) against the SQLite journal (insert, then the
// shared WAL fdatasync), in the same run, on the same disk, with the same bodies and concurrency.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createGroupCommitter } from "../dist/inbox/group-commit.js";
import { openDeliveryLog } from "../dist/store/log/delivery-log.js";
import { migrations } from "../dist/store/migrations/index.js";
import { runMigrations } from "../dist/store/migrations/migrate.js";
import { openSqlite } from "../dist/store/sqlite/open.js";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "5" }, concurrency: { type: "string", default: "64" }, "body-bytes": { type: "string", default: "1500" } } });
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);
const body = Buffer.alloc(Number(values["body-bytes"]), "x");

/** Runs `concurrency` loops of append for `seconds`; returns appends/s. */
async function drive(appendOne) {
  let count = 0;
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        await appendOne();
        count += 1;
      }
    }),
  );
  return { perSecond: count / seconds, count };
}

const root = mkdtempSync(join(tmpdir(), "wahook-bench-log-"));
const rows = [];
try {
  for (const overlapWrites of [false, true]) {
    const log = await openDeliveryLog({ dir: join(root, `log-${overlapWrites}`), start: undefined, overlapWrites });
    // Let the spares be pre-written first: that is background work, not the append path.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const { perSecond, count } = await drive(() => log.append([body]));
    const { fdatasyncs } = log.stats();
    rows.push([`delivery log (overlapWrites ${overlapWrites})`, perSecond, fdatasyncs / count]);
    await log.close();
  }
  const sqlite = openSqlite(join(root, "journal.db"));
  await runMigrations(sqlite.db, "sqlite", migrations, Date.now());
  let syncs = 0;
  const sync = () => ((syncs += 1), sqlite.sync());
  const committer = createGroupCommitter(async (bodies) => {
    if (!sqlite.journalNow(bodies, Date.now())) throw new Error("a transaction is open");
    await sync();
    return bodies.map(() => undefined);
  });
  const { perSecond, count } = await drive(() => committer.submit(body));
  rows.push(["SQLite journal (insert + shared WAL fdatasync)", perSecond, syncs / count]);
  await sqlite.db.destroy();
} finally {
  rmSync(root, { recursive: true, force: true });
}
console.log(`| ${concurrency} in flight, ${body.length}-byte bodies, ${seconds} s each | appends/s | fdatasyncs per append |\n|---|---|---|`);
for (const [name, perSecond, ratio] of rows) console.log(`| ${name} | ${Math.round(perSecond)} | ${ratio.toFixed(3)} |`);
