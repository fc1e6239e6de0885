import type { Logger } from "pino";
import type { Contact, InboundMessage } from "../events/types.js";
import type { ContactState } from "../store/store.js";

/**
 * A message body as the Graph API takes it, minus the envelope (messaging_product, recipient_type,
 * to), e.g. `{ type: "text", text: { body: "hi", preview_url: false } }`. Build them with the
 * helpers in graph/messages.ts.
 */
export interface OutgoingContent {
  type: string;
  [field: string]: unknown;
}

/**
 * What a handler gets for one inbound message. Replies are not sent from inside the handler: they
 * are collected and written to the outbox in the same transaction that marks the message handled,
 * so a crash repeats the handler, never a send.
 */
export interface BotContext {
  readonly message: InboundMessage;
  readonly contact: Contact;
  /** the business number the message arrived for; replies go out from it */
  readonly phoneNumberId: string;
  /** per-contact state, saved when the handler returns (what the tutorial kept in a shelve file) */
  readonly state: ContactState;
  readonly logger: Logger;
  /** aborted when the server shuts down */
  readonly signal: AbortSignal;
  /** queues a text reply to the sender */
  reply(text: string): void;
  /** queues any supported message; `to` defaults to the sender */
  send(content: OutgoingContent, options?: { to?: string }): void;
  /** queues a read receipt for this message, with a typing indicator if asked */
  markRead(options?: { typing?: boolean }): void;
}

export type BotHandler = (ctx: BotContext) => void | Promise<void>;

export interface Bot {
  name: string;
  handle: BotHandler;
}
