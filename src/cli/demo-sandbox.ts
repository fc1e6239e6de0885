import { randomBytes } from "node:crypto";
import { createServer } from "node:http";

export interface SandboxSend {
  phoneNumberId: string;
  body: Record<string, unknown>;
  /** the wamid the sandbox answered with; null for read receipts */
  wamid: string | null;
}

/**
 * The demo's stand-in for graph.facebook.com on 127.0.0.1: it answers POST /{version}/{phone}/messages
 * the way Meta does and records what would have been sent. Nothing leaves the machine. The server
 * only ever uses it in `wahook demo`; with ACCESS_TOKEN set, `wahook serve` talks to Meta.
 */
export async function startSandboxGraph(onSend: (send: SandboxSend) => void): Promise<{ url: string; sends: SandboxSend[]; close(): Promise<void> }> {
  const sends: SandboxSend[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const match = /^\/v[\d.]+\/([^/]+)\/messages$/.exec(req.url ?? "");
      let body: Record<string, unknown> | undefined;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
      } catch {
        body = undefined;
      }
      if (req.method !== "POST" || !match?.[1] || !body) {
        res.writeHead(400, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: "(#100) The sandbox only takes POST /{version}/{phone-number-id}/messages", code: 100 } }));
        return;
      }
      const isReceipt = body.status === "read";
      const wamid = isReceipt ? null : `wamid.SANDBOX${randomBytes(12).toString("hex").toUpperCase()}`;
      const send = { phoneNumberId: match[1], body, wamid };
      sends.push(send);
      onSend(send);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(isReceipt ? { success: true } : { messaging_product: "whatsapp", contacts: [{ input: body.to, wa_id: body.to }], messages: [{ id: wamid }] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    sends,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
