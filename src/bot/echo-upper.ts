import type { Bot } from "./types.js";

/** The tutorial's bot: each text comes back in upper case, to its sender. Other types get no reply. */
export const echoUpper: Bot = {
  name: "echo-upper",
  handle(ctx) {
    if (ctx.message.type === "text") ctx.reply(ctx.message.text.body.toUpperCase());
  },
};
