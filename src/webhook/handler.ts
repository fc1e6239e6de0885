import { createRouter } from "../adapters/router.js";
import { answerToResponse, webRequestLike } from "../adapters/web.js";
import type { WebhookEvent } from "../events/types.js";
import { countEvents, deliveryEvents } from "../inbox/delivery-events.js";
import { createMetrics } from "../metrics/metrics.js";
import { createRuntime, type Runtime } from "../runtime.js";
import { createReceiver } from "./receive.js";

export interface WebhookHandlerOptions {
  verifyToken: string;
  appSecrets: readonly string[];
  /** Called with every verified delivery's events before the 200; throw to make Meta retry. */
  onEvents: (events: readonly WebhookEvent[]) => void | Promise<void>;
  phoneNumberId?: string;
  maxBodyBytes?: number;
  runtime?: Partial<Runtime>;
}

/**
 * The webhook as a framework-free `Request -> Response` function for people who bring their own
 * server and persistence: handshake, signature, parsing of every entry, and exactly-200 answers.
 * (createApp adds the durable inbox, bot and outbox on top of the same core.)
 */
export function createWebhookHandler(options: WebhookHandlerOptions): (request: Request) => Promise<Response> {
  if (options.appSecrets.length === 0) throw new TypeError("createWebhookHandler needs at least one app secret (APP_SECRET).");
  if (!options.verifyToken) throw new TypeError("createWebhookHandler needs a verifyToken (VERIFY_TOKEN).");
  const runtime = createRuntime(options.runtime);
  const metrics = createMetrics();
  const receiver = createReceiver({
    verifyToken: options.verifyToken,
    appSecrets: options.appSecrets,
    metrics,
    logger: runtime.logger,
    accept: async (_body, json) => {
      const parsed = deliveryEvents(json, options.phoneNumberId);
      if (parsed.events.length > 0) await options.onEvents(parsed.events);
      countEvents(metrics, parsed);
    },
  });
  const { webhook } = createRouter({
    receiver,
    webhookPath: "/webhook",
    maxBodyBytes: options.maxBodyBytes ?? 4 * 1024 * 1024,
    metrics,
    logger: runtime.logger,
    ready: async () => undefined,
    newRequestId: runtime.newId,
  });
  return async (request) => answerToResponse(await webhook(webRequestLike(request)));
}
