-- POSTs the pre-signed bodies of the file in WRK_BODIES, one line ("sha256=<64 hex> <body>") per
-- request, in order, so every request carries distinct message ids. At the end of the file it
-- starts over (those requests repeat ids); the count of wraps is printed so the bench can tell.
local path = os.getenv("WRK_BODIES")
local file
wraps = 0

function init(args)
  file = assert(io.open(path, "rb"))
end

function request()
  local line = file:read("*l")
  if line == nil then
    wraps = wraps + 1
    file:seek("set", 0)
    line = file:read("*l")
  end
  return wrk.format("POST", "/webhook", {
    ["Content-Type"] = "application/json",
    ["X-Hub-Signature-256"] = line:sub(1, 71),
  }, line:sub(73))
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("wraps") end
  io.write(string.format("BENCH wraps=%d p50us=%d p99us=%d requests=%d non2xx=%d errors=%d\n",
    total, latency:percentile(50), latency:percentile(99), summary.requests,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
