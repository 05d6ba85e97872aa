-- A selective query: one type of three, and a value range that matches about 1 in 1000 entities.
math.randomseed(os.time())
request = function()
  local low = math.random(0, 99000)
  return wrk.format("GET", string.format("/ngsi-ld/v1/entities?type=Sensor&q=reading%%3E%%3D%d%%3Breading%%3C%d&limit=20", low, low + 100))
end
