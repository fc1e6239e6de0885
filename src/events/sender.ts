/**
 * Who sent a message: `value.contacts[]` joined to `messages[].from` / `from_user_id`.
 *
 * 2026 business-scoped user ids (BSUID, spec §3 and
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids):
 * messages gain `from_user_id`, contacts gain `user_id`, and for users with usernames `wa_id` may
 * be "" and `from` may be omitted. So users are keyed on `user_id ?? wa_id`.
 */
import type { Contact } from "./types.js";
import { isRecord, nonEmpty } from "./parse-util.js";

/** What a `contacts[]` item tells us: `{ profile: { name }, wa_id, user_id }`. */
interface KnownContact {
  waId: string | undefined;
  userId: string | undefined;
  name: string | undefined;
}

/** Maps, not plain objects: ids come from the wire, and a wa_id of "__proto__" must stay a string. */
export interface ContactIndex {
  byWaId: Map<string, KnownContact>;
  byUserId: Map<string, KnownContact>;
}

const stringOrUndefined = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);

/**
 * Indexes one change's `contacts[]`. Type guards rather than a zod schema: three optional
 * strings, once per contact on the hot path, where zod's per-call overhead measured larger than
 * the check. Malformed items or fields are ignored: a contact only adds a name and ids to a
 * message, it is never an event. The first contact for an id wins.
 */
export const indexContacts = (raw: unknown): ContactIndex => {
  const index: ContactIndex = { byWaId: new Map(), byUserId: new Map() };
  if (!Array.isArray(raw)) return index;
  for (const item of raw) {
    if (!isRecord(item)) continue;
    const profile = item.profile;
    const contact: KnownContact = {
      waId: stringOrUndefined(item.wa_id),
      userId: stringOrUndefined(item.user_id),
      name: isRecord(profile) ? stringOrUndefined(profile.name) : undefined,
    };
    if (contact.waId !== undefined && !index.byWaId.has(contact.waId)) index.byWaId.set(contact.waId, contact);
    if (contact.userId !== undefined && !index.byUserId.has(contact.userId)) index.byUserId.set(contact.userId, contact);
  }
  return index;
};

/**
 * The sender of a message, or undefined when the message names nobody (no usable `from` nor
 * `from_user_id`). The message's own ids win over the contact's, which only fill gaps.
 * System messages come without contacts[] (spec §3), so the ids alone must be enough.
 */
export const resolveSender = (
  from: string | undefined,
  fromUserId: string | undefined,
  contacts: ContactIndex,
): Contact | undefined => {
  const waIdIn = nonEmpty(from);
  const userIdIn = nonEmpty(fromUserId);
  const contact =
    (userIdIn !== undefined ? contacts.byUserId.get(userIdIn) : undefined) ??
    (waIdIn !== undefined ? contacts.byWaId.get(waIdIn) : undefined);
  const waId = waIdIn ?? contact?.waId;
  const userId = userIdIn ?? contact?.userId;
  const key = userId ?? waId;
  if (key === undefined) return undefined;
  return { key, waId, userId, name: contact?.name };
};
