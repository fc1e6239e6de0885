/**
 * The one catalogue of wahook errors. Codes are stable: scripts and dashboards may match on them,
 * and docs/errors.md has one anchor per code (a test keeps the two in step).
 * Expected outcomes (a bad signature, a duplicate) are values, not errors; these are for bad
 * configuration, infrastructure failures and misuse of the library.
 */
export const errorCatalogue = {
  CONFIG_MISSING: "A required setting is missing",
  CONFIG_INVALID: "A setting has a value wahook cannot use",
  STORE_UNAVAILABLE: "The database cannot be opened or reached",
  STORE_WRITE_FAILED: "The database refused a write",
  BODY_TOO_LARGE: "The request body is larger than MAX_BODY_BYTES",
  RAW_BODY_UNAVAILABLE: "The raw request body was consumed before wahook could verify it",
  BOT_LOAD_FAILED: "The bot module could not be loaded",
  GRAPH_REQUEST_FAILED: "A Graph API call failed",
  CLI_USAGE: "The command line is not valid",
  DELIVERY_LOG_LOCKED: "Another live process owns the delivery log directory",
  DELIVERY_LOG_POSITION_INVALID: "A position given to the delivery log is not one of its record boundaries",
  DELIVERY_LOG_FAILED: "A delivery log write or fdatasync failed; the log accepts no more appends",
  DELIVERY_LOG_CORRUPT: "A delivery log record already acknowledged as durable fails its checks",
  DELIVERY_LOG_CLOSED: "The delivery log was used after close()",
} as const;

export type ErrorCode = keyof typeof errorCatalogue;

export class WahookError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "WahookError";
    this.code = code;
  }

  /** Where the user finds what to do about this error. */
  get docsUrl(): string {
    return `docs/errors.md#${this.code.toLowerCase().replaceAll("_", "-")}`;
  }
}

export const isWahookError = (error: unknown, code?: ErrorCode): error is WahookError =>
  error instanceof WahookError && (code === undefined || error.code === code);
