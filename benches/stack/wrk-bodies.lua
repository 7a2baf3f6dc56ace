-- wrk script for the token endpoint benchmark: POST a different form body per request.
--   WPOA_BENCH_BODIES  file with one urlencoded body per line (each code / refresh token is
--                      single-use, so every request needs its own); wrk thread k of n takes
--                      lines k, k+n, k+2n, ... so no two threads send the same body.
--   WPOA_BENCH_AUTH    optional Authorization header (client authentication)
--   WPOA_BENCH_OUT     summary output, as in wrk-get.lua
-- When a thread runs out of bodies it keeps sending its last one; that request fails with
-- 400 invalid_grant and is counted as a non-2xx response, which bench.py reports as an error.

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_index", counter)
  table.insert(threads, thread)
end

function init(args)
  local n = tonumber(os.getenv("WPOA_BENCH_THREADS") or "1")
  local k = thread_index or 1
  bodies = {}
  local i = 0
  for line in io.lines(os.getenv("WPOA_BENCH_BODIES")) do
    i = i + 1
    if line ~= "" and (i - 1) % n == k - 1 then
      table.insert(bodies, line)
    end
  end
  next_body = 1
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Accept"] = "application/json"
  local auth = os.getenv("WPOA_BENCH_AUTH") or ""
  if auth ~= "" then
    wrk.headers["Authorization"] = auth
  end
end

function request()
  local body = bodies[next_body] or bodies[#bodies] or ""
  if next_body <= #bodies then
    next_body = next_body + 1
  end
  return wrk.format(nil, nil, nil, body)
end

-- done(): the JSON summary, in wrk-summary.lua next to this file.
dofile((debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./") .. "wrk-summary.lua")
