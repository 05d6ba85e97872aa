#!/usr/bin/env bash
# Server time of the portal's main pages (issue 13), see bench/README.md "Portal": BENCH_ENTITIES Sensor entities
# (bench/seed.py, with their history), then each page requested with wrk (BENCH_CONNECTIONS, default 4) for the given
# seconds after a 3 s warm-up, on loopback; prints p50/p95/p99 per page and writes bench/portal/results.md.
# The admin pages and "my applications" are measured signed in (a system-admin created with the CLI, signed in through
# the portal's OpenID Connect flow by bench/portal/signin.py); the other pages anonymously (security off, the default).
# Usage: bash bench/portal/run.sh [seconds=8]
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${1:-8}
connections=${BENCH_CONNECTIONS:-4}
entities=${BENCH_ENTITIES:-100000}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

dotnet build -c Release --nologo -v q src/CityOS.Server >/dev/null
cityos=src/CityOS.Server/bin/Release/net10.0/cityos.dll
data=$(mktemp -d)
port=$(free_port)
base="http://127.0.0.1:$port"
password="bench-$(date +%s%N)"
dotnet "$cityos" account create --username bench-admin --password "$password" --display-name "Bench Admin" --data "$data" >/dev/null
dotnet "$cityos" account grant-role bench-admin --tenant '*' --role system-admin --data "$data" >/dev/null
dotnet "$cityos" --host 127.0.0.1 --port "$port" --data "$data" --Logging:LogLevel:Default Warning >"$data/cityos.log" 2>&1 & cityos_pid=$!
trap 'kill $cityos_pid 2>/dev/null || true; cp "$data/cityos.log" /tmp/bench-portal-cityos.log 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 150); do curl -sf "$base/health" >/dev/null && break; sleep 0.2; done
ticks() { awk '{print $14 + $15}' /proc/$cityos_pid/stat; } # CPU time of cityos (user + system), in clock ticks
hz=$(getconf CLK_TCK)
wait_idle() { # until cityos uses under 5 % of a core for a second (background history writes of the seed)
  for _ in $(seq 120); do
    local a; a=$(ticks); sleep 1
    [ $(($(ticks) - a)) -lt 5 ] && return
  done
}

echo "seeding $entities entities..." >&2
python3 bench/seed.py "$base" "$entities" >/dev/null
wait_idle
cookie=$(python3 bench/portal/signin.py "$base" bench-admin "$password")
# A subscription that fails (nobody listens at its endpoint), so the subscriptions page shows a delivery state.
curl -sf -o /dev/null -H 'Content-Type: application/json' -d "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"Sensor\"}],
  \"notification\": {\"endpoint\": {\"uri\": \"http://127.0.0.1:$(free_port)/none\"}}}" "$base/ngsi-ld/v1/subscriptions"

# page LABEL PATH [signed-in]: prints "| label | path | p50 | p95 | p99 | CPU/request | requests/s | errors |". CPU/request is
# cityos's CPU time (user + system) over the run divided by its requests: on a shared machine it is far steadier than
# latency, which mostly measures how long the process waits for a core.
page() {
  local script; script=$(mktemp --suffix .lua); cp bench/portal/page.lua "$script"
  local session=""; [ "${3:-}" = signed-in ] && session=$cookie
  local status; status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $session" "$base${2//\{n\}/000042}")
  [ "$status" = 200 ] || { echo "$1: $2 answers $status" >&2; exit 1; }
  BENCH_ENTITIES=$entities BENCH_PATH="$2" BENCH_COOKIE="$session" wrk -t1 -c"$connections" -d3s --timeout 5s -s "$script" "$base" >/dev/null 2>&1
  local before; before=$(ticks)
  local out; out=$(BENCH_ENTITIES=$entities BENCH_PATH="$2" BENCH_COOKIE="$session" wrk -t1 -c"$connections" -d"${duration}s" --timeout 5s -s "$script" "$base" 2>&1)
  local spent=$(($(ticks) - before))
  rm -f "$script"
  echo "$out" | awk -v label="$1" -v path="$2" -v spent="$spent" -v hz="$hz" '/^RESULT/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    printf "| %s | `%s` | %.1f ms | %.1f ms | %.1f ms | %.2f ms | %.0f/s | %d |\n", label, path, v["p50"] / 1000, v["p95"] / 1000, v["p99"] / 1000,
      spent * 1000 / hz / v["requests"], v["requests"] / (v["duration_us"] / 1e6), v["errors"] + v["non2xx"] }'
}

echo "measuring pages, ${duration}s each after a 3 s warm-up, $connections connections..." >&2
{
  echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores (shared; load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)), wrk -t1 -c$connections on the same machine, ${duration}s per page after a 3 s warm-up, $entities entities loaded."
  echo
  echo "| page | path | p50 | p95 | p99 | CPU/request | throughput | errors |"
  echo "|---|---|---|---|---|---|---|---|"
  page "home" "/portal/"
  page "API list" "/portal/apis"
  page "API list, searched" "/portal/apis?q=entities"
  page "entity types" "/portal/explore"
  page "entity list of a type" "/portal/explore/entities?type=Sensor"
  page "entity list with q" "/portal/explore/entities?type=Sensor&q=temperature%3E30"
  page "entity list with a selective q" "/portal/explore/entities?type=Sensor&q=reading%3D%3D{n}"
  # A far page as the pages' own next links reach it: by the keyset cursor. The embedded engine's cursor is the rowid of
  # the last entity of the previous page, and the seed's entities hold rowids 1..N, so "99000" is the page after 99,000.
  page "entity list, far page" "/portal/explore/entities?type=Sensor&after=99000&position=99000"
  page "entity page (attributes, history, map)" "/portal/explore/entity?id=urn:ngsi-ld:Sensor:{n}"
  page "my applications (signed in)" "/portal/apps" signed-in
  page "admin console (signed in)" "/portal/admin" signed-in
  page "admin subscriptions (signed in)" "/portal/admin/subscriptions" signed-in
  echo
  echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg). Target: p95 ≤ 50 ms per page."
} | tee bench/portal/results.md
