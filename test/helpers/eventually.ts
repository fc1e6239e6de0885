import { setTimeout as sleep } from "node:timers/promises";

/**
 * Polls `read` until `done` holds for its value, then returns that value; fails after timeoutMs
 * with the last value. For work the server does after its 200 (journal expansion, the bot).
 */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await sleep(10);
  }
}
