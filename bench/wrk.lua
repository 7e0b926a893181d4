-- wrk script of bench/scale.py: one method over a list of paths in turn, an optional bearer secret, and a
-- summary as one JSON line (requests, latency percentiles, status counts across threads).
--   BENCH_SECRET=... wrk -t1 -c20 -d5s -s bench/wrk.lua http://127.0.0.1:PORT -- GET /path1 /path2 ...
-- The secret comes from the environment, so it is not on the command line for other processes to read.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  method = args[1]
  paths = {}
  for i = 2, #args do
    paths[#paths + 1] = args[i]
  end
  headers = {}
  local secret = os.getenv("BENCH_SECRET")
  if secret ~= nil and secret ~= "" then
    headers["Authorization"] = "Bearer " .. secret
  end
  sent = 0
  statuses = {}
end

function request()
  sent = sent + 1
  return wrk.format(method, paths[(sent % #paths) + 1], headers)
end

function response(status)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(counts) do
    parts[#parts + 1] = string.format('"%d": %d', status, count)
  end
  local errors = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "statuses": {%s}, '
      .. '"socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}}\n',
    summary.requests, summary.duration, latency:percentile(50.0), latency:percentile(99.0),
    table.concat(parts, ", "), errors.connect, errors.read, errors.write, errors.timeout))
end
