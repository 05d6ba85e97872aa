-- POST a new entity with a unique id (thread number and sequence) each time.
-- thread_id comes from threads.lua, which run.sh puts in front of every scenario.
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"id":"urn:ngsi-ld:Created:%d-%d-%d","type":"Created","temperature":{"type":"Property","value":%d,"unitCode":"CEL"},"location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[139.7,35.6]}}}', os.time(), thread_id, counter, counter % 40)
  return wrk.format("POST", os.getenv("BENCH_PATH") or "/ngsi-ld/v1/entities", {["Content-Type"] = "application/json"}, body)
end
