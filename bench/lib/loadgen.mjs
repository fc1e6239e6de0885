// The HTTP load generator for the ack-path cells: wrk (closed loop, N connections, one request in
// flight per connection) on the client core, posting the pre-signed bodies of a file in order.
// Without wrk, autocannon (a devDependency) does the same in a child process on that core.
import { BENCH, CLIENT_CORE, hasCommand, runToEnd } from "./proc.mjs";

export const generator = hasCommand("wrk") ? "wrk" : "autocannon";

/** { rps, p50, p99 (ms), requests, non2xx, errors, wraps } for `seconds` of load on `url`. */
export async function load({ url, bodies, seconds, connections }) {
  if (generator === "wrk") {
    const out = await runToEnd("taskset", ["-c", CLIENT_CORE, "wrk", "-t1", `-c${connections}`, `-d${seconds}s`, "--timeout", "10s", "-s", `${BENCH}wrk-bodies.lua`, `${url}/webhook`], { WRK_BODIES: bodies });
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
    const line = /BENCH (.*)/.exec(out)?.[1];
    if (!line || !Number.isFinite(rps)) throw new Error(`could not read wrk's output:\n${out}`);
    const f = Object.fromEntries(line.split(" ").map((pair) => pair.split("=")).map(([k, v]) => [k, Number(v)]));
    return { rps, p50: f.p50us / 1000, p99: f.p99us / 1000, requests: f.requests, non2xx: f.non2xx, errors: f.errors, wraps: f.wraps };
  }
  const out = await runToEnd("taskset", ["-c", CLIENT_CORE, process.execPath, `${BENCH}lib/autocannon-run.mjs`, url, bodies, String(seconds), String(connections)]);
  return JSON.parse(out.trim().split("\n").pop());
}
