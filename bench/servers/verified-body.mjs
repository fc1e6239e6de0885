// What both yardsticks (reference.mjs, reference-durable.mjs) do with a POST before answering it:
// read the raw body, verify X-Hub-Signature-256 (HMAC-SHA256, constant-time compare) and
// JSON.parse it. A forged body gets 403, a body that is not JSON 400; `accepted` gets the rest.
import { createHmac, timingSafeEqual } from "node:crypto";

export function onVerifiedBody(req, res, secret, accepted) {
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
    accepted(body);
  });
}
