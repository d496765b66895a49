-- wrk script for bench_hub.py: every request is one simulated station's call to the hub.
-- Arguments (after --): stations file ("code token etag" lines), threads, mean gap between two
-- requests on one connection in ms (exponential: arrivals look random, not in lock-step), and the
-- share of requests that are as-run reports (the rest poll the manifest with If-None-Match).
-- Each thread takes every threads-th station and walks them round-robin from a random start.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local stations = {}
local at = 0
local mean_ms, report_share
c200, c304, c429, cother = 0, 0, 0, 0

function init(args)
  local nthreads = tonumber(args[2])
  mean_ms = tonumber(args[3])
  report_share = tonumber(args[4])
  local n = 0
  for line in io.lines(args[1]) do
    if n % nthreads == id then
      local code, token, etag = line:match("^(%S+) (%S+) (%S+)$")
      stations[#stations + 1] = { code = code, token = token, etag = etag }
    end
    n = n + 1
  end
  math.randomseed(os.time() + 7919 * id)
  at = math.random(#stations) - 1
end

local hex = "0123456789abcdef"
local function uuid4()
  return (("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx"):gsub("[xy]", function(c)
    local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
    return hex:sub(v + 1, v + 1)
  end))
end

local function report_body()
  local now = os.date("!%Y-%m-%dT%H:%M:%S+00:00")
  local occurrence = uuid4()
  local rows = {}
  for k = 1, 5 do
    rows[k] = string.format(
      '{"uid":"%s","occurrence_uid":"%s","position":%d,"item_type":"segment","title":"Bản tin %d",'
        .. '"started_at":"%s","ended_at":"%s","duration_ms":30000,"status":"played"}',
      uuid4(), occurrence, k - 1, k, now, now)
  end
  return '{"asrun":[' .. table.concat(rows, ",") .. '],"status":{"clock":"' .. now
    .. '","on_air":null,"asrun_waiting":0,"last_error":null}}'
end

function request()
  at = at % #stations + 1
  local s = stations[at]
  local headers = { ["Authorization"] = "Bearer " .. s.token, ["X-Broadcaster-Station"] = s.code }
  if math.random() < report_share then
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", "/api/v1/station/report", headers, report_body())
  end
  headers["If-None-Match"] = s.etag
  return wrk.format("GET", "/api/v1/station/manifest", headers)
end

function delay()
  return math.floor(-math.log(1 - math.random()) * mean_ms)
end

function response(status, headers, body)
  if status == 200 then
    c200 = c200 + 1
  elseif status == 304 then
    c304 = c304 + 1
  elseif status == 429 then
    c429 = c429 + 1
  else
    cother = cother + 1
  end
end

function done(summary, latency, requests)
  local s = { c200 = 0, c304 = 0, c429 = 0, cother = 0 }
  for _, t in ipairs(threads) do
    for k, _ in pairs(s) do
      s[k] = s[k] + t:get(k)
    end
  end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d,'
      .. '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,'
      .. '"c200":%d,"c304":%d,"c429":%d,"cother":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout,
    s.c200, s.c304, s.c429, s.cother))
end
