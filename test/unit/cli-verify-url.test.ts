import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { captureIo } from "../helpers/capture-io.js";

const TOKEN = "verify-me-0123";

// A self-signed certificate for 127.0.0.1 (EC P-256, valid until 2126): what Meta refuses.
const SELF_SIGNED = {
  key: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgiUqGeC31xlRpzOev
c4l7ZKYGSwPsYSaagvLxC3lXbHWhRANCAAQnz8vIhQ8/ppCz/6g6KCmkTYkGPxRq
ENzUuM3zjBfLgnTmNjCvs+HjNCLgBhwQuSx7oxHYIeAjSTriRIx9Bgv2
-----END PRIVATE KEY-----`,
  cert: `-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIUXx6hKdjkg/d4bBe9J9WixuKRLZwwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyODE2NTAzOFoYDzIxMjYxMTA0
MTY1MDM4WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAQnz8vIhQ8/ppCz/6g6KCmkTYkGPxRqENzUuM3zjBfLgnTmNjCvs+Hj
NCLgBhwQuSx7oxHYIeAjSTriRIx9Bgv2o28wbTAdBgNVHQ4EFgQU+OwAKKJSnulu
VOvkY9fDIHqX5KEwHwYDVR0jBBgwFoAU+OwAKKJSnuluVOvkY9fDIHqX5KEwDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARhwR/AAABgglsb2NhbGhvc3QwCgYIKoZI
zj0EAwIDSAAwRQIgBoLgzLSM7OrispQ7AjVreTZJsDkYwMTAnT18hQG2+pkCIQCC
83kgY/51Ov8RV5/TN0Z5uGLXv0/cW692owuOk2yR3A==
-----END CERTIFICATE-----`,
};

type Handler = (query: URLSearchParams, res: ServerResponse, req: IncomingMessage) => void;

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(handler: Handler, tls = false): Promise<string> {
  const listener = (req: IncomingMessage, res: ServerResponse) => handler(new URL(req.url ?? "/", "http://x").searchParams, res, req);
  const server = tls ? createHttpsServer(SELF_SIGNED, listener) : createHttpServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return `${tls ? "https" : "http"}://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`;
}

/** What a correct webhook does (wahook's own handshake, Meta's SDK, pywa). */
const correct: Handler = (query, res) => {
  if (query.get("hub.mode") === "subscribe" && query.get("hub.verify_token") === TOKEN) {
    res.writeHead(200, { "content-type": "text/plain" }).end(query.get("hub.challenge"));
  } else {
    res.writeHead(403).end();
  }
};

const answering = (status: number, headers: Record<string, string>, body: (challenge: string) => string): Handler =>
  (query, res) => void res.writeHead(status, headers).end(body(query.get("hub.challenge") ?? ""));

async function verify(url: string, extra: string[] = ["--allow-http"], env: Record<string, string> = { VERIFY_TOKEN: TOKEN }) {
  const cli = captureIo();
  const code = await main(["verify-url", url, ...extra], env, cli.io);
  const output = cli.stdout() + cli.stderr();
  // Whatever happened, the verify token is never shown.
  expect(output).not.toContain(TOKEN);
  return { code, output };
}

