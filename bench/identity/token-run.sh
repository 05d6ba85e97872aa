# Sourced by bench/identity/run.sh and bench/openiddict-spike/run.sh.
# token_run SECONDS BASE_URL: POSTs client_credentials with $authorization (a "Basic ..." header) over $connections
# connections (wrk -t2, bench/lua/token.lua) and prints "requests/s p50_ms p99_ms errors requests",
# errors = socket errors + responses without a token.
# create_bench_client CITYOS_DLL DATA_DIR: a confidential client_credentials client, made by the real command line
# before the server starts; sets $authorization to its "Basic ..." header.
create_bench_client() {
  local created secret
  created=$(dotnet "$1" client create --client-id bench-service --grant client_credentials --scope ngsi-ld \
    --tenant city --role service --data "$2")
  secret=$(echo "$created" | sed -n 's/^client secret (shown once): //p')
  [ -n "$secret" ] || { echo "no client secret in: $created" >&2; exit 1; }
  authorization="Basic $(printf '%s' "bench-service:$secret" | base64 -w0)"
}

token_run() {
  local script; script=$(mktemp --suffix .lua)
  cat bench/lua/threads.lua bench/lua/token.lua bench/lua/report.lua >"$script"
  local out; out=$(BENCH_AUTHORIZATION="$authorization" wrk -t2 -c"$connections" -d"$1s" --timeout 5s -s "$script" "$2" 2>&1)
  rm -f "$script"
  echo "$out" | awk '/^RESULT/ {
    for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    printf "%.0f %.2f %.2f %d %d\n", v["requests"] / (v["duration_us"] / 1e6), v["p50"] / 1000, v["p99"] / 1000, v["errors"] + v["invalid"], v["requests"]
  }'
}
