import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { StoreDepth } from "../store/store.js";

/**
 * One registry per app (never prom-client's global one), so two apps in one process — tests, or
 * a host app embedding wahook — never share counters.
 */
export function createMetrics(options: { depth?: () => Promise<StoreDepth>; processMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: "wahook_" });
  const depth = options.depth;
  // Both depth gauges are collected concurrently on a scrape: share one store query between them.
  let inFlight: Promise<StoreDepth | undefined> | undefined;
  const readDepth = (): Promise<StoreDepth | undefined> => {
    if (!depth) return Promise.resolve(undefined);
    inFlight ??= depth()
      .catch(() => undefined)
      .finally(() => setTimeout(() => (inFlight = undefined), 0));
    return inFlight;
  };

  const metrics = {
    registry,
    eventsReceived: new Counter({ name: "wahook_events_received_total", help: "Webhook events parsed, by kind and message type", labelNames: ["kind", "type"], registers: [registry] }),
    eventsIgnored: new Counter({ name: "wahook_events_ignored_total", help: "Events acknowledged but not handled (other phone number, unknown field or object)", labelNames: ["reason"], registers: [registry] }),
    signatureFailures: new Counter({ name: "wahook_signature_failures_total", help: "POSTs refused because X-Hub-Signature-256 was missing, malformed or wrong", labelNames: ["reason"], registers: [registry] }),
    duplicates: new Counter({ name: "wahook_duplicates_total", help: "Events already recorded (Meta retries, or several apps on one WABA)", labelNames: ["kind"], registers: [registry] }),
    requests: new Counter({ name: "wahook_webhook_requests_total", help: "Webhook requests by HTTP status answered", labelNames: ["method", "status"], registers: [registry] }),
    ackSeconds: new Histogram({ name: "wahook_ack_seconds", help: "Time from a POST's body being read to its 200 (verify, parse, durable record)", buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers: [registry] }),
    sends: new Counter({ name: "wahook_sends_total", help: "Graph API send attempts by outcome and Graph error code", labelNames: ["outcome", "code"], registers: [registry] }),
    attemptSeconds: new Histogram({ name: "wahook_graph_attempt_seconds", help: "Graph API call latency", buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15], registers: [registry] }),
    botRuns: new Counter({ name: "wahook_bot_runs_total", help: "Bot handler runs by outcome", labelNames: ["outcome"], registers: [registry] }),
  };

  const depthGauge = (name: string, help: string, pick: (d: StoreDepth) => { pending: number; failed: number }) =>
    new Gauge({
      name,
      help,
      labelNames: ["state"],
      registers: [registry],
      async collect() {
        const d = await readDepth();
        if (!d) return;
        const { pending, failed } = pick(d);
        this.set({ state: "pending" }, pending);
        this.set({ state: "failed" }, failed);
      },
    });
  depthGauge("wahook_inbox_depth", "Inbound messages waiting for the bot (pending) or parked after failing (failed)", (d) => ({ pending: d.inboxPending, failed: d.inboxFailed }));
  depthGauge("wahook_outbox_depth", "Outbound messages waiting to be sent (pending) or given up (failed)", (d) => ({ pending: d.outboxPending, failed: d.outboxFailed }));
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;
