-- POST a new entity with a unique id (thread number and sequence) each time.
local counter = 0
local thread_id = 0
local threads = {}
setup = function(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
init = function()
  thread_id = tid
end
request = function()
  counter = counter + 1
  local body = string.format('{"id":"urn:ngsi-ld:Created:%d-%d-%d","type":"Created","temperature":{"type":"Property","value":%d,"unitCode":"CEL"},"location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[139.7,35.6]}}}', os.time(), thread_id, counter, counter % 40)
  return wrk.format("POST", os.getenv("BENCH_PATH") or "/ngsi-ld/v1/entities", {["Content-Type"] = "application/json"}, body)
end
