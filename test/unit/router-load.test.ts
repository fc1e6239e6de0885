import { describe, expect, it } from "vitest";
import { createRouter, type HttpRequestLike } from "../../src/adapters/router.js";
import { createMetrics } from "../../src/metrics/metrics.js";
import { silentLogger } from "../../src/runtime.js";
import { ACK } from "../../src/webhook/answer.js";
import type { RawBody } from "../../src/webhook/raw-body.js";
import type { Receiver } from "../../src/webhook/receive.js";

const post = (body: Promise<RawBody>, method = "POST"): HttpRequestLike => ({ method, url: "/webhook", header: () => undefined, readBody: () => body });

describe("router load signal", () => {
  it("counts a POST as load from its headers, before its body has arrived, until its answer, with the bytes it read", async () => {
    const events: string[] = [];
    const receiver = { handshake: () => ACK, deliver: async () => (events.push("deliver"), ACK) } as unknown as Receiver;
    const router = createRouter({
      receiver, webhookPath: "/webhook", maxBodyBytes: 1024, metrics: createMetrics(), logger: silentLogger(),
      ready: async () => undefined, newRequestId: () => "r", load: { enter: () => events.push("enter"), leave: (bytes: number) => events.push(`leave ${bytes}`) },
    });
    let arrive: (raw: RawBody) => void = () => undefined;
    const answer = router.route(post(new Promise<RawBody>((resolve) => (arrive = resolve))));
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(["enter"]);
    arrive({ ok: true, body: Buffer.from("{}") });
    expect((await answer).status).toBe(200);
    expect(events).toEqual(["enter", "deliver", "leave 2"]);
  });

  it("leaves on a failed body too, and never counts a GET", async () => {
    const events: string[] = [];
    const receiver = { handshake: () => ACK, deliver: async () => ACK } as unknown as Receiver;
    const router = createRouter({
      receiver, webhookPath: "/webhook", maxBodyBytes: 1024, metrics: createMetrics(), logger: silentLogger(),
      ready: async () => undefined, newRequestId: () => "r", load: { enter: () => events.push("enter"), leave: (bytes: number) => events.push(`leave ${bytes}`) },
    });
    await expect(router.route(post(Promise.reject(new Error("socket reset"))))).rejects.toThrow("socket reset");
    await router.route(post(Promise.resolve({ ok: true, body: Buffer.alloc(0) }), "GET"));
    expect(events).toEqual(["enter", "leave 0"]);
  });
});
