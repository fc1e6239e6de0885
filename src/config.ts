import { z } from "zod";
import { WahookError } from "./errors.js";

export type DatabaseTarget = { kind: "sqlite"; path: string } | { kind: "postgres"; url: string };
export type MarkRead = "off" | "read" | "typing";

export interface Config {
  verifyToken: string;
  /** Every accepted app secret; more than one while a secret is being rotated. */
  appSecrets: readonly string[];
  accessToken: string | undefined;
  /** When set, events for other business numbers are acknowledged and ignored. */
  phoneNumberId: string | undefined;
  graphApiVersion: string;
  graphApiBaseUrl: string;
  port: number;
  host: string;
  database: DatabaseTarget;
  /** PostgreSQL schema for wahook's tables (created if missing); default: the server's search_path */
  databaseSchema: string | undefined;
  logLevel: string;
  maxBodyBytes: number;
  bot: string;
  markRead: MarkRead;
  sendRatePerSecond: number;
  retryMaxDelayMs: number;
  messageMaxAgeMs: number;
  graphTimeoutMs: number;
  leaseMs: number;
  /** how long a send whose answer was never seen (sender died, call timed out) waits for Meta's status webhook before it is repeated */
  sendConfirmWaitMs: number;
  botMaxAttempts: number;
  dbPoolSize: number;
  dbStatementTimeoutMs: number;
  shutdownTimeoutMs: number;
  dedupeRetentionDays: number;
  openai: { apiKey: string | undefined; model: string; baseUrl: string | undefined; instructions: string; historyMessages: number };
}

export type Env = Readonly<Record<string, string | undefined>>;

const DEFAULT_SQLITE_PATH = "data/wahook.db";

/** Where each required secret lives, so the error tells the user what to do. */
const requiredHelp = {
  APP_SECRET:
    "set APP_SECRET to your Meta app secret (App Dashboard > App settings > Basic > App secret); a comma-separated list is accepted while rotating",
  VERIFY_TOKEN:
    "set VERIFY_TOKEN to any random string and enter the same value as 'Verify token' in App Dashboard > WhatsApp > Configuration",
} as const;

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);

const schema = z.object({
  PORT: int(0, 65535).default(8000),
  HOST: z.string().default("0.0.0.0"),
  GRAPH_API_BASE_URL: z.url().default("https://graph.facebook.com"),
  GRAPH_API_VERSION: z.string().regex(/^v\d+\.\d+$/, "expected a version such as v24.0").default("v24.0"),
  DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "expected a lowercase identifier such as wahook").optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  MAX_BODY_BYTES: int(1024).default(4 * 1024 * 1024),
  BOT: z.string().default("echo-upper"),
  MARK_READ: z.enum(["off", "read", "typing"]).default("off"),
  SEND_RATE_PER_SECOND: z.coerce.number().positive().default(80),
  RETRY_MAX_DELAY_MS: int(100).default(30_000),
  MESSAGE_MAX_AGE_MS: int(1000).default(24 * 60 * 60 * 1000),
  GRAPH_TIMEOUT_MS: int(100, 15_000).default(15_000),
  LEASE_MS: int(1000).default(60_000),
  SEND_CONFIRM_WAIT_MS: int(0, 24 * 60 * 60 * 1000).default(30_000),
  BOT_MAX_ATTEMPTS: int(1, 100).default(5),
  DB_POOL_SIZE: int(1, 1000).default(10),
  DB_STATEMENT_TIMEOUT_MS: int(100).default(10_000),
  SHUTDOWN_TIMEOUT_MS: int(0).default(10_000),
  DEDUPE_RETENTION_DAYS: int(8, 3650).default(8),
  OPENAI_MODEL: z.string().default("gpt-4o-mini"),
  OPENAI_HISTORY_MESSAGES: int(0, 200).default(20),
});

/** An empty value counts as unset, so `APP_SECRET=` in a .env cannot disable a default or a check. */
const present = (env: Env): Record<string, string> =>
  Object.fromEntries(Object.entries(env).filter((pair): pair is [string, string] => pair[1] !== undefined && pair[1].trim() !== ""));

