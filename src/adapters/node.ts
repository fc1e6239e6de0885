import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { ACK, type Answer } from "../webhook/answer.js";
import { readNodeBody } from "../webhook/raw-body.js";
import type { HttpRequestLike } from "./router.js";

type Route = (request: HttpRequestLike) => Promise<Answer>;

const headerOf = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
};

export const nodeRequestLike = (req: IncomingMessage): HttpRequestLike => ({
  method: req.method ?? "GET",
  url: req.url ?? "/",
  header: (name) => headerOf(req, name),
  readBody: (maxBytes) => readNodeBody(req, maxBytes),
});

// The 200 Meta gets for every delivery: its header list is built once, not per request.
const ACK_HEADERS = ["content-type", ACK.contentType, "content-length", String(Buffer.byteLength(ACK.body))];

export function writeAnswer(res: ServerResponse, answer: Answer): void {
  if (answer === ACK) {
    res.writeHead(200, ACK_HEADERS);
    res.end(ACK.body);
    return;
  }
  const headers: Record<string, string | number> = { "content-type": answer.contentType, "content-length": Buffer.byteLength(answer.body) };
  if (answer.headers) Object.assign(headers, answer.headers);
  res.writeHead(answer.status, headers);
  res.end(answer.body);
}

/** node:http glue: (req, res) for the built-in server or any host that exposes Node's objects. */
export function createNodeHandler(route: Route, onError: (error: unknown) => void) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    route(nodeRequestLike(req)).then(
      (answer) => writeAnswer(res, answer),
      (error: unknown) => {
        onError(error);
        if (!res.headersSent) writeAnswer(res, { status: 500, contentType: "application/json", body: '{"error":{"code":"internal","message":"Internal error."}}' });
        else res.destroy();
      },
    );
  };
}

/** The built-in server: bare node:http (measured ~1.2x Fastify and ~4x Express for this workload when the project started; docs/BENCHMARKS.md compares wahook with a bare node:http reference). */
export async function listen(route: Route, options: { port: number; host: string; onError: (error: unknown) => void }): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer({ keepAliveTimeout: 65_000 }, createNodeHandler(route, options.onError));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
