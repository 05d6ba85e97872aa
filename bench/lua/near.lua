-- near;maxDistance==500 around a random point inside the seeded area.
math.randomseed(os.time())
request = function()
  local lon = 139.60 + math.random() * 0.2
  local lat = 35.60 + math.random() * 0.2
  return wrk.format("GET", string.format("/ngsi-ld/v1/entities?type=Sensor&georel=near%%3BmaxDistance%%3D%%3D500&geometry=Point&coordinates=%%5B%.5f%%2C%.5f%%5D&limit=20", lon, lat))
end
