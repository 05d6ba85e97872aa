-- POST batches of 100 entities to /entityOperations/upsert.
-- thread_id comes from threads.lua, which run.sh puts in front of every scenario.
local counter = 0
request = function()
  local parts = {}
  for i = 1, 100 do
    counter = counter + 1
    parts[i] = string.format('{"id":"urn:ngsi-ld:Batch:%d-%d","type":"Batch","temperature":{"type":"Property","value":%d}}', thread_id, counter, counter % 40)
  end
  return wrk.format("POST", "/ngsi-ld/v1/entityOperations/upsert", {["Content-Type"] = "application/json"}, "[" .. table.concat(parts, ",") .. "]")
end
