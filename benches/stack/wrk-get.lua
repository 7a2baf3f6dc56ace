-- wrk script for the stack benchmark: one fixed GET with an optional Authorization header.
--   WPOA_BENCH_AUTH  value of the Authorization header ("" = anonymous)
--   WPOA_BENCH_OUT   file that done() writes the run's summary to (JSON, one object)
-- Used by benches/stack/bench.py; see docs/benchmarks.md.

local auth = os.getenv("WPOA_BENCH_AUTH") or ""
if auth ~= "" then
  wrk.headers["Authorization"] = auth
end
wrk.headers["Accept"] = "application/json"

-- Shared with wrk-bodies.lua: write the summary as JSON (latencies in microseconds).
function done(summary, latency, requests)
  local out = os.getenv("WPOA_BENCH_OUT")
  if not out or out == "" then return end
  local e = summary.errors
  local f = assert(io.open(out, "w"))
  f:write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"mean":%.1f,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max))
  f:close()
end