describe("wahook verify-url", () => {
  it("passes, exit 0, when the server echoes the challenge with 200", async () => {
    const { code, output } = await verify(await serve(correct));
    expect(code).toBe(0);
    expect(output).toContain("PASS");
  });

  it("sends Meta's request: GET with hub.mode=subscribe, the verify token, a numeric challenge, Meta's user agent", async () => {
    const seen: { method?: string; query?: URLSearchParams; ua?: string } = {};
    const url = await serve((query, res, req) => {
      Object.assign(seen, { method: req.method, query, ua: req.headers["user-agent"] });
      correct(query, res, req);
    });
    await verify(`${url}?keep=1`);
    expect(seen.method).toBe("GET");
    expect(seen.query?.get("hub.mode")).toBe("subscribe");
    expect(seen.query?.get("hub.verify_token")).toBe(TOKEN);
    expect(seen.query?.get("hub.challenge")).toMatch(/^\d{10}$/);
    expect(seen.query?.get("keep")).toBe("1");
    expect(seen.ua).toBe("facebookexternalua");
  });

  it("fails an http:// URL even when the handshake works, unless --allow-http", async () => {
    const { code, output } = await verify(await serve(correct), []);
    expect(code).toBe(1);
    expect(output).toContain("warning: Meta only calls https:// URLs");
    expect(output).toContain("the handshake works, but Meta will not accept an http:// URL");
  });

  it("explains a refused verify token (403) and where the token must match", async () => {
    const { code, output } = await verify(await serve(correct), ["--allow-http"], { VERIFY_TOKEN: "another-token" });
    expect(code).toBe(1);
    expect(output).toContain("403 Forbidden");
    expect(output).toContain("refused the verify token");
    expect(output).toContain("'Verify token' field in App Dashboard");
    expect(output).toContain("signature checking runs only on POST");
  });

  it("explains a 500 and where to look", async () => {
    const { code, output } = await verify(await serve(answering(500, {}, () => "boom")));
    expect(code).toBe(1);
    expect(output).toContain("the answer was 500 Internal Server Error, not 200");
    expect(output).toContain("read its logs");
  });

  it.each([
    [404, "Nothing answers at this path"],
    [405, "must answer Meta's GET handshake and its POST"],
    [502, "could not reach your app"],
    [204, "Meta accepts exactly 200"],
  ])("explains a %i", async (status, words) => {
    const { code, output } = await verify(await serve(answering(status, {}, () => "")));
    expect(code).toBe(1);
    expect(output).toContain(`the answer was ${status}`);
    expect(output).toContain(words);
  });

  it("explains a challenge that came back altered", async () => {
    const { code, output } = await verify(await serve(answering(200, { "content-type": "text/plain" }, (c) => String(Number(c) + 1))));
    expect(code).toBe(1);
    expect(output).toContain("the challenge was altered");
    expect(output).toContain("Echo hub.challenge verbatim");
  });

  it("explains a JSON-quoted challenge", async () => {
    const { code, output } = await verify(await serve(answering(200, { "content-type": "application/json" }, (c) => JSON.stringify(c))));
    expect(code).toBe(1);
    expect(output).toContain("the challenge came back JSON-encoded");
    expect(output).toContain("text/plain");
  });

  it("explains a challenge with whitespace added", async () => {
    const { code, output } = await verify(await serve(answering(200, { "content-type": "text/plain" }, (c) => `${c}\n`)));
    expect(code).toBe(1);
    expect(output).toContain("whitespace added");
  });

  it("explains an HTML page served instead of the challenge (an error page or a tunnel interstitial)", async () => {
    const page = () => "<!DOCTYPE html><html><body>You are about to visit this site</body></html>";
    const { code, output } = await verify(await serve(answering(200, { "content-type": "text/html; charset=utf-8" }, page)));
    expect(code).toBe(1);
    expect(output).toContain("an HTML page, not the challenge");
    expect(output).toContain("interstitial");
  });

  it("passes the exact challenge served as text/html (Express's res.send), with a note", async () => {
    const { code, output } = await verify(await serve(answering(200, { "content-type": "text/html; charset=utf-8" }, (c) => c)));
    expect(code).toBe(0);
    expect(output).toContain("note: served as text/html");
  });

  it("explains a redirect: Meta does not follow it; shows the target without the hub parameters", async () => {
    const url = await serve((query, res) => {
      res.writeHead(301, { location: `https://example.com/webhook/?${query.toString()}` }).end();
    });
    const { code, output } = await verify(url);
    expect(code).toBe(1);
    expect(output).toContain("301 redirect to https://example.com/webhook/");
    expect(output).toContain("http-to-https upgrade");
    expect(output).toContain("Meta does not follow redirects");
    expect(output).not.toContain("example.com/webhook/?");
  });

  it("explains a timeout after --timeout-ms", async () => {
    const url = await serve(() => undefined);
    const started = Date.now();
    const { code, output } = await verify(url, ["--allow-http", "--timeout-ms", "200"]);
    expect(code).toBe(1);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(output).toContain("no answer within 200 ms");
  });

  it("explains a refused connection", async () => {
    const url = await serve(correct);
    const server = servers.pop()!;
    await new Promise((resolve) => server.close(resolve));
    const { code, output } = await verify(url);
    expect(code).toBe(1);
    expect(output).toContain("connection refused: nothing is listening at 127.0.0.1:");
  });

  it("explains a host name that does not resolve", async () => {
    const { code, output } = await verify("https://wahook-test.invalid/webhook", ["--timeout-ms", "5000"]);
    expect(code).toBe(1);
    expect(output).toContain("does not resolve");
  });

  it("explains a self-signed certificate", async () => {
    const { code, output } = await verify(await serve(correct, true));
    expect(code).toBe(1);
    expect(output).toContain("TLS error");
    expect(output).toContain("Meta rejects self-signed");
  });

  it("never shows the verify token, even when the server echoes it back", async () => {
    const { code, output } = await verify(await serve(answering(200, {}, () => `you sent ${TOKEN}`)));
    expect(code).toBe(1);
    expect(output).toContain("you sent <VERIFY_TOKEN>");
  });

  it("exits 1 naming VERIFY_TOKEN when it is missing", async () => {
    const { code, output } = await verify("https://example.com/webhook", [], {});
    expect(code).toBe(1);
    expect(output).toContain("VERIFY_TOKEN is missing");
  });

  it.each([
    [[], "needs the callback URL"],
    [["not a url"], "not an http(s) URL"],
    [["https://a.example", "https://b.example"], "one URL"],
    [["https://a.example", "--timeout-ms", "soon"], "--timeout-ms must be"],
  ])("exits 2 for %j", async (args, message) => {
    const cli = captureIo();
    expect(await main(["verify-url", ...args], { VERIFY_TOKEN: TOKEN }, cli.io)).toBe(2);
    expect(cli.stderr()).toContain(message);
  });
});

describe("verify-url's explanation of other network errors", () => {
  it("passes on the underlying reason, such as a port fetch refuses", async () => {
    const cli = captureIo();
    expect(await main(["verify-url", "https://127.0.0.1:1/webhook"], { VERIFY_TOKEN: TOKEN }, cli.io)).toBe(1);
    expect(cli.stdout()).toContain("the request failed (fetch failed: bad port)");
  });
});
