import { WahookError } from "../../errors.js";

/** Error codes meaning "the database is not there", as opposed to "it refused this write". */
const unreachableCodes = new Set([
  "ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "ETIMEDOUT", "EHOSTUNREACH", "EPIPE", "EAI_AGAIN",
  "57P01", "57P02", "57P03", "53300", "3D000", "28000", "28P01",
]);
const unreachableMessages = /connection terminated|timeout exceeded when trying to connect|cannot use a pool after calling end|database connection is not open|driver has already been destroyed/i;

export function isUnreachable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && (unreachableCodes.has(code) || code.startsWith("08"))) return true;
  return unreachableMessages.test(error.message);
}

/**
 * Gives every store failure a stable code: STORE_UNAVAILABLE when the database cannot be reached
 * (or a read fails), STORE_WRITE_FAILED when it refused a change. The driver error stays as cause.
 */
export async function guard<T>(operation: string, kind: "read" | "write", run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof WahookError) throw error;
    const detail = error instanceof Error ? error.message : String(error);
    if (kind === "read" || isUnreachable(error)) {
      throw new WahookError("STORE_UNAVAILABLE", `store.${operation} failed: ${detail}; check that the database is running and reachable, and that migrations have run`, { cause: error });
    }
    throw new WahookError("STORE_WRITE_FAILED", `store.${operation} failed: ${detail}`, { cause: error });
  }
}
