import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createHttpFetch } from "../../src/graph/http-fetch.js";

/** The app's default Graph transport on a real loopback socket; the Graph client suite covers the rest. */
let server: Server | undefined;
const fetches: { close(): void }[] = [];
afterEach(async () => {
  fetches.splice(0).forEach((f) => f.close());
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

async function serve(answer: (res: ServerResponse) => void): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => answer(res));
  });
  server.on("connection", () => (connections += 1));
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v24.0/1/messages`, connections: () => connections };
}

const open = () => {
  const f = createHttpFetch({ maxSockets: 4 });
  fetches.push(f);
  return f;
};

const post = { method: "POST", headers: { "content-type": "application/json" }, body: "{\"to\":\"1\"}" };

describe("keep-alive http transport", () => {
  it("sends one request after another over kept-alive connections, not one connection each", async () => {
    const { url, connections } = await serve((res) => res.writeHead(200, { "content-type": "application/json" }).end("{\"ok\":true}"));
    const send = open();
    for (let i = 0; i < 20; i += 1) {
      const response = await send(url, { ...post, signal: AbortSignal.timeout(2000) });
      expect([response.status, response.ok, response.headers.get("Content-Type"), await response.text()]).toEqual([200, true, "application/json", "{\"ok\":true}"]);
    }
    // undici marks a connection free a moment after the body ended, so a request sent at once may
    // open a second one; after that the two are reused.
    expect(connections()).toBeLessThanOrEqual(2);
  });

  it("rejects with the timeout when the answer's body stops coming, like fetch", async () => {
    const { url } = await serve((res) => {
      res.writeHead(200, { "content-length": "100" });
      res.write("{\"partial\":");
    });
    const response = await open()(url, { ...post, signal: AbortSignal.timeout(100) });
    await expect(response.text()).rejects.toMatchObject({ name: "TimeoutError" });
  });
});
