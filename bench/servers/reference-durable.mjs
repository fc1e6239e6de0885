// A second yardstick, not product code: the reference (reference.mjs) plus the least any durable
// receiver must add, a group commit. Verified bodies are queued; while no commit is under way the
// queue is written in one positional write into a pre-zeroed 256 MiB file (reused from the start
// when full) and fdatasync'd, and only then is each request answered. Nothing is parsed again,
// indexed or expanded. The ack cells show it next to wahook so the reader can tell the disk's cost
// from wahook's own; the targets of issue 6 still divide by the plain reference.
import { closeSync, fdatasync, mkdtempSync, openSync, rmSync, write, writeSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onVerifiedBody } from "./verified-body.mjs";

const secret = process.env.APP_SECRET ?? "bench-secret";
const RING_BYTES = 256 * 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), "wahook-bench-durable-"));
const fd = openSync(join(dir, "log"), "w+");
const zeros = Buffer.alloc(16 * 1024 * 1024);
for (let at = 0; at < RING_BYTES; at += zeros.length) writeSync(fd, zeros, 0, zeros.length, at);

let queue = [];
let committing = false;
let position = 0;
const commit = () => {
  if (committing || queue.length === 0) return;
  committing = true;
  const group = queue;
  queue = [];
  const bytes = Buffer.concat(group.map((item) => item.body));
  if (position + bytes.length > RING_BYTES) position = 0;
  write(fd, bytes, 0, bytes.length, position, (writeError) => {
    position += bytes.length;
    fdatasync(fd, (syncError) => {
      committing = false;
      for (const item of group) item.done(writeError ?? syncError);
      commit();
    });
  });
};

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) =>
  onVerifiedBody(req, res, secret, (body) => {
    queue.push({ body, done: (error) => (error ? res.writeHead(500).end() : res.writeHead(200, { "content-type": "text/plain", "content-length": 2 }).end("OK")) });
    setImmediate(commit);
  }),
);

server.listen(0, "127.0.0.1", () => process.stdout.write(`READY ${server.address().port}\n`));
process.on("SIGTERM", () =>
  server.close(() => {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  }),
);
