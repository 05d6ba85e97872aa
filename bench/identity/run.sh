#!/usr/bin/env bash
# Token endpoint throughput (wrk, client_credentials, ES256) and ValidateAsync cost (in-process), see bench/README.md.
# Prints markdown tables and writes bench/identity/results.md and results.json.
# Usage: bash bench/identity/run.sh [seconds=10] [connections=32]
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${1:-10}
connections=${2:-32}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

for project in src/CityOS.Server bench/identity; do dotnet build -c Release --nologo -v q "$project" >/dev/null; done
cityos_dll=src/CityOS.Server/bin/Release/net10.0/cityos.dll
data=$(mktemp -d)
port=5027
trap 'kill ${cityos_pid:-} 2>/dev/null || true; rm -rf "$data"' EXIT

source bench/identity/token-run.sh
create_bench_client "$cityos_dll" "$data"

dotnet $cityos_dll --host 127.0.0.1 --port $port --data "$data" --Logging:LogLevel:Default Warning --CityOS:Identity:TokenRequestsPerMinute 0 >"$data/cityos.log" 2>&1 & cityos_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
token_url="http://127.0.0.1:$port/identity/v1/oauth/token"
curl -sf -H "Authorization: $authorization" -d grant_type=client_credentials "$token_url" | grep -q '"access_token":"' \
  || { echo "the token endpoint did not issue a token" >&2; exit 1; }

echo "warming up the token endpoint (3 s)..." >&2
token_run 3 "http://127.0.0.1:$port" >/dev/null
echo "running client_credentials tokens for ${duration}s with $connections connections..." >&2
read -r rps p50 p99 errors _ <<<"$(token_run "$duration" "http://127.0.0.1:$port")"
rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$cityos_pid/status)
kill $cityos_pid; wait $cityos_pid 2>/dev/null || true

echo "timing ValidateAsync in-process..." >&2
validation=$(dotnet bench/identity/bin/Release/net10.0/CityOS.Bench.Identity.dll ${BENCH_VALIDATIONS:-} --json "$data/validation.json")
{
  echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores, wrk -t2 -c$connections on the same machine, ${duration}s after a 3 s warm-up."
  echo
  echo "| scenario | throughput | p50 | p99 | errors | target |"
  echo "|---|---|---|---|---|---|"
  echo "| POST /identity/v1/oauth/token, client_credentials, ES256 ($connections conn.) | $rps tokens/s | $p50 ms | $p99 ms | $errors | ≥ 2,000 tokens/s |"
  echo "| resident memory after the run | $((rss_kb / 1024)) MB | | | | |"
  echo
  echo "$validation"
} | tee bench/identity/results.md
python3 - "$rps" "$p50" "$p99" "$errors" "$data/validation.json" <<'PY' > bench/identity/results.json
import json, sys
rps, p50, p99, errors, validation = sys.argv[1:]
print(json.dumps({"token_endpoint": {"rps": float(rps), "p50_ms": float(p50), "p99_ms": float(p99), "errors": int(errors)},
                  "validate": json.load(open(validation))}, indent=2))
PY
