// Markdown for stdout and docs/BENCHMARKS.md: every figure here comes from the results object of
// the run that prints it.
const f = (value, digits = 0) => (Number.isFinite(value) ? value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }) : "–");
const x = (value) => (Number.isFinite(value) ? `${value.toFixed(2)}x` : "–");
const table = (head, rows) => [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");

export function ackTable(rows) {
  return table(
    ["server", "body", "req/s", "p50 ms", "p99 ms", "req/s vs ref", "p99 vs ref", "ref req/s before / after", "ref p99 ms before / after", "notes"],
    rows.map((r) => [r.label, r.shape, f(r.rps), f(r.p50, 1), f(r.p99, 1), x(r.ratio), x(r.p99Ratio), `${f(r.refBefore.rps)} / ${f(r.refAfter.rps)}`, `${f(r.refBefore.p99, 1)} / ${f(r.refAfter.p99, 1)}`, r.notes.join("; ")]),
  );
}

export function e2eTable(rows) {
  return table(
    ["store", "instances", "sent / planned", "sent in s", "offered msg/s", "acked", "replies", "replies/s", "no reply by deadline", "duplicated", "ack→reply p50 ms", "p99 ms", "max ms", "ack p99 ms", "replies/s vs ref req/s", "server RSS MiB"],
    rows.map((r) => r.skipped
      ? [r.store, String(r.instances), r.skipped, ...Array(13).fill("–")]
      : [r.store, String(r.instances), `${f(r.sent)} / ${f(r.planned)}`, f(r.sendSeconds, 1), f(r.offeredRate), f(r.acked), f(r.replies), f(r.repliesPerSecond), f(r.unanswered), f(r.duplicates + r.wrongRecipient), f(r.ackToReply.p50, 1), f(r.ackToReply.p99, 1), f(r.ackToReply.max, 1), f(r.ack.p99, 1), x(r.ratio), r.rss.map((v) => f(v)).join(" / ")]),
  );
}

export function waitNotes(rows) {
  const warm = rows.filter((r) => r.warm).map((r) =>
    `${r.store} x${r.instances}, warm-up (${f(r.warm.count)} messages in ${f(r.warm.seconds)} s, from a fresh server, not measured): ack→reply p99 ${f(r.warm.ackToReply.p99, 1)} ms, max ${f(r.warm.ackToReply.max, 1)} ms, ${f(r.warm.unanswered)} without a reply 10 s after its last ack, duplicated ${f(r.warm.duplicates)}.`);
  const states = rows.filter((r) => r.states).map((r) => `${r.store} x${r.instances}, rows by state after the servers stopped (warm-up included): ${r.states}.`);
  const waits = rows.filter((r) => r.waits?.length).map((r) =>
    `PostgreSQL x${r.instances}, wahook sessions by wait event (mean count per 250 ms sample): ` + r.waits.slice(0, 6).map((w) => `${w.what} ${f(w.mean, 1)}`).join(", ") + ".");
  return [...warm, ...states, ...waits];
}

export function growthTable(rows) {
  return table(
    ["messages per POST", "body KB", "requests", "ack p50 ms", "ack p99 ms", "ack mean ms", "ms per message"],
    rows.map((r) => [String(r.messages), f(r.bodyBytes / 1024, 1), f(r.requests), f(r.p50, 2), f(r.p99, 2), f(r.mean, 2), f(r.perMessage, 3)]),
  );
}

export function soakSection(soak) {
  if (!soak) return "Not run (pass `--soak`: 5 minutes at half the peak rate of the full path).";
  return [
    `Open loop at ${f(soak.rate)} msg/s for ${f(soak.seconds)} s: half the lower of this run's wahook 1.2 KB ack rate (${f(soak.ackPeak)} req/s) and SQLite end-to-end rate (${f(soak.e2ePeak)} replies/s). Full path (bot, outbox, fake Graph), one message per POST; server RSS sampled every 5 s.`,
    "",
    `RSS first minute mean ${f(soak.firstMinute, 1)} MiB, last minute mean ${f(soak.lastMinute, 1)} MiB (change ${f(soak.change * 100, 1)}%), min ${f(soak.min, 1)}, max ${f(soak.max, 1)} MiB.`,
    `Replies ${f(soak.e2e.replies)} of ${f(soak.e2e.acked)} acked, ${f(soak.e2e.unanswered)} without a reply by the deadline, duplicated ${f(soak.e2e.duplicates)}, ack→reply p99 ${f(soak.e2e.ackToReply.p99, 1)} ms.`,
    `Samples (MiB): ${soak.samples.map((v) => f(v)).join(", ")}`,
  ].join("\n");
}

export function profileSection(profiles) {
  if (!profiles) return "Not run (pass `--profile`).";
  return profiles.map((p) => [
    `#### ${p.title}`,
    "",
    `\`node --cpu-prof\` of the server during the cell (${f(p.rate)} ${p.unit} while profiled; profiling slows it). Busy time only (idle excluded).`,
    "",
    "Top self time:",
    "",
    table(["share", "self ms", "function", "where"], p.top.map((t) => [`${f(t.share * 100, 1)}%`, f(t.selfMs), `\`${t.name}\``, t.where ? `\`${t.where}\`` : ""])),
    "",
    "Busy time by the innermost wahook (dist/) function on the stack, library and native time below it included:",
    "",
    table(["share", "ms", "wahook function", "where"], p.product.map((t) => [`${f(t.share * 100, 1)}%`, f(t.selfMs), `\`${t.name}\``, t.where ? `\`${t.where}\`` : ""])),
    "",
    "By area (self time): " + p.areas.slice(0, 10).map((a) => `${a.area} ${f(a.share * 100, 1)}%`).join(", "),
  ].join("\n")).join("\n\n");
}

/** [target, verdict, evidence] for each target of issue 6. */
export function targets(r) {
  const ack = (shape, label = "wahook") => r.ack.find((row) => row.shape === shape && row.label === label);
  const out = [];
  const verdict = (ok) => (ok === undefined ? "NOT RUN" : ok ? "met" : "MISSED");
  for (const [shape, min] of [["1.2KB", 0.85], ["30KB", 0.9]]) {
    const w = ack(shape);
    out.push([`ack path ${shape} >= ${min}x reference`, verdict(w && w.ratio >= min), w ? `${x(w.ratio)} (${f(w.rps)} req/s)` : "–"]);
  }
  for (const shape of ["1.2KB", "30KB"]) {
    const w = ack(shape);
    const p = ack(shape, "whatsapp-api-js");
    out.push([`ack path ${shape} ahead of whatsapp-api-js`, verdict(w && p && w.ratio > p.ratio), w && p ? `wahook ${x(w.ratio)} vs whatsapp-api-js ${x(p.ratio)} of the reference` : "–"]);
  }
  for (const shape of ["1.2KB", "30KB"]) {
    const w = ack(shape);
    out.push([`ack p99 at ${r.connections} connections (${shape}) <= 2x reference p99`, verdict(w && w.p99Ratio <= 2), w ? `${f(w.p99, 1)} ms = ${x(w.p99Ratio)}` : "–"]);
  }
  const e = r.e2e.find((row) => row.store === "SQLite" && !row.skipped);
  // Sustained: every message sent at the planned rate got its reply, at that rate over the send
  // window. replies/s (÷ last reply − first send) adds the last reply's latency to the window, so at
  // exactly 2,000 offered it stays below 2,000 for any latency (1,996 in a run with a p50 of 8.8 ms).
  const e2eOk = e && e.replies / e.sendSeconds >= 1990 && e.offeredRate >= 1990 && e.sent === e.planned && e.unanswered === 0 && e.duplicates === 0 && e.wrongRecipient === 0 && e.ackToReply.p99 < 250 && e.warm?.duplicates === 0 && e.warm?.unanswered === 0;
  out.push([
    "end to end SQLite >= 2,000 replies/s for 60 s, none lost or duplicated, ack→reply p99 < 250 ms",
    e && e.seconds < 60 ? `${verdict(e2eOk)} at ${e.seconds} s; 60 s NOT RUN` : verdict(e && e2eOk),
    e ? `${f(e.replies / e.sendSeconds)} replies per second of sending (${f(e.repliesPerSecond)} to the last reply) at ${f(e.offeredRate)} offered (${f(e.sent)} of ${f(e.planned)} sent), ${f(e.unanswered)} without reply by the deadline, duplicated ${e.duplicates + e.wrongRecipient}, p99 ${f(e.ackToReply.p99, 1)} ms over ${e.seconds} s` : "–",
  ]);
  out.push(["RSS flat (within 20%) over a 5-minute soak at half the peak rate", r.soak && r.soak.seconds < 300 ? `${verdict(Math.abs(r.soak.change) <= 0.2)} over a short soak; 5 min NOT RUN` : verdict(r.soak && Math.abs(r.soak.change) <= 0.2), r.soak ? `${f(r.soak.change * 100, 1)}% over ${r.soak.seconds} s` : "pass --soak"]);
  const g = r.growth;
  if (g?.length === 4) {
    const [, t10, t100, t1000] = g.map((row) => row.mean);
    const predicted = t10 + ((t100 - t10) / 90) * 990;
    out.push(["cost growth 1/10/100/1000 messages per POST: ack time linear", verdict(t1000 <= 1.25 * predicted), `1000-message POST ${f(t1000, 1)} ms vs ${f(predicted, 1)} ms extrapolated from 10 and 100 (ms/msg: ${g.map((row) => f(row.perMessage, 3)).join(", ")})`]);
  } else out.push(["cost growth: ack time linear", "NOT RUN", "–"]);
  return table(["target", "verdict", "this run"], out);
}

export function render(r) {
  return [
    `Run ${r.date} · \`${r.command}\` · product at ${r.revision} · ${r.machine} · SQLite commit (WAL, synchronous=FULL, one row) on this disk: mean ${f(r.commit.mean, 2)} ms, p99 ${f(r.commit.p99, 2)} ms (synchronous=NORMAL: mean ${f(r.commitNormal.mean, 2)} ms) · load generator: ${r.generator} · ${r.durations}`,
    "",
    "### Ack path (closed loop, " + r.connections + " connections, 1 request in flight each)",
    "",
    ackTable(r.ack),
    "",
    `### End to end (open loop, one 1.2 KB text message per POST, replies counted at the fake Graph)`,
    "",
    e2eTable(r.e2e),
    ...[...r.e2eNotes, ...waitNotes(r.e2e)].map((n) => `\n${n}`),
    "",
    "### Cost growth (closed loop, 1 connection, back to back)",
    "",
    r.growth ? growthTable(r.growth) : "Not run.",
    "",
    "### Memory soak",
    "",
    soakSection(r.soak),
    "",
    "### Targets (issue 6)",
    "",
    targets(r),
    "",
    "### Where the time goes (CPU profiles)",
    "",
    profileSection(r.profile),
  ].join("\n");
}
