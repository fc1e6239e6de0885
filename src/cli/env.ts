import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { parseSecretList, type Env } from "../config.js";
import { WahookError } from "../errors.js";

// Same rule as parseConfig: a blank value is "unset", so `APP_SECRET=` cannot hide a real value.
const withoutBlanks = (env: Env): Record<string, string> =>
  Object.fromEntries(Object.entries(env).filter((pair): pair is [string, string] => pair[1] !== undefined && pair[1].trim() !== ""));

function readDotEnv(cwd: string): Env {
  let text: string;
  try {
    text = readFileSync(join(cwd, ".env"), "utf8");
  } catch (error) {
    // No .env is the normal case in production, where the platform sets the environment.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw error;
  }
  return parseEnv(text);
}

/**
 * The environment the CLI runs with: `.env` in cwd (if any) under the process environment, so a
 * value exported in the shell or set by the platform wins over the file. Blank values are
 * dropped on both sides, so a blank in the shell does not mask a value from the file.
 */
export function loadEnv(cwd: string, processEnv: Env): Env {
  return { ...withoutBlanks(readDotEnv(cwd)), ...withoutBlanks(processEnv) };
}

/**
 * The secret wahook signs with: the first APP_SECRET (during a rotation the list is
 * "new,old", and the receiver accepts either). Only the name is ever printed, never the value.
 */
export function firstAppSecret(env: Env): string {
  const [secret] = parseSecretList(env.APP_SECRET);
  if (secret === undefined) {
    throw new WahookError(
      "CONFIG_MISSING",
      "APP_SECRET is missing: set it (in the environment or .env) to the Meta app secret the server checks signatures with (App Dashboard > App settings > Basic > App secret).",
    );
  }
  return secret;
}
