/**
 * Interactive reply buttons and lists, with Meta's limits [WA-SEND]: at most 3 buttons (title ≤ 20
 * characters); a list has up to 10 sections and 10 rows in total.
 */
import type { OutgoingContent } from "../bot/types.js";
import { optionalText, requireCount, requireText, requireUnique, withOptional } from "./limits.js";

export interface ReplyButton {
  /** comes back as interactive.button_reply.id; ≤ 256 characters */
  id: string;
  /** ≤ 20 characters */
  title: string;
}

export interface ListRow {
  /** comes back as interactive.list_reply.id; ≤ 200 characters, unique across sections */
  id: string;
  /** ≤ 24 characters */
  title: string;
  /** ≤ 72 characters */
  description?: string;
}

export interface ListSection {
  /** ≤ 24 characters; Meta requires it when there is more than one section */
  title?: string;
  rows: readonly ListRow[];
}

/** A text header and a footer, each ≤ 60 characters. */
export interface InteractiveOptions {
  header?: string;
  footer?: string;
}

function interactive(type: string, body: { text: string }, action: Record<string, unknown>, options: InteractiveOptions): OutgoingContent {
  const header = optionalText(options.header, `${type} header`, 60);
  const footer = optionalText(options.footer, `${type} footer`, 60);
  const fields: Record<string, unknown> = { type };
  if (header !== undefined) fields.header = { type: "text", text: header };
  fields.body = body;
  if (footer !== undefined) fields.footer = { text: footer };
  fields.action = action;
  return { type: "interactive", interactive: fields };
}

export function buttons(bodyText: string, replies: readonly ReplyButton[], options: InteractiveOptions = {}): OutgoingContent {
  const body = { text: requireText(bodyText, "buttons body", 1024) };
  requireCount(replies, "buttons", 1, 3);
  const checked = replies.map((reply, i) => ({
    id: requireText(reply?.id, `button ${i + 1} id`, 256),
    title: requireText(reply?.title, `button ${i + 1} title`, 20),
  }));
  requireUnique(checked.map((b) => b.id), "button ids");
  requireUnique(checked.map((b) => b.title), "button titles");
  return interactive("button", body, { buttons: checked.map((reply) => ({ type: "reply", reply })) }, options);
}

function checkSection(section: ListSection, where: string, titleRequired: boolean): { title?: string; rows: ListRow[] } {
  const title = titleRequired ? requireText(section?.title, `${where} title`, 24) : optionalText(section?.title, `${where} title`, 24);
  requireCount(section?.rows, `${where} rows`, 1, 10);
  const rows = section.rows.map((row, r) => {
    const base = { id: requireText(row?.id, `${where} row ${r + 1} id`, 200), title: requireText(row?.title, `${where} row ${r + 1} title`, 24) };
    return withOptional<ListRow>(base, { description: optionalText(row.description, `${where} row ${r + 1} description`, 72) });
  });
  return title === undefined ? { rows } : { title, rows };
}

export function list(bodyText: string, buttonLabel: string, sections: readonly ListSection[], options: InteractiveOptions = {}): OutgoingContent {
  const body = { text: requireText(bodyText, "list body", 4096) };
  const button = requireText(buttonLabel, "list button label", 20);
  requireCount(sections, "list sections", 1, 10);
  const checked = sections.map((section, s) => checkSection(section, `list section ${s + 1}`, sections.length > 1));
  const allRows = checked.flatMap((section) => section.rows);
  requireCount(allRows, "list rows in total", 1, 10);
  requireUnique(allRows.map((row) => row.id), "list row ids");
  return interactive("list", body, { button, sections: checked }, options);
}