export function parseDatabaseUrl(value: string | undefined): DatabaseTarget {
  if (value === undefined) return { kind: "sqlite", path: DEFAULT_SQLITE_PATH };
  if (/^postgres(ql)?:\/\//i.test(value)) return { kind: "postgres", url: value };
  if (value.startsWith("sqlite://")) return { kind: "sqlite", path: value.slice("sqlite://".length) };
  if (value.startsWith("sqlite:")) return { kind: "sqlite", path: value.slice("sqlite:".length) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw new WahookError("CONFIG_INVALID", `DATABASE_URL uses a scheme wahook does not know; use sqlite:PATH, a file path, or postgres://...`);
  }
  return { kind: "sqlite", path: value };
}

export const parseSecretList = (value: string | undefined): string[] =>
  (value ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");

/** Validates the environment once, at start. Throws CONFIG_MISSING / CONFIG_INVALID naming every problem. */
export function parseConfig(rawEnv: Env): Readonly<Config> {
  const env = present(rawEnv);
  const problems: string[] = [];
  const appSecrets = parseSecretList(env.APP_SECRET);
  if (appSecrets.length === 0) problems.push(`APP_SECRET is missing: ${requiredHelp.APP_SECRET}.`);
  const verifyToken = env.VERIFY_TOKEN?.trim();
  if (!verifyToken) problems.push(`VERIFY_TOKEN is missing: ${requiredHelp.VERIFY_TOKEN}.`);
  if (problems.length > 0) throw new WahookError("CONFIG_MISSING", problems.join("\n"));

  // The tutorial's .env calls the version VERSION; GRAPH_API_VERSION wins when both are set.
  const parsed = schema.safeParse({ ...env, GRAPH_API_VERSION: env.GRAPH_API_VERSION ?? env.VERSION });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new WahookError("CONFIG_INVALID", `Invalid configuration:\n${lines.join("\n")}`);
  }
  const s = parsed.data;
  return Object.freeze({
    verifyToken: verifyToken as string,
    appSecrets: Object.freeze(appSecrets),
    accessToken: env.ACCESS_TOKEN,
    phoneNumberId: env.PHONE_NUMBER_ID,
    graphApiVersion: s.GRAPH_API_VERSION,
    graphApiBaseUrl: s.GRAPH_API_BASE_URL.replace(/\/+$/, ""),
    port: s.PORT,
    host: s.HOST,
    database: parseDatabaseUrl(env.DATABASE_URL),
    databaseSchema: s.DATABASE_SCHEMA,
    logLevel: s.LOG_LEVEL,
    maxBodyBytes: s.MAX_BODY_BYTES,
    bot: s.BOT,
    markRead: s.MARK_READ,
    sendRatePerSecond: s.SEND_RATE_PER_SECOND,
    retryMaxDelayMs: s.RETRY_MAX_DELAY_MS,
    messageMaxAgeMs: s.MESSAGE_MAX_AGE_MS,
    graphTimeoutMs: s.GRAPH_TIMEOUT_MS,
    leaseMs: s.LEASE_MS,
    sendConfirmWaitMs: s.SEND_CONFIRM_WAIT_MS,
    botMaxAttempts: s.BOT_MAX_ATTEMPTS,
    dbPoolSize: s.DB_POOL_SIZE,
    dbStatementTimeoutMs: s.DB_STATEMENT_TIMEOUT_MS,
    shutdownTimeoutMs: s.SHUTDOWN_TIMEOUT_MS,
    dedupeRetentionDays: s.DEDUPE_RETENTION_DAYS,
    openai: {
      apiKey: env.OPENAI_API_KEY,
      model: s.OPENAI_MODEL,
      baseUrl: env.OPENAI_BASE_URL,
      instructions: env.BOT_INSTRUCTIONS ?? "You are a helpful assistant answering on WhatsApp. Keep answers short.",
      historyMessages: s.OPENAI_HISTORY_MESSAGES,
    },
  });
}
