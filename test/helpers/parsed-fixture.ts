import { readFileSync } from "node:fs";
import { expect } from "vitest";
import { parseWebhook } from "../../src/events/parse.js";
import type { InboundMessage, StatusUpdate, WebhookEvent } from "../../src/events/types.js";

const fixturesDir = new URL("../fixtures/", import.meta.url);

/** A fixture file as parsed JSON. */
export const loadFixture = (name: string): unknown => JSON.parse(readFileSync(new URL(name, fixturesDir), "utf8"));

/** The one event of a single-event fixture; fails if anything else was produced or skipped. */
export const onlyEvent = (name: string): WebhookEvent => {
  const { events, skipped } = parseWebhook(loadFixture(name));
  expect(skipped).toEqual([]);
  expect(events).toHaveLength(1);
  return events[0] as WebhookEvent;
};

export const onlyMessage = (name: string): InboundMessage => {
  const event = onlyEvent(name);
  if (event.kind !== "message") throw new Error(`expected a message, got ${event.kind}`);
  return event;
};

export const onlyStatus = (name: string): StatusUpdate => {
  const event = onlyEvent(name);
  if (event.kind !== "status") throw new Error(`expected a status, got ${event.kind}`);
  return event;
};

/** Where the single-number fixtures arrive. */
export const home = { wabaId: "284716093355812", phoneNumberId: "391054887612340", displayPhoneNumber: "15557340211" };
