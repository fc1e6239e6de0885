import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Config } from "../config.js";
import { WahookError } from "../errors.js";
import { echoUpper } from "./echo-upper.js";
import type { Bot } from "./types.js";

const isBot = (value: unknown): value is Bot =>
  typeof value === "object" && value !== null && typeof (value as Bot).handle === "function";

/** A user module may export a Bot ({ name, handle }) or a bare handler function, as default or `bot`. */
function botFrom(module: Record<string, unknown>, name: string): Bot | undefined {
  for (const candidate of [module.default, module.bot]) {
    if (isBot(candidate)) return { name: candidate.name || name, handle: candidate.handle };
    if (typeof candidate === "function") return { name, handle: candidate as Bot["handle"] };
  }
  return undefined;
}

/** Resolves BOT= into a bot: `echo-upper` (default), `openai`, or a path to the user's module. */
export async function loadBot(config: Config, options: { cwd: string; fetch?: typeof fetch }): Promise<Bot> {
  const spec = config.bot;
  if (spec === "echo-upper") return echoUpper;
  if (spec === "openai") {
    const { apiKey, model, baseUrl, instructions, historyMessages } = config.openai;
    if (!apiKey) throw new WahookError("CONFIG_MISSING", "BOT=openai needs OPENAI_API_KEY (https://platform.openai.com/api-keys), or OPENAI_BASE_URL plus a key for a compatible server.");
    const { createOpenAiBot } = await import("./openai.js");
    return createOpenAiBot({ apiKey, model, baseUrl, instructions, historyMessages, timeoutMs: Math.floor(config.leaseMs / 2), ...(options.fetch ? { fetch: options.fetch } : {}) });
  }
  if (!/^(\.{0,2}\/|[A-Za-z]:\\)/.test(spec) && !spec.endsWith(".js") && !spec.endsWith(".mjs")) {
    throw new WahookError("CONFIG_INVALID", `BOT=${spec} is not a built-in bot (echo-upper, openai) nor a path to a module such as ./bot.js.`);
  }
  const path = resolve(options.cwd, spec);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    throw new WahookError("BOT_LOAD_FAILED", `Could not load the bot module ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const bot = botFrom(module, spec);
  if (!bot) throw new WahookError("BOT_LOAD_FAILED", `${path} must export a handler function or { name, handle } as default (or as \`bot\`).`);
  return bot;
}
