-- Shared by every scenario: one machine-readable line with throughput and latency percentiles (microseconds).
-- invalid: responses a scenario's own response() refused (the global `invalid` of each thread; 0 without one).
done = function(summary, latency, requests)
  local refused = 0
  for _, thread in ipairs(threads) do refused = refused + (tonumber(thread:get("invalid")) or 0) end
  io.write(string.format("RESULT requests=%d duration_us=%d errors=%d non2xx=%d invalid=%d p50=%d p99=%d\n",
    summary.requests, summary.duration, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, refused, latency:percentile(50), latency:percentile(99)))
end
