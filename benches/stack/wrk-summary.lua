-- Shared by wrk-get.lua and wrk-bodies.lua (each loads it with dofile from its own directory):
-- done() writes the run's summary as JSON (latencies in microseconds) to WPOA_BENCH_OUT.

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
