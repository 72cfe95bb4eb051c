-- wrk script of bench/telemetry-throughput.sh: protocol E's version check, or heartbeats with
-- machine ids made up per request, and a check of every answer.
--
--   wrk ... -s bench/wrk-telemetry.lua URL -- KIND PREFIX [RING]
--
-- KIND:
--   check    POST /api/v1/version/check, the same request every time (reads only)
--   unique   POST /api/v1/user/heartbeat with a new machine_id per request,
--            PREFIX-t<thread>-<n>: every heartbeat is the machine's first of the day (an INSERT)
--   repeat   heartbeats cycling through RING (default 100) machine ids PREFIX-0 … PREFIX-(RING-1),
--            shared by the threads, all at version 1.1.0: after the first RING, every one
--            is a conflict whose DO UPDATE … WHERE finds nothing changed (no write)
--
-- A response counts as bad when its status is not 200 or its body lacks the marker
-- ('"code":200,' for the check, '"recorded":true' for heartbeats). done() prints one line
-- starting with RESULT; `sent` is the number of requests built (the number of distinct
-- machine ids for `unique`), which can exceed the answered requests by those in flight when
-- wrk stops.

local APP_KEY = "534a235d30f13cac"
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  kind = args[1]
  prefix = args[2] or "bench"
  ring = tonumber(args[3] or "100")
  sent = 0
  bad = 0
  sample = ""
  if kind == "check" then
    marker = '"code":200,'
    fixed = wrk.format("POST", "/api/v1/version/check", { ["Content-Type"] = "application/json" },
      '{"app_key":"' .. APP_KEY .. '","current_version":"1.0.0","platform":"windows"}')
  elseif kind == "unique" or kind == "repeat" then
    marker = '"recorded":true'
  else
    error("unknown kind " .. tostring(kind))
  end
end

function request()
  sent = sent + 1
  if fixed then
    return fixed
  end
  local machine
  if kind == "unique" then
    machine = string.format("%s-t%d-%d", prefix, id, sent)
  else
    machine = string.format("%s-%d", prefix, (sent - 1) % ring)
  end
  return wrk.format("POST", "/api/v1/user/heartbeat", { ["Content-Type"] = "application/json" },
    '{"app_key":"' .. APP_KEY .. '","machine_id":"' .. machine .. '","version":"1.1.0"}')
end

function response(status, headers, body)
  if status ~= 200 or not string.find(body or "", marker, 1, true) then
    bad = bad + 1
    if sample == "" then
      sample = status .. " " .. string.sub(body or "", 1, 160)
    end
  end
end

function done(summary, latency, requests)
  local bad_total, sent_total, samples = 0, 0, ""
  for _, t in ipairs(threads) do
    bad_total = bad_total + t:get("bad")
    sent_total = sent_total + t:get("sent")
    local s = t:get("sample")
    if s ~= "" and samples == "" then
      samples = s
    end
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d sent=%d duration_us=%d rps=%.1f avg_us=%.0f p50_us=%d p90_us=%d "
      .. "p99_us=%d max_us=%d non2xx3xx=%d bad=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, sent_total, summary.duration, summary.requests / (summary.duration / 1e6),
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, e.status, bad_total, e.connect, e.read, e.write, e.timeout))
  if samples ~= "" then
    io.write("BADSAMPLE " .. string.gsub(samples, "\n", " ") .. "\n")
  end
end
