/**
 * Small helpers shared by the item parsers. Everything here must accept any JSON value without
 * throwing: a throw on the ack path means a 500, and Meta would retry the poison body forever.
 */
import type { z } from "zod";
import type { GraphErrorInfo } from "./types.js";
import { wireError } from "./wire.js";

/** One item of a delivery, parsed into an event or refused with a reason. */
export type ItemResult<T> = { ok: true; value: T } | { ok: false; reason: string };

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Meta's timestamps are strings of Unix seconds (spec §3: "All timestamps are strings"). Up to
 * 15 digits, so the number stays exact. A loop, not `Number()` (which takes "0x1f", " 12", "1e3"
 * and "") nor a zod `.regex()` (which measured slower than the rest of a message's schema).
 */
export const unixSeconds = (text: string | undefined): number | undefined => {
  if (text === undefined || text.length === 0 || text.length > 15) return undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  return Number(text);
};

/** BSUID-era payloads send `wa_id: ""` for users with usernames (spec §3): "" means absent. */
export const nonEmpty = (value: string | undefined): string | undefined => (value === "" ? undefined : value);

/**
 * A short, safe description of an untrusted value for a `skipped` reason. Never interpolates
 * objects (a null-prototype object has no toString and would throw) and caps string length.
 */
export const describeValue = (value: unknown): string => {
  if (typeof value === "string") return value.length > 64 ? `${value.slice(0, 64)}…` : value;
  if (value === undefined) return "(missing)";
  if (value === null) return "(null)";
  return Array.isArray(value) ? "(array)" : `(${typeof value})`;
};

/** `text.body: Invalid input: expected string, received undefined` from a zod failure. */
export const issueReason = (error: z.ZodError): string => {
  const issue = error.issues[0];
  if (!issue) return "invalid";
  let path = "";
  for (const key of issue.path) path += typeof key === "number" ? `[${key}]` : `${path ? "." : ""}${String(key)}`;
  return path ? `${path}: ${issue.message}` : issue.message;
};

export const refuse = (error: z.ZodError): { ok: false; reason: string } => ({ ok: false, reason: issueReason(error) });

/**
 * `errors[]` on a message, a status or a change value. Items are checked one by one and a
 * malformed one is dropped, so one odd item cannot hide the codes next to it (131051, 131047...).
 * Wire shape: https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/errors
 */
export const toGraphErrors = (items: readonly unknown[] | undefined): GraphErrorInfo[] => {
  const errors: GraphErrorInfo[] = [];
  if (!items) return errors;
  for (const item of items) {
    const parsed = wireError.safeParse(item);
    if (!parsed.success) continue;
    const e = parsed.data;
    errors.push({ code: e.code, title: e.title, message: e.message, details: e.error_data?.details ?? e.details });
  }
  return errors;
};
