-- The bare Kestrel baseline of the HTTP measures: POST a measure-sized body to /entities (read, 201).
request = function()
  return wrk.format("POST", "/entities", {["Content-Type"] = "application/json"}, '{"t":12345678}')
end
