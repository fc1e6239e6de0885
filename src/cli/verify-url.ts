import { randomInt } from "node:crypto";
import { parseArgs } from "node:util";
import { WahookError } from "../errors.js";
import type { Command } from "./commands.js";
import type { CliIo } from "./io.js";

const usage = `Usage: wahook verify-url URL [--timeout-ms MS] [--allow-http]

Performs Meta's verification handshake against your deployed callback URL, exactly as the App
Dashboard does when you save it, and explains any failure with the fix:
  GET URL?hub.mode=subscribe&hub.verify_token=<VERIFY_TOKEN>&hub.challenge=<random>
Passes when the answer is 200 with the challenge echoed verbatim and no redirect.

Options:
  --timeout-ms MS  give up after MS milliseconds (default 10000)
  --allow-http     check an http:// URL (a local server) without failing on the scheme;
                   Meta itself only calls https:// URLs

Environment:
  VERIFY_TOKEN  the token you enter as "Verify token" in App Dashboard > WhatsApp > Configuration
`;

export interface Problem {
  problem: string;
  fix: string;
}

type Verdict = { ok: true; notes: string[] } | ({ ok: false } & Problem);

const TLS_CODE = /^(CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_|ERR_TLS_|ERR_SSL_|HOSTNAME_MISMATCH)/;

// undici wraps the socket error: TypeError("fetch failed") with the real error (or an
// AggregateError of one per address tried) as its cause.
function networkCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown; errors?: { code?: unknown }[] } } | undefined)?.cause;
  const code = cause?.code ?? cause?.errors?.[0]?.code;
  return typeof code === "string" ? code : undefined;
}

/** Plain words for a request that got no HTTP answer at all. Shared with `wahook simulate`. */
export function explainFetchError(error: unknown, url: URL, timeoutMs: number): Problem {
  const name = (error as { name?: unknown } | undefined)?.name;
  if (name === "TimeoutError" || name === "AbortError") {
    return {
      problem: `no answer within ${timeoutMs} ms.`,
      fix: "Check that the server is running and reachable from the internet (firewall, security group, tunnel still up), and that the handler answers at once instead of waiting on slow work.",
    };
  }
  const code = networkCode(error) ?? "unknown";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_NONAME") {
    return {
      problem: `the host name ${url.hostname} does not resolve (DNS ${code}).`,
      fix: "Check the spelling of the host. A free tunnel gets a new host name each time it restarts: copy the current one.",
    };
  }
  if (code === "ECONNREFUSED") {
    return {
      problem: `connection refused: nothing is listening at ${url.host}.`,
      fix: "Start the server (wahook serve), and check that the port in the URL (or the one your proxy or tunnel forwards to) is the port it listens on.",
    };
  }
  if (TLS_CODE.test(code)) {
    return {
      problem: `TLS error (${code}): the HTTPS certificate is not one Meta accepts.`,
      fix: "Meta rejects self-signed, expired and wrong-host certificates. Use a certificate from a public CA (Let's Encrypt), or a host or tunnel that provides one, and serve the full chain.",
    };
  }
  // e.g. "bad port": fetch refuses ports browsers block, which Meta will not call either.
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  const detail = [error, cause].map((e) => (e instanceof Error ? e.message : undefined)).filter(Boolean).join(": ");
  return { problem: `the request failed (${code === "unknown" ? "" : `${code}, `}${detail || String(error)}).`, fix: "Check that the URL is reachable from the internet and uses a standard port (443 is safest)." };
}

function explainStatus(status: number, statusText: string): Problem {
  const what = `the answer was ${status}${statusText ? ` ${statusText}` : ""}, not 200`;
  if (status === 401 || status === 403) {
    return {
      problem: `${what}: the server refused the verify token.`,
      fix: "VERIFY_TOKEN here, the server's VERIFY_TOKEN and the 'Verify token' field in App Dashboard > WhatsApp > Configuration must be the same string. If they are, check that signature checking runs only on POST: Meta's GET carries no X-Hub-Signature-256.",
    };
  }
  const fixes: Record<number, string> = {
    400: "The handler must read hub.mode, hub.verify_token and hub.challenge (with the dots) from the query string.",
    404: "Nothing answers at this path: check the path (wahook serves /webhook) and where your proxy or tunnel forwards to.",
    405: "The server does not take GET here: the same URL must answer Meta's GET handshake and its POST deliveries.",
    500: "The server failed while answering: read its logs. A common cause is VERIFY_TOKEN not being set on the server.",
    502: "A proxy or tunnel answered because it could not reach your app: check that the app runs on the port it forwards to.",
  };
  const fix =
    fixes[status] ??
    (status === 503 || status === 504 ? (fixes[502] as string)
      : status < 300 ? "Meta accepts exactly 200: answer 200 with the challenge as the body."
      : "Meta accepts exactly 200 with the challenge as the body; check the server's logs for why it answered this.");
  return { problem: `${what}.`, fix };
}

function explainRedirect(status: number, location: string | null, url: URL): Problem {
  const target = location === null ? undefined : new URL(location, url);
  if (target !== undefined) for (const key of [...target.searchParams.keys()]) if (key.startsWith("hub.")) target.searchParams.delete(key);
  const where = target === undefined ? "" : ` to ${target.href}`;
  const upgrade = target?.protocol === "https:" && url.protocol === "http:" ? " (an http-to-https upgrade)" : "";
  return {
    problem: `the answer was a ${status} redirect${where}${upgrade}. Meta does not follow redirects.`,
    fix: "Enter the final URL in the dashboard (with https:// and the exact path, including or omitting the trailing slash as the server expects).",
  };
}

