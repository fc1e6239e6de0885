// The peer: whatsapp-api-js 6.x's own node:http POST handler (middleware/node-http handle_post:
// reads the body, verifies the signature with WebCrypto, JSON.parse, dispatches to on.message).
// Nothing is recorded; the handler only counts, like a bot that does nothing.
import { createServer } from "node:http";
import { WhatsAppAPI } from "whatsapp-api-js/middleware/node-http";

const whatsapp = new WhatsAppAPI({ token: "bench-token", appSecret: process.env.APP_SECRET ?? "bench-secret", webhookVerifyToken: "bench-verify", v: "v24.0" });
let messages = 0;
whatsapp.on.message = () => void (messages += 1);

const server = createServer({ keepAliveTimeout: 65_000 }, async (req, res) => {
  if (req.method === "POST") {
    res.statusCode = await whatsapp.handle_post(req);
    res.end();
    return;
  }
  res.writeHead(200, { "content-type": "text/plain" }).end(String(messages));
});

server.listen(0, "127.0.0.1", () => process.stdout.write(`READY ${server.address().port}\n`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
