/**
 * Media download, two steps [WA-SEND]: GET /{version}/{media-id} answers a short-lived URL (5 min),
 * then GET that URL with the same Bearer header (Meta refuses it without). Failures throw
 * GRAPH_REQUEST_FAILED: unlike sends, a download is asked for by code that can handle the error.
 */
import { WahookError } from "../errors.js";
import { classifyGraphResponse, describeNetworkError } from "./classify.js";
import { readJson, type GraphResponse, type GraphTransport } from "./transport.js";

export interface MediaInfo {
  url: string;
  mimeType: string;
  /** hex SHA-256 of the file */
  sha256: string;
  fileSize: number;
}

export interface MediaOptions {
  /** Meta accepts it as a check that the media belongs to this number */
  phoneNumberId?: string;
  signal?: AbortSignal;
  /** per request; defaults to the client's timeoutMs */
  timeoutMs?: number;
  /** refuse larger files; Meta's largest (documents) is 100 MB [WA-SEND] */
  maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 100 * 1024 * 1024;

function hintFor(status: number, code: number | null): string {
  if (code === 190 || status === 401 || status === 403) return " Check ACCESS_TOKEN: it may have expired or lack the whatsapp_business_messaging permission.";
  if (status === 404) return " Media IDs from webhooks can be downloaded for 7 days, and a media URL expires after 5 minutes: look the ID up again.";
  return "";
}

export function createMediaClient(transport: GraphTransport) {
  const failed = (what: string, detail: string, cause?: unknown) =>
    new WahookError("GRAPH_REQUEST_FAILED", transport.redact(`Graph media ${what} failed: ${detail}`), cause === undefined ? undefined : { cause });

  /** One GET; throws with the Graph code, title and a hint on a network error or a non-2xx answer. */
  async function get(url: string, what: string, options: MediaOptions): Promise<GraphResponse> {
    let response: GraphResponse;
    try {
      response = await transport.request(url, { method: "GET", signal: options.signal, timeoutMs: options.timeoutMs });
    } catch (error) {
      throw failed(what, describeNetworkError(error), error);
    }
    if (response.ok) return response;
    const verdict = classifyGraphResponse({ httpStatus: response.status, body: await readJson(response).catch(() => null), retryAfterHeader: null });
    const error = verdict.kind === "ok" ? undefined : verdict.error;
    const code = error?.code ?? null;
    throw failed(what, `HTTP ${response.status}${code === null ? "" : `, code ${code}`}: ${error?.title ?? ""}.${hintFor(response.status, code)}`);
  }

  async function getMediaUrl(mediaId: string, options: MediaOptions = {}): Promise<MediaInfo> {
    if (typeof mediaId !== "string" || mediaId === "") throw new TypeError("mediaId must be a non-empty string");
    const query = options.phoneNumberId === undefined ? "" : `?phone_number_id=${encodeURIComponent(options.phoneNumberId)}`;
    const what = `lookup of ${mediaId}`;
    const response = await get(transport.url(`${encodeURIComponent(mediaId)}${query}`), what, options);
    const body = (await readJson(response).catch((error: unknown) => {
      throw failed(what, describeNetworkError(error), error);
    })) as Record<string, unknown> | null;
    const fileSize = Number(body?.file_size);
    const { url, mime_type: mimeType, sha256 } = body ?? {};
    if (typeof url !== "string" || typeof mimeType !== "string" || typeof sha256 !== "string" || !Number.isFinite(fileSize)) {
      throw failed(what, "the answer lacks url, mime_type, sha256 or file_size");
    }
    return { url, mimeType, sha256, fileSize };
  }

  async function downloadMedia(mediaId: string, options: MediaOptions = {}): Promise<{ bytes: Buffer; mimeType: string }> {
    const info = await getMediaUrl(mediaId, options);
    const what = `download of ${mediaId}`;
    const protocol = URL.canParse(info.url) ? new URL(info.url).protocol : "";
    if (protocol !== "https:" && (transport.secure || protocol !== "http:")) {
      throw failed(what, "Graph answered a media URL that is not https; the access token is not sent to it");
    }
    const response = await get(info.url, what, options);
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    const chunks: Uint8Array[] = [];
    let totalBytes = 0;
    try {
      if (Number(response.headers.get("content-length")) > maxBytes) throw new RangeError("too large");
      for await (const chunk of response.body ?? []) {
        totalBytes += chunk.byteLength;
        if (totalBytes > maxBytes) throw new RangeError("too large");
        chunks.push(chunk);
      }
    } catch (error) {
      if (error instanceof RangeError) throw failed(what, `the file is larger than maxBytes (${maxBytes})`);
      throw failed(what, describeNetworkError(error), error);
    }
    return { bytes: Buffer.concat(chunks, totalBytes), mimeType: info.mimeType };
  }

  return { getMediaUrl, downloadMedia };
}
