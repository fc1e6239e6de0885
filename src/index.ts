// Public API: named exports only.
export { createApp, type App, type AppOptions } from "./app.js";
export { parseConfig, type Config } from "./config.js";
export { WahookError, errorCatalogue, isWahookError, type ErrorCode } from "./errors.js";

export { sign, verifySignature, type SignatureCheck } from "./webhook/signature.js";
export { verifySubscription, type SubscriptionCheck } from "./webhook/handshake.js";
export { signatureRequired, type WebHandler } from "./webhook/signature-required.js";
export { createWebhookHandler, type WebhookHandlerOptions } from "./webhook/handler.js";
export { parseWebhook } from "./events/parse.js";
export type * from "./events/types.js";

export type { Bot, BotContext, BotHandler, OutgoingContent } from "./bot/types.js";
export { echoUpper } from "./bot/echo-upper.js";
export * as messages from "./graph/messages.js";
export { createGraphClient } from "./graph/client.js";

export { openStore } from "./store/open-store.js";
export type { Store } from "./store/store.js";

export { createNodeHandler, listen } from "./adapters/node.js";
export { wahookExpress } from "./adapters/express.js";
export { wahookFastify, type WahookFastifyOptions } from "./adapters/fastify.js";
export { createLogger } from "./logger.js";
