-- wrk script: replays the requests of a file in turn, and prints the figures as JSON.
-- Each line of the file: METHOD <tab> PATH <tab> TOKEN <tab> CONTENT-TYPE <tab> BODY (token and
-- body may be empty; the body's CR, LF, tab and backslash escaped as \r, \n, \t and \\).
--   wrk -t1 -c32 -d5s -s bench/requests.lua http://127.0.0.1:8000 -- requests.tsv

local prepared = {}
local next_index = 1
local unescaped = { r = "\r", n = "\n", t = "\t", ["\\"] = "\\" }

function init(args)
  for line in io.lines(args[1]) do
    local method, path, token, content_type, body =
      line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    local headers = {}
    if token ~= "" then
      headers["Authorization"] = "Bearer " .. token
    end
    if body ~= "" then
      headers["Content-Type"] = content_type
      body = body:gsub("\\(.)", unescaped)
    else
      body = nil
    end
    prepared[#prepared + 1] = wrk.format(method, path, headers, body)
  end
end

function request()
  local r = prepared[next_index]
  next_index = next_index % #prepared + 1
  return r
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "non_2xx": %d, "socket_errors": %d, ' ..
    '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
