import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Answer } from "../webhook/answer.js";
import type { HttpRequestLike } from "./router.js";

export interface WahookFastifyOptions {
  webhook: (request: HttpRequestLike) => Promise<Answer>;
  /** default /webhook */
  path?: string;
  /** default 4 MiB; Fastify itself answers 413 past it */
  maxBodyBytes?: number;
}

/**
 * An encapsulated Fastify plugin: `fastify.register(wahookFastify, { webhook: app.webhook })`.
 * Its content-type parser keeps the body as a Buffer inside this plugin only, so the host app's
 * JSON parsing elsewhere is untouched and the signature is checked over the exact bytes.
 */
export async function wahookFastify(instance: FastifyInstance, options: WahookFastifyOptions): Promise<void> {
  const path = options.path ?? "/webhook";
  const bodyLimit = options.maxBodyBytes ?? 4 * 1024 * 1024;
  instance.removeAllContentTypeParsers();
  instance.addContentTypeParser("*", { parseAs: "buffer", bodyLimit }, (_req, body, done) => done(null, body));

  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const answer = await options.webhook({
      method: request.method,
      url: request.url,
      header: (name) => {
        const value = request.headers[name];
        return Array.isArray(value) ? value.join(", ") : value;
      },
      readBody: async (maxBytes) => (body.length > maxBytes ? { ok: false, reason: "too-large" } : { ok: true, body }),
    });
    void reply.code(answer.status).type(answer.contentType).headers(answer.headers ?? {});
    return answer.body;
  };
  instance.get(path, handle);
  instance.post(path, { bodyLimit }, handle);
}
