// The Node load generator, a child process pinned to core 1, for the cells wrk cannot do: end to
// end (a fake Graph API lives here too, so ack and reply times share one clock), the memory soak
// and cost growth. Driven over IPC: { cmd, ...args } in, { ok, result } or { ok: false, error } out.
import { Agent, createServer, request } from "node:http";
import { deliveryBody, message, sign } from "./bodies.mjs";

const quantile = (sorted, q) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
const stats = (values) => {
  const sorted = Float64Array.from(values).sort();
  return { n: sorted.length, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted[sorted.length - 1] ?? NaN, mean: sorted.reduce((a, b) => a + b, 0) / (sorted.length || 1) };
};

/** POSTs one signed body; resolves with the status once the answer has been read. */
function post(url, agent, body) {
  return new Promise((resolve) => {
    const req = request(`${url}/webhook`, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), "x-hub-signature-256": sign(body) } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
    });
    req.on("error", () => resolve(0));
    req.end(body);
  });
}

// Message numbers are never reused within this process (warm-up, measured run, growth), so no
// message repeats an earlier wamid. Replies seen by the fake Graph for the current e2e run:
// index in the run -> [first arrival ms, count].
let nextMessage = 0;
let run = { tag: "", base: 0, replies: new Map(), wrongRecipient: 0, other: 0 };

async function startGraph() {
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      const at = performance.now();
      let body = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        // counted below as "other"
      }
      const match = typeof body?.text?.body === "string" ? /^(\S+) (\d+) /.exec(body.text.body) : null;
      if (match && match[1] === run.tag.toUpperCase()) {
        const n = Number(match[2]);
        const seen = run.replies.get(n - run.base);
        if (seen) seen[1] += 1;
        else run.replies.set(n - run.base, [at, 1]);
        if (body.to !== message(run.tag, n, 10).message.from) run.wrongRecipient += 1;
      } else run.other += 1;
      const out = JSON.stringify({ messaging_product: "whatsapp", contacts: [{ input: body?.to, wa_id: body?.to }], messages: [{ id: `wamid.fake-${at}` }] });
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(out) }).end(out);
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { graphUrl: `http://127.0.0.1:${server.address().port}` };
}

/**
 * Open loop: message n is due at t0 + n/rate and sent then (round robin over urls), unless
 * maxInFlight POSTs are already waiting, in which case it goes as soon as one returns (the offered
 * rate then falls behind, and the result says so). Sending stops at maxSendSeconds even if not all
 * `count` messages went out. One 1.2 KB text message per POST.
 */
async function e2e({ urls, rate, count, maxSendSeconds, drainSeconds, tag, maxInFlight = 256 }) {
  run = { tag, base: nextMessage, replies: new Map(), wrongRecipient: 0, other: 0 };
  nextMessage += count;
  const agents = urls.map(() => new Agent({ keepAlive: true, maxSockets: maxInFlight }));
  let total = count;
  const sentAt = new Float64Array(total);
  const ackAt = new Float64Array(total);
  let sent = 0, acked = 0, failed = 0, inFlight = 0, lastSendAt = 0;
  const t0 = performance.now();
  await new Promise((resolve) => {
    const pump = () => {
      if (performance.now() - t0 > maxSendSeconds * 1000) total = sent;
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
      while (sent < due && inFlight < maxInFlight) {
        const n = sent++;
        inFlight += 1;
        lastSendAt = sentAt[n] = performance.now();
        post(urls[n % urls.length], agents[n % urls.length], deliveryBody(tag, run.base + n, 1, 760)).then((status) => {
          inFlight -= 1;
          if (status !== 200) failed += 1;
          else {
            ackAt[n] = performance.now();
            acked += 1;
          }
        });
      }
      if (sent === total && inFlight === 0) resolve();
      else setTimeout(pump, sent < total ? 2 : 10);
    };
    pump();
  });
  const sendEnd = performance.now();
  const deadline = sendEnd + drainSeconds * 1000;
  while (run.replies.size < acked && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 1000)); // a grace second, so a late duplicate is seen
  agents.forEach((agent) => agent.destroy());
  const latencies = [];
  let last = t0, duplicates = 0, unanswered = 0;
  for (let n = 0; n < total; n += 1) {
    const reply = run.replies.get(n);
    if (ackAt[n] === 0) continue;
    if (!reply) unanswered += 1;
    else {
      latencies.push(reply[0] - ackAt[n]);
      duplicates += reply[1] - 1;
      last = Math.max(last, reply[0]);
    }
  }
  const acks = [];
  for (let n = 0; n < total; n += 1) if (ackAt[n] > 0) acks.push(ackAt[n] - sentAt[n]);
  return {
    planned: count, sent: total, sendSeconds: (lastSendAt - t0) / 1000, offeredRate: total / Math.max((lastSendAt - t0) / 1000, 1 / rate), acked, failed,
    replies: run.replies.size, duplicates, unanswered, wrongRecipient: run.wrongRecipient, unexpected: run.other,
    repliesPerSecond: run.replies.size / ((last - t0) / 1000), drainedInSeconds: (last - sendEnd) / 1000,
    ackToReply: stats(latencies), ack: stats(acks),
  };
}

/** Closed loop, one connection: POSTs of n messages back to back; ack time per request. */
async function growth({ url, sizes, secondsEach, tag }) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const timed = async (n) => {
    const body = deliveryBody(tag, nextMessage, n, 760);
    nextMessage += n;
    const start = performance.now();
    const status = await post(url, agent, body);
    if (status !== 200) throw new Error(`POST of ${n} messages answered ${status}`);
    return { ms: performance.now() - start, bytes: Buffer.byteLength(body) };
  };
  for (let i = 0; i < 50; i += 1) await timed(10); // warm-up
  const rows = [];
  for (const n of sizes) {
    const times = [];
    let bytes = 0;
    const end = performance.now() + secondsEach * 1000;
    while ((performance.now() < end || times.length < 5) && times.length < 2000) {
      const one = await timed(n);
      times.push(one.ms);
      bytes = one.bytes;
    }
    const s = stats(times);
    rows.push({ messages: n, bodyBytes: bytes, requests: s.n, p50: s.p50, p99: s.p99, mean: s.mean, perMessage: s.mean / n });
  }
  agent.destroy();
  return rows;
}

const commands = { graph: startGraph, e2e, growth };
process.on("message", async ({ id, cmd, ...args }) => {
  try {
    process.send({ id, ok: true, result: await commands[cmd](args) });
  } catch (error) {
    process.send({ id, ok: false, error: String(error?.stack ?? error) });
  }
});
process.on("disconnect", () => process.exit(0));
