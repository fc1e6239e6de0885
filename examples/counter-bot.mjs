// A complete wahook bot. Run it with:  BOT=./examples/counter-bot.mjs npm start
// (test/e2e/example-bot.test.ts runs this very file through the real server.)

/** @type {import("wahook").Bot} */
export default {
  name: "counter",
  async handle(ctx) {
    const { message } = ctx;
    if (message.type === "image") {
      // Any Graph message body works with send(); wahook adds messaging_product, recipient_type and to.
      ctx.send({ type: "reaction", reaction: { message_id: message.id, emoji: "👀" } });
      return;
    }
    if (message.type !== "text") return;

    // ctx.state is this contact's own state; it is saved in the same transaction as the replies.
    const count = (Number(ctx.state.count) || 0) + 1;
    ctx.state.count = count;

    ctx.markRead();
    ctx.reply(`${message.from.name ?? "Hi"}, that is message #${count} from you: "${message.text.body}"`);
  },
};
