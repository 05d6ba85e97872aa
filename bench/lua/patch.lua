-- PATCH one numeric attribute (temperature, with observedAt) of a random seeded entity: the IoT update path.
-- Every request carries a value no other request has (thread number and sequence) and its own observedAt, so each
-- acknowledged update is a new history instance; run.sh compares the history's count with the 2xx responses.
-- thread_id comes from threads.lua, which run.sh puts in front of every scenario.
local count = tonumber(os.getenv("BENCH_ENTITIES") or "100000")
local counter = 0
local start = os.time()
request = function()
  counter = counter + 1
  if counter == 1 then math.randomseed(os.time() * 16 + thread_id) end
  local at = start + math.floor(counter / 1000)
  local body = string.format('{"type":"Property","value":%d.5,"observedAt":"%s.%03dZ"}',
    thread_id * 100000000 + counter, os.date("!%Y-%m-%dT%H:%M:%S", at), counter % 1000)
  return wrk.format("PATCH", string.format("/ngsi-ld/v1/entities/urn:ngsi-ld:Sensor:%06d/attrs/temperature", math.random(0, count - 1)),
    {["Content-Type"] = "application/json"}, body)
end
