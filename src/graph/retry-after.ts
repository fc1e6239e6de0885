/**
 * Retry-After is either delay-seconds or an HTTP-date (RFC 9110 §10.2.3). The date form needs the
 * current time, so without `nowMs` it is ignored rather than guessed.
 */
export function parseRetryAfterMs(header: string | null | undefined, nowMs?: number): number | null {
  if (header === null || header === undefined) return null;
  const value = header.trim();
  // RFC 9110 allows whole seconds only; a fractional value is accepted leniently.
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  if (nowMs === undefined || !/GMT$/i.test(value)) return null;
  const atMs = Date.parse(value);
  return Number.isNaN(atMs) ? null : Math.max(0, atMs - nowMs);
}
