import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** What the fake answers to one request: a completion with this text, or an HTTP error. */
export type FakeAnswer =
  | { text: string; delayMs?: number }
  | { status: number; message?: string; delayMs?: number };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  /** the parsed JSON body */
  body: { model?: string; messages?: { role: string; content: string }[]; [key: string]: unknown };
}

export interface FakeOpenAi {
  /** pass as baseUrl: ends in /v1, like https://api.openai.com/v1 */
  baseUrl: string;
  requests: RecordedRequest[];
  /** queues answers for the next requests; once used up, the default answer repeats */
  script(...answers: FakeAnswer[]): void;
  close(): Promise<void>;
}

function completion(model: string | undefined, text: string): unknown {
  return {
    id: "chatcmpl-fake",
    object: "chat.completion",
    created: 1781702400,
    model: model ?? "fake-model",
    choices: [{ index: 0, message: { role: "assistant", content: text, refusal: null }, logprobs: null, finish_reason: "stop" }],
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
  };
}

async function readJson(req: IncomingMessage): Promise<RecordedRequest["body"]> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as RecordedRequest["body"];
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/** An OpenAI Chat Completions endpoint on 127.0.0.1: POST /v1/chat/completions, scriptable. */
export async function startFakeOpenAi(defaultAnswer: FakeAnswer = { text: "Hello!" }): Promise<FakeOpenAi> {
  const queue: FakeAnswer[] = [];
  const requests: RecordedRequest[] = [];

  const server = createServer((req, res) => {
    void (async () => {
      const body = await readJson(req);
      requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body });
      if (req.method !== "POST" || req.url !== "/v1/chat/completions") return send(res, 404, { error: { message: "not found" } });
      const answer = queue.shift() ?? defaultAnswer;
      const respond = () =>
        "text" in answer
          ? send(res, 200, completion(body.model, answer.text))
          : send(res, answer.status, { error: { message: answer.message ?? "scripted failure", type: "server_error", code: null } });
      if (answer.delayMs === undefined) return respond();
      const timer = setTimeout(respond, answer.delayMs);
      // The client gave up (timeout): drop the pending answer instead of writing to a closed socket.
      res.on("close", () => clearTimeout(timer));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    script: (...answers) => void queue.push(...answers),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
