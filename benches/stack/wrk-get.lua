-- wrk script for the stack benchmark: one fixed GET with an optional Authorization header.
--   WPOA_BENCH_AUTH  value of the Authorization header ("" = anonymous)
--   WPOA_BENCH_OUT   file that done() writes the run's summary to (JSON, one object)
-- Used by benches/stack/bench.py; see docs/benchmarks.md.

local auth = os.getenv("WPOA_BENCH_AUTH") or ""
if auth ~= "" then
  wrk.headers["Authorization"] = auth
end
wrk.headers["Accept"] = "application/json"

-- done(): the JSON summary, in wrk-summary.lua next to this file.
dofile((debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./") .. "wrk-summary.lua")
