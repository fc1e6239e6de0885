import { answerToResponse } from "../adapters/web.js";
import { jsonError } from "./answer.js";
import { readWebBody } from "./raw-body.js";
import { verifySignature } from "./signature.js";

export type WebHandler = (request: Request) => Response | Promise<Response>;

/**
 * The tutorial's `@signature_required` decorator for any Web-standard handler: reads the exact
 * bytes, checks X-Hub-Signature-256 against every secret, answers 403 on failure, and otherwise
 * calls the handler with a fresh Request carrying the same bytes (so it can still read the body).
 */
export function signatureRequired(handler: WebHandler, options: { appSecrets: readonly string[]; maxBodyBytes?: number }): WebHandler {
  if (options.appSecrets.length === 0) throw new TypeError("signatureRequired needs at least one app secret (APP_SECRET).");
  const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024;
  return async (request) => {
    const raw = await readWebBody(request, maxBodyBytes);
    if (!raw.ok) return answerToResponse(jsonError(raw.reason === "too-large" ? 413 : 400, raw.reason, "The body could not be read."));
    const check = verifySignature(raw.body, request.headers.get("x-hub-signature-256"), options.appSecrets);
    if (!check.ok) return answerToResponse(jsonError(403, "invalid_signature", "X-Hub-Signature-256 is missing or does not match."));
    return handler(new Request(request.url, { method: request.method, headers: request.headers, body: raw.body }));
  };
}
