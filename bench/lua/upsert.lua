-- POST batches of 100 entities to /entityOperations/upsert.
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
  local parts = {}
  for i = 1, 100 do
    counter = counter + 1
    parts[i] = string.format('{"id":"urn:ngsi-ld:Batch:%d-%d","type":"Batch","temperature":{"type":"Property","value":%d}}', thread_id, counter, counter % 40)
  end
  return wrk.format("POST", "/ngsi-ld/v1/entityOperations/upsert", {["Content-Type"] = "application/json"}, "[" .. table.concat(parts, ",") .. "]")
end
