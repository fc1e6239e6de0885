import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createOpenAiBot, NON_TEXT_REPLY, type OpenAiBotOptions } from "../../src/bot/openai.js";
import type { BotContext } from "../../src/bot/types.js";
import type { InboundMessage, MessageContent } from "../../src/events/types.js";
import { silentLogger } from "../../src/runtime.js";
import type { ContactState } from "../../src/store/store.js";
import { startFakeOpenAi, type FakeOpenAi } from "../helpers/fake-openai.js";

const contact = { key: "4915112345678", waId: "4915112345678", userId: undefined, name: "Lena" };

const inbound = (content: MessageContent): InboundMessage => ({
  ...content,
  kind: "message",
  id: "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFDQ3MkVGQjUxRUU0NDlFOTkzODZGAA==",
  timestampSec: 1781702400,
  to: { wabaId: "284716093355812", phoneNumberId: "391054887612340", displayPhoneNumber: "15557340211" },
  from: contact,
  context: undefined,
  referral: undefined,
  errors: [],
});

const text = (body: string) => inbound({ type: "text", text: { body } });

/** A BotContext as the dispatcher builds one, with replies collected instead of queued. */
function context(message: InboundMessage, state: ContactState = {}) {
  const replies: string[] = [];
  const ctx: BotContext = {
    message,
    contact,
    phoneNumberId: "391054887612340",
    state,
    logger: silentLogger(),
    signal: new AbortController().signal,
    reply: (reply) => void replies.push(reply),
    send: () => {
      throw new Error("the OpenAI bot only replies with text");
    },
    markRead: () => undefined,
  };
  return { ctx, replies, state };
}

const turns = (count: number) =>
  Array.from({ length: count }, (_, i) => ({ role: i % 2 === 0 ? "user" : "assistant", content: `turn ${i}` }));

let fake: FakeOpenAi;
const bot = (options: Partial<OpenAiBotOptions> = {}) =>
  createOpenAiBot({ apiKey: "sk-test", model: "gpt-test", baseUrl: fake.baseUrl, instructions: "Be brief.", historyMessages: 4, ...options });

beforeAll(async () => {
  fake = await startFakeOpenAi();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
});

