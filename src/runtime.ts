import { randomUUID } from "node:crypto";
import { pino, type Logger } from "pino";

/**
 * What the core takes from the outside world, injected so tests can fix time and randomness and
 * point fetch at a fake Graph API. No module-level state: each app gets its own.
 */
export interface Runtime {
  nowMs: () => number;
  /** uniform in [0, 1) — backoff jitter */
  random: () => number;
  fetch: typeof fetch;
  logger: Logger;
  newId: () => string;
}

export const silentLogger = (): Logger => pino({ level: "silent" });

export function createRuntime(overrides: Partial<Runtime> = {}): Runtime {
  return {
    nowMs: overrides.nowMs ?? Date.now,
    random: overrides.random ?? Math.random,
    fetch: overrides.fetch ?? globalThis.fetch.bind(globalThis),
    logger: overrides.logger ?? silentLogger(),
    newId: overrides.newId ?? randomUUID,
  };
}
