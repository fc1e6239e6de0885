import { parseArgs } from "node:util";
import { WahookError } from "../errors.js";
import type { OutboxRow, OutboxState } from "../store/store.js";
import type { Command } from "./commands.js";
import { withCliStore } from "./open-store.js";

const usage = `Usage: wahook outbox list [--state pending|sent|failed|dead] [--limit N]
       wahook outbox dead [--limit N]
       wahook outbox retry ID

list   the newest outbound messages and where they stand (state, attempts, delivery status, last error)
dead   messages that will not be sent again: permanent Graph errors (failed) and retries given up (dead)
retry  puts a failed or dead message back in the queue, due now (e.g. after replacing ACCESS_TOKEN)

Reads DATABASE_URL like the server. Message text is not printed, only ids, states and error codes.
`;

const STATES: readonly OutboxState[] = ["pending", "sent", "failed", "dead"];

const line = (row: OutboxRow): string =>
  [
    String(row.id).padStart(6),
    row.state.padEnd(7),
    `attempts=${row.attempts}`,
    `to=${row.recipient}`,
    `status=${row.deliveryStatus ?? "-"}`,
    row.wamid ? `wamid=${row.wamid}` : "",
    row.lastErrorCode !== null || row.lastErrorTitle ? `error=${row.lastErrorCode ?? ""} ${row.lastErrorTitle ?? ""}`.trim() : "",
  ]
    .filter(Boolean)
    .join("  ");

export const outboxCommand: Command = {
  summary: "list, inspect and retry outbound messages",
  usage,
  async run(args, env, io) {
    const { positionals, values } = parseArgs({
      args: [...args],
      options: { state: { type: "string" }, limit: { type: "string", default: "50" } },
      allowPositionals: true,
      strict: true,
    });
    const [action, id] = positionals;
    const limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new WahookError("CLI_USAGE", "--limit takes a whole number of at least 1.");
    if (action === "list" || action === "dead") {
      const state = values.state as OutboxState | undefined;
      if (state !== undefined && !STATES.includes(state)) throw new WahookError("CLI_USAGE", `--state is one of ${STATES.join(", ")}.`);
      const states = action === "dead" ? (["failed", "dead"] as const) : state ? [state] : undefined;
      const rows = await withCliStore(env, (store) => store.listOutbox({ ...(states ? { states } : {}), limit }));
      io.stdout(rows.length === 0 ? "No messages.\n" : `${rows.map(line).join("\n")}\n`);
      return 0;
    }
    if (action === "retry") {
      const outboxId = Number(id);
      if (!Number.isInteger(outboxId) || outboxId < 1) throw new WahookError("CLI_USAGE", "retry takes the numeric ID shown by `wahook outbox list`.");
      const done = await withCliStore(env, (store) => store.retryOutbox(outboxId, Date.now()));
      if (!done) {
        io.stderr(`Message ${outboxId} was not retried: it does not exist, or it is not failed or dead.\n`);
        return 1;
      }
      io.stdout(`Message ${outboxId} is queued again; a running server sends it within a second.\n`);
      return 0;
    }
    throw new WahookError("CLI_USAGE", action === undefined ? "say list, dead or retry ID." : `unknown action '${action}'.`);
  },
};
