// Fallback load generator when wrk is missing: autocannon, same bodies file, same load model.
// Prints one JSON line shaped like loadgen.mjs's result.
import { readFileSync } from "node:fs";
import autocannon from "autocannon";

const [url, file, seconds, connections] = process.argv.slice(2);
const lines = readFileSync(file, "utf8").split("\n").filter(Boolean);
let next = 0;
let wraps = 0;
const result = await autocannon({
  url: `${url}/webhook`,
  connections: Number(connections),
  duration: Number(seconds),
  timeout: 10,
  requests: [{
    method: "POST",
    setupRequest: (req) => {
      if (next === lines.length) {
        next = 0;
        wraps += 1;
      }
      const line = lines[next++];
      return { ...req, headers: { "content-type": "application/json", "x-hub-signature-256": line.slice(0, 71) }, body: line.slice(72) };
    },
  }],
});
console.log(JSON.stringify({ rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, requests: result.requests.total, non2xx: result.non2xx, errors: result.errors + result.timeouts, wraps }));
