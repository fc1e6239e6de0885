/**
 * Pure builders for outgoing messages: each returns the Graph body minus the envelope
 * (`OutgoingContent`), checked against Meta's limits [WA-SEND]. `toGraphBody` adds the envelope.
 */
import type { OutgoingContent } from "../bot/types.js";
import { optionalText, requireHttpUrl, requireNonEmpty, requireText, withOptional } from "./limits.js";

export { buttons, list, type InteractiveOptions, type ListRow, type ListSection, type ReplyButton } from "./interactive.js";

const TEXT_BODY_MAX_CHARS = 4096;
const CAPTION_MAX_CHARS = 1024;

export function text(body: string, { previewUrl = false }: { previewUrl?: boolean } = {}): OutgoingContent {
  return { type: "text", text: { preview_url: previewUrl, body: requireText(body, "text body", TEXT_BODY_MAX_CHARS) } };
}

/** Quotes an earlier message. Meta does not allow a context on reactions [WA-SEND]. */
export function replyTo(content: OutgoingContent, messageId: string): OutgoingContent {
  if (content.type === "reaction") throw new TypeError("a reaction cannot be a reply: Meta does not allow context on reactions");
  return { ...content, context: { message_id: requireNonEmpty(messageId, "replyTo messageId") } };
}

/** Meta prefers an uploaded media `id`; a `link` is fetched by Meta and cached for 10 minutes [WA-SEND]. */
export type MediaSource = { id: string; link?: undefined } | { link: string; id?: undefined };

function mediaObject(kind: string, source: MediaSource, extra: Record<string, unknown>): OutgoingContent {
  const hasId = typeof source?.id === "string";
  const hasLink = typeof source?.link === "string";
  if (hasId === hasLink) throw new TypeError(`${kind} needs exactly one of { id } or { link }`);
  const base = hasId ? { id: requireNonEmpty(source.id, `${kind} id`) } : { link: requireHttpUrl(source.link, `${kind} link`) };
  return { type: kind, [kind]: withOptional(base, extra) };
}

const caption = (kind: string, value: string | undefined) => optionalText(value, `${kind} caption`, CAPTION_MAX_CHARS);

export const image = (source: MediaSource, options: { caption?: string } = {}): OutgoingContent =>
  mediaObject("image", source, { caption: caption("image", options.caption) });

export const video = (source: MediaSource, options: { caption?: string } = {}): OutgoingContent =>
  mediaObject("video", source, { caption: caption("video", options.caption) });

export const document = (source: MediaSource, options: { caption?: string; filename?: string } = {}): OutgoingContent =>
  mediaObject("document", source, {
    caption: caption("document", options.caption),
    filename: options.filename === undefined ? undefined : requireNonEmpty(options.filename, "document filename"),
  });

/** Audio and stickers take no caption (Meta rejects one), so there are no options. */
export const audio = (source: MediaSource): OutgoingContent => mediaObject("audio", source, {});
export const sticker = (source: MediaSource): OutgoingContent => mediaObject("sticker", source, {});

/** e.g. `{ type: "body", parameters: [{ type: "text", text: "Ada" }] }` [WA-SEND]. */
export type TemplateComponent = { type: string } & Record<string, unknown>;

/** Templates are the only messages Meta delivers outside the 24-hour window (else 131047) [WA-TP]. */
export function template(name: string, languageCode: string, components?: readonly TemplateComponent[]): OutgoingContent {
  const body = {
    name: requireText(name, "template name", 512),
    language: { code: requireNonEmpty(languageCode, "template language code") },
  };
  return { type: "template", template: withOptional(body, { components: components?.map((c) => ({ ...c })) }) };
}

/** One emoji, or "" to remove our reaction [WA-SEND]. */
export function reaction(messageId: string, emoji: string): OutgoingContent {
  if (typeof emoji !== "string" || [...new Intl.Segmenter().segment(emoji)].length > 1) throw new TypeError("reaction emoji must be a single emoji, or \"\" to remove the reaction");
  return { type: "reaction", reaction: { message_id: requireNonEmpty(messageId, "reaction messageId"), emoji } };
}

const ENVELOPE_KEYS = ["messaging_product", "recipient_type", "to"] as const;

/**
 * The JSON for POST /{phone-number-id}/messages. `to` should be a wa_id or E.164 number: without a
 * country code Meta prepends the business number's own, which can reach the wrong person [WA-SEND].
 */
export function toGraphBody(to: string, content: OutgoingContent): Record<string, unknown> {
  requireNonEmpty(to, "recipient (to)");
  if (typeof content?.type !== "string") throw new TypeError("content needs a string `type`; build it with graph/messages");
  const clash = ENVELOPE_KEYS.find((key) => key in content);
  if (clash !== undefined) throw new TypeError(`content must not set "${clash}"; toGraphBody adds the envelope`);
  return { messaging_product: "whatsapp", recipient_type: "individual", to, ...content };
}

/**
 * Marks a message (and every earlier one in the thread) read. With `typing`, also shows the typing
 * indicator until we reply or 25 s pass, so only ask for it when a reply is coming [WA-SEND].
 */
export function readReceipt(messageId: string, { typing = false }: { typing?: boolean } = {}): Record<string, unknown> {
  const body = { messaging_product: "whatsapp", status: "read", message_id: requireNonEmpty(messageId, "readReceipt messageId") };
  return typing ? { ...body, typing_indicator: { type: "text" } } : body;
}
