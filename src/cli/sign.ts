import { parseArgs } from "node:util";
import { WahookError } from "../errors.js";
import { sign } from "../webhook/signature.js";
import type { Command } from "./commands.js";
import { firstAppSecret } from "./env.js";
import { readInput } from "./io.js";

const usage = `Usage: wahook sign [FILE|-]

Prints the X-Hub-Signature-256 header Meta would send with FILE as the request body: HMAC-SHA256
over the file's exact bytes, keyed with the first APP_SECRET. With no FILE, or "-", signs stdin.

Use it to send a captured webhook body to your server by hand:
  curl -X POST https://example.com/webhook -H "Content-Type: application/json" \\
       -H "$(wahook sign body.json)" --data-binary @body.json
(--data-binary, not -d: -d strips newlines, which changes the bytes and so the signature.)

Environment:
  APP_SECRET  your Meta app secret (a comma-separated list signs with the first one)
`;

export const signCommand: Command = {
  summary: "print the X-Hub-Signature-256 header for a body file or stdin",
  usage,
  async run(args, env, io) {
    const { positionals } = parseArgs({ args: [...args], options: {}, allowPositionals: true, strict: true });
    if (positionals.length > 1) throw new WahookError("CLI_USAGE", "sign takes one FILE (or - for stdin).");
    // Check the secret before reading stdin, so a missing secret does not leave the user waiting on a pipe.
    const secret = firstAppSecret(env);
    const body = await readInput(io, positionals[0] ?? "-");
    io.stdout(`X-Hub-Signature-256: ${sign(body, secret)}\n`);
    return 0;
  },
};
