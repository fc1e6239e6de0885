import type { Answer } from "../webhook/answer.js";
import { readWebBody } from "../webhook/raw-body.js";
import type { HttpRequestLike } from "./router.js";

/** Web-standard Request -> the router's request; the body is read as bytes, once, with the limit. */
export const webRequestLike = (request: Request): HttpRequestLike => {
  const url = new URL(request.url);
  return {
    method: request.method,
    url: url.pathname + url.search,
    header: (name) => request.headers.get(name) ?? undefined,
    readBody: (maxBytes) => readWebBody(request, maxBytes),
  };
};

export const answerToResponse = (answer: Answer): Response =>
  new Response(answer.body, { status: answer.status, headers: { "content-type": answer.contentType, ...answer.headers } });
