-- One portal page, requested again and again: BENCH_PATH, with "{n}" replaced by a random seeded entity number
-- (000000..BENCH_ENTITIES-1) in each request. Prints p50 and p95 (the portal's target is p95).
local count = tonumber(os.getenv("BENCH_ENTITIES") or "100000")
local path = os.getenv("BENCH_PATH") or "/portal/"
local cookie = os.getenv("BENCH_COOKIE") or ""
math.randomseed(os.time())
request = function()
  local headers = { ["Accept-Language"] = "ja" }
  if cookie ~= "" then headers["Cookie"] = cookie end
  return wrk.format("GET", (path:gsub("{n}", string.format("%06d", math.random(0, count - 1)))), headers)
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_us=%d errors=%d non2xx=%d p50=%d p95=%d p99=%d\n", summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
