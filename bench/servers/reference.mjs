// The yardstick, not product code: bare node:http doing what any webhook receiver must do at the
// least — read the raw body, verify X-Hub-Signature-256 (HMAC-SHA256, constant-time compare),
// JSON.parse, answer 200. Nothing is recorded.
import { createServer } from "node:http";
import { onVerifiedBody } from "./verified-body.mjs";

const secret = process.env.APP_SECRET ?? "bench-secret";

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) =>
  onVerifiedBody(req, res, secret, () => {
    res.writeHead(200, { "content-type": "text/plain", "content-length": 2 });
    res.end("OK");
  }),
);

server.listen(0, "127.0.0.1", () => process.stdout.write(`READY ${server.address().port}\n`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
