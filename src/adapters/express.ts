import type { IncomingMessage, ServerResponse } from "node:http";
import { WahookError } from "../errors.js";
import type { Answer } from "../webhook/answer.js";
import type { RawBody } from "../webhook/raw-body.js";
import { nodeRequestLike, writeAnswer } from "./node.js";
import type { HttpRequestLike } from "./router.js";

type ExpressRequest = IncomingMessage & { body?: unknown; rawBody?: unknown; originalUrl?: string };

/**
 * Express middleware for the webhook route: `app.use("/webhook", wahookExpress(app.route))`.
 * It reads the raw bytes itself, so mount it before express.json(). If a body parser already
 * consumed the stream it accepts the bytes that parser kept (express.raw(), or express.json's
 * `verify` hook storing req.rawBody), otherwise it fails with a message that says how to mount it.
 */
export function wahookExpress(webhook: (request: HttpRequestLike) => Promise<Answer>) {
  return (req: ExpressRequest, res: ServerResponse, next: (error?: unknown) => void): void => {
    const base = nodeRequestLike(req);
    const kept = Buffer.isBuffer(req.rawBody) ? req.rawBody : Buffer.isBuffer(req.body) ? req.body : undefined;
    const readBody = (maxBytes: number): Promise<RawBody> => {
      if (kept) return Promise.resolve(kept.length > maxBytes ? { ok: false, reason: "too-large" } : { ok: true, body: kept });
      if (req.readableEnded || req.body !== undefined) {
        throw new WahookError(
          "RAW_BODY_UNAVAILABLE",
          "A body parser (express.json()?) read the webhook body before wahook could verify its signature. Mount wahookExpress() before express.json(), or use express.json({ verify: (req, _res, buf) => { req.rawBody = buf } }).",
        );
      }
      return base.readBody(maxBytes);
    };
    webhook({ ...base, readBody }).then((answer) => writeAnswer(res, answer), next);
  };
}
