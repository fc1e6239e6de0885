/**
 * parseWebhook: a whole POST body -> every event in it, in document order.
 *
 * Walks EVERY entry x change x message / status / error (spec §3; Meta batches up to 1000
 * updates per POST across WABAs and numbers, so reading only entry[0] loses data). This runs on
 * the ack path, before the 200: it never throws, and a malformed item is skipped with its path
 * while the rest of the delivery still parses.
 *
 * The envelope (object, entry, changes, value, metadata) is walked with plain type guards: it is
 * a handful of checks, and zod would copy the arrays of up to 1000 items before we walk them.
 * The items themselves go through the zod schemas in wire.ts.
 */
import type { ParseResult, Recipient, Skipped, WebhookEvent } from "./types.js";
import { parseMessage } from "./parse-message.js";
import { parseStatus } from "./parse-status.js";
import { describeValue, isRecord, toGraphErrors } from "./parse-util.js";
import { indexContacts } from "./sender.js";

const WHATSAPP_OBJECT = "whatsapp_business_account";

interface Sink {
  events: WebhookEvent[];
  skipped: Skipped[];
}

const skip = (sink: Sink, path: string, reason: string): void => {
  sink.skipped.push({ path, reason });
};

/** `value.messages` / `statuses` / `errors`: absent is normal, present but not an array is skipped. */
const listAt = (sink: Sink, list: unknown, path: () => string, key: string): readonly unknown[] => {
  if (list === undefined) return [];
  if (Array.isArray(list)) return list;
  skip(sink, `${path()}.value.${key}`, `expected an array, got ${describeValue(list)}`);
  return [];
};

/** The phone number an event arrived on: route on phone_number_id, not on the WABA id. */
const recipientOf = (wabaId: string, value: Record<string, unknown>): Recipient | undefined => {
  const metadata = value.metadata;
  if (!isRecord(metadata)) return undefined;
  const phoneNumberId = metadata.phone_number_id;
  if (typeof phoneNumberId !== "string" || phoneNumberId === "") return undefined;
  // Only shown to people; a missing one must not cost us the messages.
  const display = metadata.display_phone_number;
  return { wabaId, phoneNumberId, displayPhoneNumber: typeof display === "string" ? display : "" };
};

const parseMessages = (sink: Sink, messages: readonly unknown[], to: Recipient, rawContacts: unknown, path: () => string): void => {
  // contacts[] only names the senders of messages; a statuses-only change never indexes it.
  const contacts = indexContacts(rawContacts);
  for (let k = 0; k < messages.length; k++) {
    const result = parseMessage(messages[k], to, contacts);
    if (result.ok) sink.events.push(result.value);
    else skip(sink, `${path()}.value.messages[${k}]`, result.reason);
  }
};

const parseChange = (sink: Sink, wabaId: string, change: unknown, path: () => string): void => {
  if (!isRecord(change)) return skip(sink, path(), `expected an object, got ${describeValue(change)}`);
  // Other fields (template status, account updates, ...) have other value shapes: acknowledge, ignore.
  if (change.field !== "messages") return skip(sink, path(), `field ${describeValue(change.field)} not handled`);
  const value = change.value;
  if (!isRecord(value)) return skip(sink, `${path()}.value`, `expected an object, got ${describeValue(value)}`);
  const to = recipientOf(wabaId, value);
  if (!to) return skip(sink, path(), "value.metadata.phone_number_id missing");

  const messages = listAt(sink, value.messages, path, "messages");
  if (messages.length > 0) parseMessages(sink, messages, to, value.contacts, path);
  const statuses = listAt(sink, value.statuses, path, "statuses");
  for (let k = 0; k < statuses.length; k++) {
    const result = parseStatus(statuses[k], to);
    if (result.ok) sink.events.push(result.value);
    else skip(sink, `${path()}.value.statuses[${k}]`, result.reason);
  }
  // value.errors: app- or account-level problems with no message attached (e.g. 130429).
  const errorItems = listAt(sink, value.errors, path, "errors");
  if (errorItems.length === 0) return;
  const errors = toGraphErrors(errorItems);
  if (errors.length > 0) sink.events.push({ kind: "error", to, errors });
  else skip(sink, `${path()}.value.errors`, "no item has a numeric code");
};

const parseEntry = (sink: Sink, entry: unknown, i: number): void => {
  if (!isRecord(entry)) return skip(sink, `entry[${i}]`, `expected an object, got ${describeValue(entry)}`);
  // entry.id is the WhatsApp Business Account id (spec §3).
  const wabaId = entry.id;
  if (typeof wabaId !== "string" || wabaId === "") return skip(sink, `entry[${i}].id`, `expected the WABA id, got ${describeValue(wabaId)}`);
  const changes = entry.changes;
  if (!Array.isArray(changes)) return skip(sink, `entry[${i}].changes`, `expected an array, got ${describeValue(changes)}`);
  for (let j = 0; j < changes.length; j++) {
    // Paths are built only when something is skipped: the happy path allocates no strings.
    parseChange(sink, wabaId, changes[j], () => `entry[${i}].changes[${j}]`);
  }
};

/**
 * Every event in a webhook body, in document order (per change: messages, then statuses, then
 * value.errors), plus what was acknowledged without becoming an event and why. Never throws.
 */
export const parseWebhook = (json: unknown): ParseResult => {
  const sink: Sink = { events: [], skipped: [] };
  if (!isRecord(json)) {
    skip(sink, "", `expected a JSON object, got ${describeValue(json)}`);
    return sink;
  }
  if (json.object !== WHATSAPP_OBJECT) {
    skip(sink, "object", `object ${describeValue(json.object)} not handled`);
    return sink;
  }
  const entries = json.entry;
  if (!Array.isArray(entries)) {
    skip(sink, "entry", `expected an array, got ${describeValue(entries)}`);
    return sink;
  }
  for (let i = 0; i < entries.length; i++) parseEntry(sink, entries[i], i);
  return sink;
};
