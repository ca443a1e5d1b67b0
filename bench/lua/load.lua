-- The one wrk script of `make bench`. Arguments (after `--`): MODE TOKEN then, by mode,
--   get   PATH                  GET PATH
--   post  PATH BODY             POST PATH with the JSON BODY
--   cycle PREFIX IDS_FILE       per wrk thread, claim then release its own tasks in turn, one at a time:
--                               POST PREFIX/<id>/claim, POST PREFIX/<id>/release, next id, ...
-- Run it with as many threads as connections (-t N -c N): each thread then has one connection, so its
-- claim is answered before its release is sent, and no two connections ever touch the same task.
-- At the end it prints one line, `BENCH {json}`, that bench/run.py reads (latencies in microseconds).

local counter = 0

function setup(thread)
  thread:set("thread_no", counter)
  counter = counter + 1
end

local requests = {}
local next_request = 1
-- wrk asks each thread for one request before it connects, and never sends it: give it a harmless GET
-- (sent, if some wrk does send it), so that the first claim of the rotation is not the one lost.
local sacrificed = nil

local function headers(token, with_body)
  local h = {}
  if token ~= "-" then h["X-Authorization"] = token end
  if with_body then h["Content-Type"] = "application/json" end
  h["Accept"] = "application/json"
  return h
end

function init(args)
  local mode, token = args[1], args[2]
  if mode == "get" then
    requests[1] = wrk.format("GET", args[3], headers(token, false))
  elseif mode == "post" then
    requests[1] = wrk.format("POST", args[3], headers(token, true), args[4])
  elseif mode == "cycle" then
    local prefix, ids_file, thread_count = args[3], args[4], tonumber(args[5])
    local n = 0
    for id in io.lines(ids_file) do
      if id ~= "" then
        if n % thread_count == thread_no then
          -- no body: the spec declares none for these two (and Prism refuses one)
          table.insert(requests, wrk.format("POST", prefix .. "/" .. id .. "/claim", headers(token, false), ""))
          table.insert(requests, wrk.format("POST", prefix .. "/" .. id .. "/release", headers(token, false), ""))
        end
        n = n + 1
      end
    end
    if #requests == 0 then error("no task ids for thread " .. thread_no .. " in " .. ids_file) end
    sacrificed = wrk.format("GET", requests[1]:match("^POST (%S+)/claim"), headers(token, false))
  else
    error("unknown mode " .. tostring(mode))
  end
end

function request()
  if sacrificed then
    local r = sacrificed
    sacrificed = nil
    return r
  end
  local r = requests[next_request]
  next_request = next_request + 1
  if next_request > #requests then next_request = 1 end
  return r
end

function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"non2xx":%d,"socket_errors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.status, e.connect + e.read + e.write + e.timeout))
end