const WHITESPACE_FIX = "Write hub.challenge exactly, with nothing before or after it (no newline from print/echo or a template).";
const PLAIN_FIX = "Answer with the raw challenge as text/plain, e.g. res.type('text/plain').send(challenge), not res.json(challenge).";

function jsonHolds(body: string, challenge: string): boolean {
  try {
    const parsed: unknown = JSON.parse(body);
    return parsed === challenge || (typeof parsed === "object" && parsed !== null && JSON.stringify(parsed).includes(challenge));
  } catch {
    return false;
  }
}

function judgeBody(body: string, contentType: string, challenge: string): Verdict {
  const html = /\btext\/html\b/i.test(contentType) || /^\s*<(!doctype|html|head|body)\b/i.test(body);
  if (body === challenge) {
    const notes = html ? ["served as text/html; Meta accepts it, but text/plain is the safer content type."] : [];
    return { ok: true, notes };
  }
  if (html) {
    return {
      ok: false,
      problem: "the answer is an HTML page, not the challenge (content-type text/html).",
      fix: "This is usually a framework's error or default page, a hosting login page, or a tunnel's browser-warning interstitial. Make the webhook route answer the challenge as text/plain, and check the URL reaches that route.",
    };
  }
  if (body.trim() === challenge) {
    return { ok: false, problem: `the challenge came back with whitespace added: ${JSON.stringify(body)}.`, fix: WHITESPACE_FIX };
  }
  if (jsonHolds(body, challenge)) {
    return { ok: false, problem: `the challenge came back JSON-encoded: ${body.trim().slice(0, 80)}.`, fix: PLAIN_FIX };
  }
  if (body === "") return { ok: false, problem: "the answer was 200 with an empty body.", fix: "Write hub.challenge as the response body." };
  const shown = JSON.stringify(body.slice(0, 80));
  return {
    ok: false,
    problem: `the challenge was altered: sent ${challenge}, got ${shown}${body.includes(challenge) ? " (extra text around it)" : ""}.`,
    fix: "Echo hub.challenge verbatim: do not parse, reformat or wrap it.",
  };
}

async function handshake(url: URL, settings: { token: string; timeoutMs: number }, io: CliIo): Promise<Verdict> {
  const challenge = String(randomInt(1_000_000_000, 10_000_000_000));
  const target = new URL(url);
  target.searchParams.set("hub.mode", "subscribe");
  target.searchParams.set("hub.verify_token", settings.token);
  target.searchParams.set("hub.challenge", challenge);
  try {
    // Meta calls with this user agent; some tunnels only show their HTML interstitial to browsers.
    const response = await io.fetch(target, {
      redirect: "manual",
      headers: { "user-agent": "facebookexternalua" },
      signal: AbortSignal.timeout(settings.timeoutMs),
    });
    const body = await response.text();
    if (response.status >= 300 && response.status < 400) return { ok: false, ...explainRedirect(response.status, response.headers.get("location"), url) };
    if (response.status !== 200) return { ok: false, ...explainStatus(response.status, response.statusText) };
    return judgeBody(body, response.headers.get("content-type") ?? "", challenge);
  } catch (error) {
    return { ok: false, ...explainFetchError(error, url, settings.timeoutMs) };
  }
}

function parseUrl(text: string | undefined): URL {
  if (text === undefined) throw new WahookError("CLI_USAGE", "verify-url needs the callback URL, e.g. wahook verify-url https://example.com/webhook");
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (url === undefined || (url.protocol !== "https:" && url.protocol !== "http:")) {
    throw new WahookError("CLI_USAGE", `not an http(s) URL: ${text}`);
  }
  return url;
}

export const verifyUrlCommand: Command = {
  summary: "check a deployed callback URL against Meta's verification handshake",
  usage,
  async run(args, env, io) {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { "timeout-ms": { type: "string" }, "allow-http": { type: "boolean" } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length > 1) throw new WahookError("CLI_USAGE", "verify-url takes one URL.");
    const url = parseUrl(positionals[0]);
    const timeoutMs = Number(values["timeout-ms"] ?? "10000");
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new WahookError("CLI_USAGE", "--timeout-ms must be a positive whole number.");
    const token = env.VERIFY_TOKEN?.trim();
    if (!token) {
      throw new WahookError("CONFIG_MISSING", "VERIFY_TOKEN is missing: set it to the 'Verify token' you enter in App Dashboard > WhatsApp > Configuration.");
    }

    io.stdout(`GET ${url.href} with hub.mode=subscribe, hub.verify_token=<VERIFY_TOKEN> and a random hub.challenge\n`);
    const httpOnly = url.protocol === "http:";
    if (httpOnly) io.stdout("warning: Meta only calls https:// URLs with a valid certificate and will refuse this http:// URL.\n");
    const verdict = await handshake(url, { token, timeoutMs }, io);
    // The server could echo the token back (an error page showing the URL); never print it.
    const redact = (text: string): string => text.replaceAll(token, "<VERIFY_TOKEN>");
    if (!verdict.ok) {
      io.stdout(redact(`FAIL: ${verdict.problem}\nFix:  ${verdict.fix}\n`));
      return 1;
    }
    for (const note of verdict.notes) io.stdout(`note: ${note}\n`);
    if (httpOnly && values["allow-http"] !== true) {
      io.stdout("FAIL: the handshake works, but Meta will not accept an http:// URL.\nFix:  serve it over HTTPS (a reverse proxy, your host's TLS, or a tunnel) and check the https:// URL; --allow-http checks a local server.\n");
      return 1;
    }
    io.stdout("PASS: 200 with the challenge echoed verbatim; Meta's verification would succeed.\n");
    return 0;
  },
};
