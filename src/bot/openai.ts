import OpenAI from "openai";
import type { ContactState } from "../store/store.js";
import type { Bot, BotContext } from "./types.js";
import { splitMessage, toWhatsAppText } from "./whatsapp-format.js";

export interface OpenAiBotOptions {
  apiKey: string;
  model: string;
  /** an OpenAI-compatible server, e.g. http://localhost:11434/v1 */
  baseUrl?: string;
  /** the system message */
  instructions: string;
  /** how many past messages (user and assistant, counted separately) go with each request */
  historyMessages: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

interface Turn {
  role: "user" | "assistant";
  content: string;
}

/** Said to media, locations, contacts and orders: the model only gets text. */
export const NON_TEXT_REPLY = "Sorry, I can only read text messages. Please type your question.";

const DEFAULT_TIMEOUT_MS = 30_000;

const isTurn = (value: unknown): value is Turn =>
  typeof value === "object" && value !== null &&
  ((value as Turn).role === "user" || (value as Turn).role === "assistant") && typeof (value as Turn).content === "string";

// slice(-0) would keep everything, so a bound of 0 needs its own case.
const lastTurns = (turns: readonly Turn[], bound: number): Turn[] => (bound <= 0 ? [] : turns.slice(-bound));

/** The saved conversation; anything malformed in it (an older format, a hand edit) is dropped. */
const savedHistory = (state: ContactState, bound: number): Turn[] =>
  lastTurns(Array.isArray(state.history) ? state.history.filter(isTurn) : [], bound);

/** What the user said, for the messages that carry words: typed text and taps on buttons or list rows. */
function userInput(message: BotContext["message"]): { text: string } | "non-text" | undefined {
  switch (message.type) {
    case "text": return { text: message.text.body };
    case "button": return { text: message.button.text };
    case "interactive":
      return message.interactive.kind === "button_reply" || message.interactive.kind === "list_reply" ? { text: message.interactive.title } : undefined;
    case "image": case "video": case "audio": case "document": case "sticker": case "location": case "contacts": case "order":
      return "non-text";
    // Reactions, number changes, first opens and unsupported types (polls, edits) need no answer.
    default: return undefined;
  }
}

/**
 * A bot that answers with an OpenAI chat model (or any server speaking the Chat Completions API),
 * keeping the last `historyMessages` messages of each conversation in ctx.state, which the store
 * saves with the replies in one transaction. On an API error or timeout it throws before queueing
 * anything, so the dispatcher's retry cannot produce a second answer.
 */
export function createOpenAiBot(options: OpenAiBotOptions): Bot {
  const client = new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseUrl,
    // wahook's dispatcher retries with backoff and parks what keeps failing; a second retry loop
    // inside the client would hold the inbox lease for minutes.
    maxRetries: 0,
    timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });

  async function answer(history: Turn[], text: string, ctx: BotContext): Promise<string> {
    const messages = [{ role: "system" as const, content: options.instructions }, ...history, { role: "user" as const, content: text }];
    const started = Date.now();
    const completion = await client.chat.completions.create({ model: options.model, messages }, { signal: ctx.signal }).catch((error: unknown) => {
      throw new Error(`OpenAI chat completion failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    });
    const choice = completion.choices[0];
    const content = choice?.message.content ?? choice?.message.refusal ?? "";
    // Sizes and timing only: message text stays out of info-level logs.
    ctx.logger.info({
      model: completion.model,
      ms: Date.now() - started,
      promptTokens: completion.usage?.prompt_tokens,
      completionTokens: completion.usage?.completion_tokens,
      chars: content.length,
    }, "openai answered");
    if (content.trim() === "") throw new Error(`OpenAI returned no text (finish_reason ${choice?.finish_reason ?? "missing"})`);
    return content;
  }

  return {
    name: "openai",
    async handle(ctx) {
      const input = userInput(ctx.message);
      if (input === undefined) return;
      if (input === "non-text") return ctx.reply(NON_TEXT_REPLY);
      const { text } = input;

      const history = savedHistory(ctx.state, options.historyMessages);
      const reply = await answer(history, text, ctx);
      const parts = splitMessage(toWhatsAppText(reply));
      if (parts.length === 0) throw new Error("OpenAI's answer was empty after formatting");
      for (const part of parts) ctx.reply(part);
      // The model's own Markdown is kept, so the conversation it sees next time is the one it wrote.
      ctx.state.history = lastTurns([...history, { role: "user", content: text }, { role: "assistant", content: reply }], options.historyMessages);
    },
  };
}
