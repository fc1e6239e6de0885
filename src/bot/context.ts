import type { Logger } from "pino";
import { readReceipt, text, toGraphBody } from "../graph/messages.js";
import type { ContactState, InboxItem, OutboxDraft } from "../store/store.js";
import type { BotContext, OutgoingContent } from "./types.js";

/**
 * Builds the handler's context for one inbox item. What the handler queues stays in `drafts`
 * until the dispatcher commits it together with the inbox item, so nothing is sent from here.
 */
export function createBotContext(item: InboxItem, state: ContactState, logger: () => Logger, signal: AbortSignal) {
  const drafts: OutboxDraft[] = [];
  const { message } = item;
  // Reply to the wa_id Meta gave; users known only by a business-scoped id get their user id.
  const sender = message.from.waId || message.from.key;
  const queue = (to: string, kind: OutboxDraft["kind"], body: Record<string, unknown>) =>
    drafts.push({ phoneNumberId: item.phoneNumberId, recipient: to, kind, body });

  const ctx: BotContext = {
    message,
    contact: message.from,
    phoneNumberId: item.phoneNumberId,
    state,
    // Made on first use: a pino child per message (bindings serialised, redaction set up) was
    // ~2% of all the bytes the end-to-end run allocated, for handlers that mostly never log.
    get logger() {
      return logger();
    },
    signal,
    reply: (body: string) => queue(sender, "message", toGraphBody(sender, text(body))),
    send: (content: OutgoingContent, options?: { to?: string }) => {
      const to = options?.to ?? sender;
      queue(to, "message", toGraphBody(to, content));
    },
    markRead: (options?: { typing?: boolean }) => queue(sender, "receipt", readReceipt(message.id, { typing: options?.typing ?? false })),
  };
  return { ctx, drafts };
}
