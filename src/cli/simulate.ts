import { parseArgs } from "node:util";
import type { Env } from "../config.js";
import { WahookError } from "../errors.js";
import { sign } from "../webhook/signature.js";
import type { Command } from "./commands.js";
import { firstAppSecret } from "./env.js";
import { readInput, type CliIo } from "./io.js";
import { SIMULATED_TYPES, simulatedDelivery, type SimulatedType } from "./simulated-events.js";
import { explainFetchError } from "./verify-url.js";

const usage = `Usage: wahook simulate --url URL [--text TEXT | --type TYPE | --file FILE] [options]

Sends a webhook delivery to URL the way Meta does (the dashboard's "Test" button): a POST with
Meta's JSON encoding and a valid X-Hub-Signature-256 made with the first APP_SECRET.

Options:
  --url URL         the webhook endpoint, e.g. http://localhost:8000/webhook
  --text TEXT       a text message with this body (or the caption/label/emoji of --type)
  --type TYPE       one of: ${SIMULATED_TYPES.join(", ")} (default text)
  --file FILE       send FILE's exact bytes instead (- for stdin), e.g. a captured body
  --from WA_ID      the sender's WhatsApp id, digits only (default 15550001111)
  --repeat N        send the same delivery N times, as Meta's retries do (default 1);
                    a correct server answers 200 each time and handles it once
  --timeout-ms MS   give up on an answer after MS milliseconds (default 10000)

Environment:
  APP_SECRET       the Meta app secret the server verifies signatures with
  PHONE_NUMBER_ID  used as the business number in simulated deliveries, when set
`;

const options = {
  url: { type: "string" },
  text: { type: "string" },
  type: { type: "string" },
  file: { type: "string" },
  from: { type: "string" },
  repeat: { type: "string" },
  "timeout-ms": { type: "string" },
} as const;

function positiveInt(value: string | undefined, fallback: number, flag: string, max: number): number {
  const n = Number(value ?? fallback);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new WahookError("CLI_USAGE", `${flag} must be a whole number from 1 to ${max}.`);
  return n;
}

function parseUrl(text: string | undefined): URL {
  if (text === undefined) throw new WahookError("CLI_USAGE", "--url is required, e.g. --url http://localhost:8000/webhook");
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) throw new WahookError("CLI_USAGE", `not an http(s) URL: ${text}`);
  return url;
}

type Values = { [K in keyof typeof options]?: string };

async function buildBody(values: Values, env: Env, io: CliIo): Promise<{ body: Uint8Array; what: string }> {
  if (values.file !== undefined) {
    if (values.text !== undefined || values.type !== undefined || values.from !== undefined) {
      throw new WahookError("CLI_USAGE", "--file sends the file as it is; it cannot be combined with --text, --type or --from.");
    }
    return { body: await readInput(io, values.file), what: values.file === "-" ? "stdin" : values.file };
  }
  const type = values.type ?? "text";
  if (!(SIMULATED_TYPES as readonly string[]).includes(type)) throw new WahookError("CLI_USAGE", `--type must be one of: ${SIMULATED_TYPES.join(", ")}.`);
  const from = values.from ?? "15550001111";
  if (!/^\d{5,20}$/.test(from)) throw new WahookError("CLI_USAGE", "--from must be a WhatsApp id: digits only, no + or spaces.");
  const text = simulatedDelivery({
    type: type as SimulatedType,
    text: values.text,
    from,
    phoneNumberId: env.PHONE_NUMBER_ID,
    nowSec: Math.floor(Date.now() / 1000),
    random: Math.random,
  });
  return { body: Buffer.from(text, "utf8"), what: `a simulated ${type} ${type === "status" ? "update" : "message"} from ${from}` };
}

const HINTS: Record<number, string> = {
  401: "the server rejected the signature: is its APP_SECRET the same as this one?",
  403: "the server rejected the signature: is its APP_SECRET the same as this one?",
  404: "no webhook at this path (wahook serves /webhook).",
  413: "the body is larger than the server's limit (MAX_BODY_BYTES).",
};

async function post(url: URL, body: Uint8Array, signature: string, timeoutMs: number, io: CliIo): Promise<{ status: number | undefined; line: string }> {
  const started = performance.now();
  try {
    const response = await io.fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-hub-signature-256": signature, "user-agent": "facebookexternalua" },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    const ms = Math.round(performance.now() - started);
    const shown = text.length > 300 ? `${text.slice(0, 300)}...` : text;
    const hint = response.status === 200 ? "" : ` (${HINTS[response.status] ?? "Meta counts anything but 200 as a failed delivery and retries it"})`;
    return { status: response.status, line: `${response.status} ${response.statusText} in ${ms} ms: ${JSON.stringify(shown)}${hint}` };
  } catch (error) {
    const { problem, fix } = explainFetchError(error, url, timeoutMs);
    return { status: undefined, line: `no answer: ${problem} ${fix}` };
  }
}

export const simulateCommand: Command = {
  summary: "send signed test deliveries to a webhook URL, like Meta's dashboard Test button",
  usage,
  async run(args, env, io) {
    const { values } = parseArgs({ args: [...args], options, strict: true, allowPositionals: false });
    const url = parseUrl(values.url);
    const repeat = positiveInt(values.repeat, 1, "--repeat", 1000);
    const timeoutMs = positiveInt(values["timeout-ms"], 10_000, "--timeout-ms", 600_000);
    const secret = firstAppSecret(env);
    const { body, what } = await buildBody(values, env, io);
    // Signed once: every repeat is the identical delivery, bytes and header, as in Meta's retries.
    const signature = sign(body, secret);

    io.stdout(`POST ${url.href}: ${what}, ${body.byteLength} bytes, signed with APP_SECRET${repeat > 1 ? `, ${repeat} times` : ""}\n`);
    let ok = 0;
    for (let i = 1; i <= repeat; i += 1) {
      const answer = await post(url, body, signature, timeoutMs, io);
      if (answer.status === 200) ok += 1;
      io.stdout(`${repeat > 1 ? `[${i}/${repeat}] ` : ""}${answer.line}\n`);
    }
    const failed = repeat - ok;
    const dedupe = repeat > 1 && failed === 0 ? "; the server should have handled the message once and recorded the rest as duplicates" : "";
    io.stdout(failed === 0 ? `OK: ${ok} of ${repeat} answered 200${dedupe}.\n` : `FAIL: ${failed} of ${repeat} did not answer 200.\n`);
    return failed === 0 ? 0 : 1;
  },
};
