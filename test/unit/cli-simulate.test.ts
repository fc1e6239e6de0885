import { createHmac, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { captureIo } from "../helpers/capture-io.js";

const SECRET = "simulate-secret";
const FIXTURES = join(import.meta.dirname, "..", "fixtures");

interface Received {
  headers: IncomingHttpHeaders;
  body: Buffer;
  signatureValid: boolean;
}

/** A webhook receiver that checks X-Hub-Signature-256 itself, with node:crypto, not wahook's code. */
async function receiver(options: { secret?: string; status?: number } = {}) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const expected = Buffer.from(`sha256=${createHmac("sha256", options.secret ?? SECRET).update(body).digest("hex")}`);
      const given = Buffer.from(String(req.headers["x-hub-signature-256"] ?? ""));
      const signatureValid = given.length === expected.length && timingSafeEqual(given, expected);
      received.push({ headers: req.headers, body, signatureValid });
      const status = signatureValid ? (options.status ?? 200) : 401;
      res.writeHead(status, { "content-type": "text/plain" }).end(status === 200 ? "EVENT_RECEIVED" : "nope");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`, received };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

const simulate = async (args: string[], env: Record<string, string> = { APP_SECRET: SECRET }, stdin?: Buffer) => {
  const cli = captureIo({ cwd: FIXTURES, ...(stdin ? { stdin } : {}) });
  const code = await main(["simulate", ...args], env, cli.io);
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const message = (body: Buffer): any => JSON.parse(body.toString("utf8")).entry[0].changes[0].value.messages[0];

describe("wahook simulate", () => {
  it("POSTs a text message signed with APP_SECRET, as JSON, and prints the answer", async () => {
    const server = await receiver();
    const result = await simulate(["--url", server.url, "--text", "Grüße 👋 a/b"]);

    expect(result.code).toBe(0);
    expect(server.received).toHaveLength(1);
    const [request] = server.received;
    expect(request!.signatureValid).toBe(true);
    expect(request!.headers["content-type"]).toBe("application/json");
    expect(message(request!.body)).toMatchObject({ type: "text", text: { body: "Grüße 👋 a/b" }, from: "15550001111" });
    expect(request!.body.toString("latin1")).toContain("Gr\\u00fc\\u00dfe \\ud83d\\udc4b a\\/b");
    expect(result.stdout).toContain('200 OK');
    expect(result.stdout).toContain('"EVENT_RECEIVED"');
    expect(result.stdout).toContain("OK: 1 of 1 answered 200");
  });

  it("re-sends the identical delivery, bytes and signature, for --repeat, with a progress line each", async () => {
    const server = await receiver();
    const result = await simulate(["--url", server.url, "--type", "image", "--repeat", "3"]);

    expect(result.code).toBe(0);
    expect(server.received).toHaveLength(3);
    const [first, ...others] = server.received;
    for (const other of others) {
      expect(other.body.equals(first!.body)).toBe(true);
      expect(other.headers["x-hub-signature-256"]).toBe(first!.headers["x-hub-signature-256"]);
    }
    expect(message(first!.body).type).toBe("image");
    for (const i of [1, 2, 3]) expect(result.stdout).toContain(`[${i}/3] 200 OK`);
    expect(result.stdout).toContain("OK: 3 of 3 answered 200");
  });

  it("sends the exact bytes of --file, with the signature Meta would have sent", async () => {
    const server = await receiver({ secret: "fixture-app-secret" });
    const result = await simulate(["--url", server.url, "--file", "inbound-unicode-emoji.json"], { APP_SECRET: "fixture-app-secret" });
    const signatures = JSON.parse(readFileSync(join(FIXTURES, "signatures.json"), "utf8")) as Record<string, string>;

    expect(result.code).toBe(0);
    expect(server.received[0]!.body.equals(readFileSync(join(FIXTURES, "inbound-unicode-emoji.json")))).toBe(true);
    expect(server.received[0]!.headers["x-hub-signature-256"]).toBe(signatures["inbound-unicode-emoji.json"]);
  });

  it("sends stdin for --file -", async () => {
    const server = await receiver();
    const body = Buffer.from('{"object":"whatsapp_business_account","entry":[]}');
    expect((await simulate(["--url", server.url, "--file", "-"], { APP_SECRET: SECRET }, body)).code).toBe(0);
    expect(server.received[0]!.body.equals(body)).toBe(true);
  });

  it("uses --from as the sender and PHONE_NUMBER_ID as the business number", async () => {
    const server = await receiver();
    await simulate(["--url", server.url, "--from", "4915112345678"], { APP_SECRET: SECRET, PHONE_NUMBER_ID: "391054887612340" });
    const value = JSON.parse(server.received[0]!.body.toString("utf8")).entry[0].changes[0].value;
    expect(value.messages[0].from).toBe("4915112345678");
    expect(value.metadata.phone_number_id).toBe("391054887612340");
  });

  it("exits 1 when an answer is not 200, and says what a rejected signature means", async () => {
    const server = await receiver({ secret: "the-server-has-another-secret" });
    const result = await simulate(["--url", server.url, "--repeat", "2"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("[1/2] 401 Unauthorized");
    expect(result.stdout).toContain("APP_SECRET");
    expect(result.stdout).toContain("FAIL: 2 of 2 did not answer 200");
  });

  it("exits 1 on a 500", async () => {
    const server = await receiver({ status: 500 });
    const result = await simulate(["--url", server.url]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("500 Internal Server Error");
  });

  it("exits 1 and explains when nothing listens at the URL", async () => {
    const server = await receiver();
    await new Promise((resolve) => servers.pop()!.close(resolve));
    const result = await simulate(["--url", server.url]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("connection refused");
  });

  it("never prints the secret", async () => {
    const server = await receiver();
    const result = await simulate(["--url", server.url]);
    expect(result.stdout + result.stderr).not.toContain(SECRET);
  });

  it("exits 1 naming APP_SECRET when it is missing, sending nothing", async () => {
    const server = await receiver();
    const result = await simulate(["--url", server.url], {});
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("APP_SECRET");
    expect(server.received).toHaveLength(0);
  });

  it.each([
    [[], "--url is required"],
    [["--url", "ftp://example.com"], "not an http(s) URL"],
    [["--url", "http://127.0.0.1:9/webhook", "--type", "poll"], "--type must be one of"],
    [["--url", "http://127.0.0.1:9/webhook", "--repeat", "0"], "--repeat must be"],
    [["--url", "http://127.0.0.1:9/webhook", "--file", "inbound-text.json", "--text", "hi"], "cannot be combined"],
    [["--url", "http://127.0.0.1:9/webhook", "--from", "+49 151"], "digits only"],
    [["--url", "http://127.0.0.1:9/webhook", "extra"], "extra"],
  ])("exits 2 for %j", async (args, message) => {
    const result = await simulate(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain("wahook simulate --help");
  });
});
