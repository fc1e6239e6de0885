import type { IncomingMessage } from "node:http";
import { WahookError } from "../errors.js";

export type RawBody = { ok: true; body: Buffer } | { ok: false; reason: "too-large" | "aborted" };

const TOO_LARGE: RawBody = Object.freeze({ ok: false, reason: "too-large" });
const ABORTED: RawBody = Object.freeze({ ok: false, reason: "aborted" });

const CONSUMED_HINT =
  "The request body was read before wahook could verify its signature. Mount the webhook route " +
  "before any JSON or text body parser: the signature covers the exact bytes Meta sent.";

// Only a well-formed length can refuse early; anything else falls through to counting the bytes.
const declaredTooLarge = (contentLength: string | null | undefined, maxBytes: number): boolean =>
  contentLength !== null &&
  contentLength !== undefined &&
  /^\d+$/.test(contentLength) &&
  Number(contentLength) > maxBytes;

const joined = (chunks: readonly Uint8Array[], totalBytes: number): Buffer => {
  const only = chunks[0];
  if (chunks.length === 1 && only !== undefined) return Buffer.from(only.buffer, only.byteOffset, only.byteLength);
  return Buffer.concat(chunks, totalBytes);
};

/**
 * Reads a web-standard request body as exact bytes, up to maxBytes (Meta documents bodies of up
 * to 3 MB). A chunked body has no Content-Length, so streamed bytes are counted, and the stream is
 * cancelled as soon as the count passes the limit.
 */
export const readWebBody = async (request: Request, maxBytes: number): Promise<RawBody> => {
  if (request.bodyUsed || request.body?.locked === true) throw new WahookError("RAW_BODY_UNAVAILABLE", CONSUMED_HINT);
  if (declaredTooLarge(request.headers.get("content-length"), maxBytes)) return TOO_LARGE;
  if (request.body === null) return { ok: true, body: Buffer.alloc(0) };

  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let totalBytes = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { ok: true, body: joined(chunks, totalBytes) };
      totalBytes += value.byteLength;
      if (totalBytes > maxBytes) {
        // Cancelling tells the producer to stop; the rejection of a broken stream changes nothing.
        reader.cancel().catch(() => undefined);
        return TOO_LARGE;
      }
      chunks.push(value);
    }
  } catch {
    return ABORTED;
  }
};

/**
 * Reads a Node request body as exact bytes, up to maxBytes. On overflow it stops collecting and
 * drains the rest without keeping it, rather than destroying the socket, so the caller can still
 * answer 413 (with `Connection: close`) while the client is sending.
 */
export const readNodeBody = async (req: IncomingMessage, maxBytes: number): Promise<RawBody> => {
  if (req.readableEnded) throw new WahookError("RAW_BODY_UNAVAILABLE", CONSUMED_HINT);
  if (declaredTooLarge(req.headers["content-length"], maxBytes)) return TOO_LARGE;

  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let totalBytes = 0;
    const settle = (result: RawBody): void => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onAbort);
      req.off("close", onAbort);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      totalBytes += chunk.length;
      if (totalBytes > maxBytes) {
        settle(TOO_LARGE);
        // Keep discarding what is still in flight so TCP backpressure cannot stall the client
        // before it reads our 413; destroying the socket instead would lose that answer.
        req.resume();
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => settle({ ok: true, body: joined(chunks, totalBytes) });
    // 'close' before 'end' means the client went away mid-body.
    const onAbort = (): void => settle(ABORTED);
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onAbort);
    req.on("close", onAbort);
  });
};
