// The yardstick, not product code: bare node:http doing what any webhook receiver must do at the
// least — read the raw body, verify X-Hub-Signature-256 (HMAC-SHA256, constant-time compare),
// JSON.parse, answer 200. Nothing is recorded.
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";

const secret = process.env.APP_SECRET ?? "bench-secret";

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    const header = req.headers["x-hub-signature-256"];
    const expected = typeof header === "string" && header.startsWith("sha256=") ? Buffer.from(header.slice(7), "hex") : Buffer.alloc(0);
    const actual = createHmac("sha256", secret).update(body).digest();
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
      res.writeHead(403).end();
      return;
    }
    try {
      JSON.parse(body.toString("utf8"));
    } catch {
      res.writeHead(400).end();
      return;
    }
    res.writeHead(200, { "content-type": "text/plain", "content-length": 2 });
    res.end("OK");
  });
});

server.listen(0, "127.0.0.1", () => process.stdout.write(`READY ${server.address().port}\n`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
