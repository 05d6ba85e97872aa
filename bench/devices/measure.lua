-- A measure of a random one of BENCH_DEVICES provisioned devices (dev0000...): BENCH_FORMAT=json posts {"t": N} to
-- /iot/json, BENCH_FORMAT=ul posts t|N (UltraLight 2.0) to /iot/d. thread_id comes from threads.lua; every value is
-- unique (thread and sequence), so every measure is a history instance.
local apikey = os.getenv("BENCH_APIKEY")
local devices = tonumber(os.getenv("BENCH_DEVICES") or "1000")
local json = os.getenv("BENCH_FORMAT") == "json"
local path = json and "/iot/json" or "/iot/d"
local headers = {["Content-Type"] = json and "application/json" or "text/plain"}
local counter = 0
request = function()
  counter = counter + 1
  if counter == 1 then math.randomseed(os.time() * 16 + thread_id) end
  local value = thread_id * 100000000 + counter
  return wrk.format("POST", string.format("%s?k=%s&i=dev%04d", path, apikey, math.random(0, devices - 1)), headers,
    json and string.format('{"t":%d}', value) or string.format("t|%d", value))
end