describe("the OpenAI bot", () => {
  it("sends the instructions as system message, the bounded history, then the new text", async () => {
    const { ctx } = context(text("Is the oak table back?"), { history: turns(6) });
    await bot().handle(ctx);

    expect(fake.requests).toHaveLength(1);
    const request = fake.requests[0]!;
    expect(request.path).toBe("/v1/chat/completions");
    expect(request.headers.authorization).toBe("Bearer sk-test");
    expect(request.body.model).toBe("gpt-test");
    expect(request.body.messages).toEqual([
      { role: "system", content: "Be brief." },
      ...turns(6).slice(2),
      { role: "user", content: "Is the oak table back?" },
    ]);
  });

  it("replies with the answer in WhatsApp formatting", async () => {
    fake.script({ text: "## Stock\n**Yes**, see [the shop](https://shop.example.com) 【4:0†source】" });
    const { ctx, replies } = context(text("stock?"));
    await bot().handle(ctx);
    expect(replies).toEqual(["*Stock*\n*Yes*, see the shop (https://shop.example.com)"]);
  });

  it("splits an answer longer than 4096 characters into several replies, in order", async () => {
    const sentences = Array.from({ length: 200 }, (_, i) => `Sentence number ${i} is here.`).join(" ");
    fake.script({ text: sentences });
    const { ctx, replies } = context(text("tell me everything"));
    await bot().handle(ctx);

    expect(sentences.length).toBeGreaterThan(4096);
    expect(replies.length).toBe(2);
    for (const reply of replies) expect(reply.length).toBeLessThanOrEqual(4096);
    expect(replies.join(" ")).toBe(sentences);
    expect(replies[0]!.endsWith(".")).toBe(true);
  });

  it("records the exchange in ctx.state.history, keeping only the last historyMessages entries", async () => {
    fake.script({ text: "**It is.**" });
    const { ctx, state } = context(text("Is it?"), { history: turns(4), other: "kept" });
    await bot({ historyMessages: 4 }).handle(ctx);
    expect(state.history).toEqual([...turns(4).slice(2), { role: "user", content: "Is it?" }, { role: "assistant", content: "**It is.**" }]);
    expect(state.other).toBe("kept");
  });

  it("starts a conversation from empty state and builds it up over several messages", async () => {
    const state: ContactState = {};
    fake.script({ text: "one" }, { text: "two" });
    await bot().handle(context(text("first"), state).ctx);
    await bot().handle(context(text("second"), state).ctx);
    expect(fake.requests[1]!.body.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "first" },
      { role: "assistant", content: "one" },
      { role: "user", content: "second" },
    ]);
    expect(state.history).toHaveLength(4);
  });

  it("sends no history and keeps none when historyMessages is 0", async () => {
    const { ctx, state } = context(text("hi"), { history: turns(4) });
    await bot({ historyMessages: 0 }).handle(ctx);
    expect(fake.requests[0]!.body.messages).toEqual([{ role: "system", content: "Be brief." }, { role: "user", content: "hi" }]);
    expect(state.history).toEqual([]);
  });

  it("ignores malformed entries in a saved history", async () => {
    const history = [{ role: "user", content: "ok" }, { role: "tool", content: "x" }, "junk", { role: "assistant" }, null];
    const { ctx } = context(text("hi"), { history });
    await bot().handle(ctx);
    expect(fake.requests[0]!.body.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "ok" },
      { role: "user", content: "hi" },
    ]);
  });

  it("throws on a 500, after one request, with no reply queued and the history untouched", async () => {
    fake.script({ status: 500, message: "upstream broke" });
    const { ctx, replies, state } = context(text("hi"), { history: turns(2) });
    await expect(bot().handle(ctx)).rejects.toThrow(/OpenAI chat completion failed.*500/);
    // One request: the client must not retry on its own (the dispatcher does, with backoff).
    expect(fake.requests).toHaveLength(1);
    expect(replies).toEqual([]);
    expect(state.history).toEqual(turns(2));
  });

  it("throws when the model does not answer within timeoutMs, with no reply queued", async () => {
    fake.script({ text: "too late", delayMs: 5_000 });
    const { ctx, replies } = context(text("hi"));
    const started = Date.now();
    await expect(bot({ timeoutMs: 200 }).handle(ctx)).rejects.toThrow(/timed out/i);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(replies).toEqual([]);
  });

  it("throws instead of replying when the model returns an empty answer", async () => {
    fake.script({ text: "   " });
    const { ctx, replies } = context(text("hi"));
    await expect(bot().handle(ctx)).rejects.toThrow(/no text/);
    expect(replies).toEqual([]);
  });

  it("makes its requests through the injected fetch", async () => {
    const urls: string[] = [];
    const counting: typeof fetch = (input, init) => {
      urls.push(String(input instanceof Request ? input.url : input));
      return fetch(input, init);
    };
    await bot({ fetch: counting }).handle(context(text("hi")).ctx);
    expect(urls).toEqual([`${fake.baseUrl}/chat/completions`]);
  });

  it("sends the label of a tapped button or list row to the model as the user's words", async () => {
    await bot().handle(context(inbound({ type: "button", button: { payload: "P", text: "Stop promotions" } })).ctx);
    await bot().handle(context(inbound({ type: "interactive", interactive: { kind: "list_reply", id: "r1", title: "Opening hours", description: undefined } })).ctx);
    expect(fake.requests.map((r) => r.body.messages?.at(-1))).toEqual([
      { role: "user", content: "Stop promotions" },
      { role: "user", content: "Opening hours" },
    ]);
  });

  it("answers media with a fixed note and reactions with nothing, without calling the model", async () => {
    const image = context(inbound({ type: "image", image: { id: "1", mimeType: "image/jpeg", sha256: undefined, caption: "look", url: undefined } }));
    const reaction = context(inbound({ type: "reaction", reaction: { messageId: "wamid.x", emoji: "👍" } }));
    await bot().handle(image.ctx);
    await bot().handle(reaction.ctx);
    expect(image.replies).toEqual([NON_TEXT_REPLY]);
    expect(reaction.replies).toEqual([]);
    expect(fake.requests).toHaveLength(0);
    expect(image.state.history).toBeUndefined();
  });
});
