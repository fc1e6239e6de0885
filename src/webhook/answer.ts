/** A framework-free HTTP answer; adapters turn it into a Response or write it to a socket. */
export interface Answer {
  status: number;
  contentType: string;
  body: string;
  headers?: Readonly<Record<string, string>>;
}

const JSON_TYPE = "application/json; charset=utf-8";

/** Errors are short and never carry what a forger could use (no expected digest, no secret hints). */
export const jsonError = (status: number, code: string, message: string): Answer => ({
  status,
  contentType: JSON_TYPE,
  body: JSON.stringify({ error: { code, message } }),
});

export const jsonAnswer = (status: number, value: unknown): Answer => ({
  status,
  contentType: JSON_TYPE,
  body: JSON.stringify(value),
});

export const textAnswer = (status: number, body: string, headers?: Record<string, string>): Answer => ({
  status,
  contentType: "text/plain; charset=utf-8",
  body,
  headers: { "x-content-type-options": "nosniff", ...headers },
});

/** Meta counts anything but exactly 200 as a failed delivery, 202 and 204 included [WA-OV]. */
export const ACK: Answer = Object.freeze({ status: 200, contentType: JSON_TYPE, body: '{"ok":true}' });
