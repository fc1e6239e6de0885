import type { Bot } from "../bot/types.js";
import type { InboundMessage } from "../events/types.js";

/** One readable line per inbound message: what the user sent, not Meta's JSON. */
export function describeInbound(message: InboundMessage): string {
  const who = `${message.from.name ?? "user"} (${message.from.waId ?? message.from.key})`;
  switch (message.type) {
    case "text":
      return `${who}: "${message.text.body}"`;
    case "image":
      return `${who}: [image${message.image.caption ? ` "${message.image.caption}"` : ""}]`;
    case "reaction":
      return `${who}: reacted ${message.reaction.emoji ?? "(removed)"}`;
    case "location":
      return `${who}: [location ${message.location.latitude}, ${message.location.longitude}]`;
    default:
      return `${who}: [${message.type}]`;
  }
}

/** The demo's bot: prints each message it is handed, then lets the configured bot answer. */
export const printingBot = (inner: Bot, print: (line: string) => void): Bot => ({
  name: inner.name,
  handle(ctx) {
    print(`  → bot handles  ${describeInbound(ctx.message)}`);
    return inner.handle(ctx);
  },
});

export const describeReply = (body: Record<string, unknown>): string => {
  const text = (body.text as { body?: unknown } | undefined)?.body;
  return typeof text === "string" ? `"${text}"` : `[${String(body.type)}]`;
};
