-- wrk script of bench/edge-throughput.sh: sends the raw requests of a file written by
-- bench/requests.mjs (NUL-separated) and checks every answer.
--
--   wrk ... -s bench/wrk-requests.lua URL -- FILE MARKER THREADS
--
-- A file holding one request is sent by every thread over and over. A file holding several
-- (signed requests, each with its own nonce) is split between the threads (request k goes to
-- thread k mod THREADS) and each is sent once; running out wraps around, which reuses nonces,
-- and is counted as `wrapped` so that the report can say so.
--
-- A response counts as bad when its status is not 200 or its body lacks MARKER. done() prints
-- one line starting with RESULT for the calling script to parse.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local file, threads_n = args[1], tonumber(args[3])
  marker = args[2]
  local f = assert(io.open(file, "rb"))
  local data = f:read("*a")
  f:close()
  local all = {}
  for req in string.gmatch(data, "[^%z]+") do
    all[#all + 1] = req
  end
  reqs = {}
  if #all == 1 then
    reqs[1] = all[1]
  else
    for k = 1, #all do
      if (k - 1) % threads_n == id then
        reqs[#reqs + 1] = all[k]
      end
    end
  end
  pos = 0
  wrapped = 0
  bad = 0
  sample = ""
end

function request()
  pos = pos + 1
  if pos > #reqs then
    pos = 1
    if #reqs > 1 then
      wrapped = wrapped + 1
    end
  end
  return reqs[pos]
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
  local bad_total, wrapped_total, samples = 0, 0, ""
  for _, t in ipairs(threads) do
    bad_total = bad_total + t:get("bad")
    wrapped_total = wrapped_total + t:get("wrapped")
    local s = t:get("sample")
    if s ~= "" and samples == "" then
      samples = s
    end
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d rps=%.1f avg_us=%.0f p50_us=%d p99_us=%d max_us=%d "
      .. "non2xx3xx=%d bad=%d wrapped=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency.mean, latency:percentile(50), latency:percentile(99), latency.max,
    e.status, bad_total, wrapped_total, e.connect, e.read, e.write, e.timeout))
  if samples ~= "" then
    io.write("BADSAMPLE " .. string.gsub(samples, "\n", " ") .. "\n")
  end
end
