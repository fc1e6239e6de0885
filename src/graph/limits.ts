/**
 * Checks for the limits Meta puts on outgoing message fields [WA-SEND]. A violation is a bug in
 * the bot, not a runtime condition, so it throws a TypeError naming the field and the limit
 * instead of letting Graph answer with a permanent error 100 later, far from the cause.
 */

/**
 * Meta's pages say "characters" without naming the unit. We count Unicode code points, so an
 * emoji counts once (our reading): counting UTF-16 units would reject messages Meta accepts.
 */
export const charCount = (text: string): number => {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
};

export function requireNonEmpty(value: unknown, what: string): string {
  if (typeof value !== "string" || value === "") throw new TypeError(`${what} must be a non-empty string`);
  return value;
}

export function requireText(value: unknown, what: string, maxChars: number): string {
  requireNonEmpty(value, what);
  const count = charCount(value as string);
  if (count > maxChars) throw new TypeError(`${what} is ${count} characters; Meta allows at most ${maxChars}`);
  return value as string;
}

export function optionalText(value: unknown, what: string, maxChars: number): string | undefined {
  return value === undefined ? undefined : requireText(value, what, maxChars);
}

export function requireCount(items: unknown, what: string, min: number, max: number): readonly unknown[] {
  if (!Array.isArray(items)) throw new TypeError(`${what} must be an array`);
  if (items.length < min || items.length > max) {
    throw new TypeError(`${what}: got ${items.length}; Meta allows ${min} to ${max}`);
  }
  return items;
}

export function requireUnique(values: readonly string[], what: string): void {
  const seen = new Set<string>();
  for (const value of values) {
    if (seen.has(value)) throw new TypeError(`${what} must be unique; "${value}" appears twice`);
    seen.add(value);
  }
}

/** Meta fetches a `link` itself and accepts only HTTP(S) URLs [WA-SEND]. */
export function requireHttpUrl(value: unknown, what: string): string {
  if (typeof value !== "string") throw new TypeError(`${what} must be an http(s) URL`);
  const text = value;
  const protocol = URL.canParse(text) ? new URL(text).protocol : "";
  if (protocol !== "https:" && protocol !== "http:") throw new TypeError(`${what} must be an http(s) URL`);
  return text;
}

/** Adds the optional fields that are set; Graph rejects explicit nulls in some places. */
export const withOptional = <T extends object>(base: T, optional: Record<string, unknown>): T => {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) out[key] = value;
  return out as T;
};
