-- POST client_credentials to the token endpoint; BENCH_AUTHORIZATION is the client's "Basic ..." header
-- (client_secret_basic). A response that is not 200 with an access_token counts as invalid (see report.lua).
-- The request is formatted on first use: wrk knows the Host header only once the thread runs.
local request_text
invalid = 0
request = function()
  request_text = request_text or wrk.format("POST", os.getenv("BENCH_PATH") or "/identity/v1/oauth/token",
    { ["Content-Type"] = "application/x-www-form-urlencoded", ["Authorization"] = os.getenv("BENCH_AUTHORIZATION") },
    "grant_type=client_credentials")
  return request_text
end
response = function(status, headers, body)
  if status ~= 200 or not body:find('"access_token":"', 1, true) then invalid = invalid + 1 end
end
