/**
 * Model answers are Markdown; WhatsApp has its own markup (*bold*, _italic_, ~strike~, ```code```)
 * and shows Markdown's syntax literally. These turn one into the other, and split long answers
 * into messages under WhatsApp's 4096-character text limit.
 * https://faq.whatsapp.com/539178204879377 (formatting), Graph text message: body ≤ 4096 chars
 */

// Placeholders for WhatsApp's markers while Markdown's are still being rewritten, so a `*` we
// produce for bold is not read again as a Markdown italic. Control characters never appear in answers.
const BOLD = "\u0001";
const ITALIC = "\u0002";
const STRIKE = "\u0003";

/** Code is kept verbatim: fenced blocks (an unclosed fence runs to the end) and inline code. */
const CODE = /(```[\s\S]*?(?:```|$)|`[^`\n]+`)/;
/** Bare URLs are kept verbatim too, so `_` and `*` inside them are not taken for emphasis. */
const URL_PATTERN = /(https?:\/\/[^\s)]+)/;

const emphasis = (text: string): string =>
  text
    .replace(/\*\*\*(?=\S)([^\n]+?)(?<=\S)\*\*\*/g, `${BOLD}${ITALIC}$1${ITALIC}${BOLD}`)
    .replace(/\*\*(?=\S)([^\n]+?)(?<=\S)\*\*/g, `${BOLD}$1${BOLD}`)
    .replace(/(?<!\w)__(?=\S)([^\n]+?)(?<=\S)__(?!\w)/g, `${BOLD}$1${BOLD}`)
    .replace(/~~(?=\S)([^\n]+?)(?<=\S)~~/g, `${STRIKE}$1${STRIKE}`)
    .replace(/(?<![\w*])\*(?=[^\s*])([^*\n]*?)(?<=[^\s*])\*(?![\w*])/g, `${ITALIC}$1${ITALIC}`)
    .replace(/(?<![\w_])_(?=[^\s_])([^_\n]*?)(?<=[^\s_])_(?![\w_])/g, `${ITALIC}$1${ITALIC}`);

function prose(text: string): string {
  const rewritten = text
    .replaceAll(BOLD, "").replaceAll(ITALIC, "").replaceAll(STRIKE, "")
    // File-search citations such as 【4:0†source】 mean nothing to the reader.
    .replace(/[ \t]*【[^】\n]*】/g, "")
    .replace(/!?\[([^\]\n]*)\]\(([^)\s]+)(?:[ \t]+"[^"\n]*")?\)/g, (_, label: string, url: string) =>
      label === "" || label === url ? url : `${label} (${url})`,
    )
    .replace(/^[ \t]{0,3}#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$/gm, (_, title: string) => `${BOLD}${title.replace(/\*\*|__/g, "")}${BOLD}`)
    // "* item" would read as the start of a bold run; WhatsApp shows "- item" as a list.
    .replace(/^([ \t]*)[*+][ \t]+/gm, "$1- ");
  return rewritten
    .split(URL_PATTERN)
    .map((part, index) => (index % 2 === 1 ? part : emphasis(part)))
    .join("")
    .replaceAll(BOLD, "*")
    .replaceAll(ITALIC, "_")
    .replaceAll(STRIKE, "~");
}

/** Markdown (as language models write it) to WhatsApp's text formatting. */
export function toWhatsAppText(markdown: string): string {
  return markdown
    .replace(/\r\n?/g, "\n")
    .split(CODE)
    // A fence's language tag would show as text on WhatsApp, so "```ts" becomes "```".
    .map((part, index) => (index % 2 === 1 ? part.replace(/^```[^\n`]*\n/, "```\n") : prose(part)))
    .join("")
    .trim();
}

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number): boolean => code >= 0xdc00 && code <= 0xdfff;

/** Boundaries from best to worst; each finds the last cut position ≤ max (0 when none). */
const boundaries: readonly ((window: string) => number)[] = [
  (w) => w.lastIndexOf("\n\n"),
  (w) => w.lastIndexOf("\n"),
  (w) => {
    let cut = -1;
    for (const match of w.matchAll(/[.!?…]["')\]]*(?=\s)|[。！？]/g)) cut = match.index + match[0].length;
    return cut;
  },
  (w) => Math.max(w.lastIndexOf(" "), w.lastIndexOf("\t")),
];

function cutPosition(text: string, maxChars: number): number {
  const window = text.slice(0, maxChars + 1);
  const cuts = boundaries.map((find) => find(window)).map((cut) => (cut > maxChars ? -1 : cut));
  // Prefer the best kind of boundary unless it leaves a part under half full; then the latest one.
  const good = cuts.find((cut) => cut >= maxChars / 2);
  if (good !== undefined) return good;
  const latest = Math.max(...cuts);
  if (latest > 0) return latest;
  // No boundary at all: cut hard, but never between the halves of a surrogate pair (an emoji).
  const pairAtEdge = isHighSurrogate(text.charCodeAt(maxChars - 1)) && isLowSurrogate(text.charCodeAt(maxChars));
  return pairAtEdge ? maxChars - 1 : maxChars;
}

/**
 * Splits text into parts of at most maxChars UTF-16 units (counting units is conservative:
 * never fewer than WhatsApp's characters), at a paragraph, line, sentence or word boundary when
 * there is one. Only the whitespace at each cut is dropped. Whitespace-only text gives no parts.
 */
export function splitMessage(text: string, maxChars = 4096): string[] {
  if (!Number.isInteger(maxChars) || maxChars < 2) throw new RangeError("maxChars must be an integer of at least 2");
  const parts: string[] = [];
  let rest = text.trim() === "" ? "" : text;
  while (rest.length > maxChars) {
    const cut = cutPosition(rest, maxChars);
    const part = rest.slice(0, cut).trimEnd();
    if (part !== "") parts.push(part);
    rest = rest.slice(cut).trimStart();
  }
  if (rest.trim() !== "") parts.push(rest);
  return parts;
}
