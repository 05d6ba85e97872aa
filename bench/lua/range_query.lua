-- A selective q query of one type over the seeded entities' unique reading (about 20 matches), through NGSI-LD or,
-- with BENCH_API=v2, the same query through /v2 (Orion's q: the same operators, ';' for and).
local count = tonumber(os.getenv("BENCH_ENTITIES") or "100000")
local v2 = os.getenv("BENCH_API") == "v2"
math.randomseed(os.time())
request = function()
  local low = math.random(0, math.max(count - 20, 0))
  local path = v2 and "/v2/entities" or "/ngsi-ld/v1/entities"
  return wrk.format("GET", string.format("%s?type=Sensor&q=reading%%3E%%3D%d%%3Breading%%3C%d&limit=20", path, low, low + 20))
end
