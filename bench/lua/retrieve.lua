-- GET one entity by id, a different random one of the seeded entities each time.
local count = tonumber(os.getenv("BENCH_ENTITIES") or "100000")
local prefix = os.getenv("BENCH_PATH") or "/ngsi-ld/v1/entities/"
math.randomseed(os.time())
request = function()
  return wrk.format("GET", prefix .. string.format("urn:ngsi-ld:Sensor:%06d", math.random(0, count - 1)))
end
