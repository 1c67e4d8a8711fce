-- requests.lua - the wrk script of "parkbench api" (tools/bench_api.c).
--
--   wrk -t2 -c32 -d10s --latency -s requests.lua http://127.0.0.1:PORT -- TOKEN PATHS_FILE
--
-- PATHS_FILE holds one request path a line (for instance
-- /api/v1/last?series=a,b,c); each wrk thread sends them in turn, starting
-- at its own line, all with "Authorization: Bearer TOKEN", so that no one
-- answer is asked for over and over. The requests are formatted once, in
-- init(), so the script costs wrk next to nothing per request.
--
-- done() prints one line, "parkbench-wrk {...}", that parkbench parses:
-- requests, duration_us, bytes, the socket errors, status_errors (wrk's
-- count of responses with a status above 399, its "Non-2xx or 3xx
-- responses") and latency percentiles in microseconds.

local threads = {}

function setup(thread)
   thread:set("id", #threads)
   table.insert(threads, thread)
end

local reqs = {}
local n, i = 0, 0

function init(args)
   local token, file = args[1], args[2]
   if not token or not file then
      error("usage: wrk ... -s requests.lua URL -- TOKEN PATHS_FILE")
   end
   for path in io.lines(file) do
      if #path > 0 then
         n = n + 1
         reqs[n] = wrk.format("GET", path, {["Authorization"] = "Bearer " .. token})
      end
   end
   if n == 0 then
      error("no request paths in " .. file)
   end
   -- threads start apart in the list
   i = ((id or 0) * math.floor(n / 2 + 1)) % n
end

function request()
   i = i % n + 1
   return reqs[i]
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "parkbench-wrk {\"requests\": %d, \"duration_us\": %d, \"bytes\": %d, " ..
      "\"connect_errors\": %d, \"read_errors\": %d, \"write_errors\": %d, " ..
      "\"timeouts\": %d, \"status_errors\": %d, \"mean_us\": %.1f, \"p50_us\": %.1f, " ..
      "\"p90_us\": %.1f, \"p99_us\": %.1f, \"max_us\": %.1f}\n",
      summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
      e.timeout, e.status, latency.mean, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max))
end
