import { parseWebhook } from "../events/parse.js";
import type { WebhookEvent } from "../events/types.js";
import type { Metrics } from "../metrics/metrics.js";
import { statusRank } from "../status/rank.js";

export interface DeliveryEvents {
  /** the events wahook handles */
  events: WebhookEvent[];
  /** acknowledged but not handled: unknown fields or objects, malformed items */
  skipped: number;
  /** events for another business number while PHONE_NUMBER_ID is set */
  otherNumber: number;
}

/** Pure: one delivery's JSON -> the events wahook handles, and how many it leaves aside. */
export function deliveryEvents(json: unknown, phoneNumberId: string | undefined): DeliveryEvents {
  const parsed = parseWebhook(json);
  const events = phoneNumberId === undefined ? parsed.events : parsed.events.filter((event) => event.to.phoneNumberId === phoneNumberId);
  return { events, skipped: parsed.skipped.length, otherNumber: parsed.events.length - events.length };
}

// Status strings are kept as Meta sends them; bound the label's values so metrics stay small.
const metricType = (event: WebhookEvent): string =>
  event.kind === "message" ? event.type : event.kind === "status" ? (statusRank(event.status) > 0 ? event.status : "other") : "error";

/** Counts handled events by kind and type, and the ignored ones by reason. */
export function countEvents(metrics: Metrics, counts: { events: readonly WebhookEvent[]; skipped: number; otherNumber: number }): void {
  if (counts.skipped > 0) metrics.eventsIgnored.inc({ reason: "skipped" }, counts.skipped);
  if (counts.otherNumber > 0) metrics.eventsIgnored.inc({ reason: "other_phone_number" }, counts.otherNumber);
  for (const event of counts.events) metrics.eventsReceived.inc({ kind: event.kind, type: metricType(event) });
}
