#!/usr/bin/env bash
# CPU profile of cityos per scenario, with Linux perf (JIT frames named through DOTNET_PerfMapEnabled).
# Usage: bash bench/profile.sh [seconds=10] [scenario...]   (scenarios: retrieve create upsert patch query near,
# and the NGSI-v2 pairs of run.sh: ld_retrieve v2_retrieve ld_query v2_query)
# Seeds BENCH_ENTITIES (default 100000) like run.sh, then for each scenario runs wrk and `perf record` on the cityos
# process at the same time, and prints the top symbols (self time) and the top shared objects, plus the process's
# CPU time per request (user + system from /proc), which is far steadier on a loaded machine than requests/s.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}; shift || true
scenarios=("${@:-retrieve create upsert patch query near}")
read -r -a scenarios <<<"${scenarios[*]}"
entities=${BENCH_ENTITIES:-100000}
out=${PROFILE_OUT:-/tmp/cityos-profile}
mkdir -p "$out"
# PROFILE_BIN: a copy of a built cityos folder to profile (no build), so that building goes on while it runs.
bin=${PROFILE_BIN:-src/CityOS.Server/bin/Release/net10.0}
[ -n "${PROFILE_BIN:-}" ] || dotnet build -c Release --nologo -v q src/CityOS.Server >/dev/null
data=$(mktemp -d); port=${PROFILE_PORT:-5126}
DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 dotnet "$bin/cityos.dll" --host 127.0.0.1 --port $port --data "$data" \
  --Logging:LogLevel:Default Warning >"$data/cityos.log" 2>&1 & pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
ticks() { awk '{print $14 + $15}' /proc/$pid/stat; }
wait_idle() { for _ in $(seq 120); do local a; a=$(ticks); sleep 1; [ $(($(ticks) - a)) -lt 5 ] && return; done; }
python3 bench/seed.py "http://127.0.0.1:$port" "$entities" >/dev/null
wait_idle
echo "RSS after seeding: $(awk '/VmRSS/ {print int($2/1024)}' /proc/$pid/status) MB"
declare -A script=([retrieve]=retrieve.lua [create]=create.lua [upsert]=upsert.lua [patch]=patch.lua [query]=query.lua [near]=near.lua
  [ld_retrieve]=retrieve.lua [v2_retrieve]=retrieve.lua [ld_query]=range_query.lua [v2_query]=range_query.lua)
declare -A conns=([retrieve]=50 [create]=50 [upsert]=16 [patch]=50 [query]=50 [near]=50 [ld_retrieve]=50 [v2_retrieve]=50 [ld_query]=50 [v2_query]=50)
declare -A paths=([retrieve]=/ngsi-ld/v1/entities/ [ld_retrieve]=/ngsi-ld/v1/entities/ [v2_retrieve]=/v2/entities/)
declare -A per=([upsert]=100)
hz=$(getconf CLK_TCK)
for name in "${scenarios[@]}"; do
  wait_idle
  lua=$(mktemp --suffix .lua); cat bench/lua/threads.lua "bench/lua/${script[$name]}" bench/lua/report.lua >"$lua"
  before=$(ticks)
  perf record -F 499 -g -p $pid -o "$out/$name.data" -- sleep "$duration" 2>/dev/null &
  perf_pid=$!
  result=$(BENCH_ENTITIES=$entities BENCH_PATH=${paths[$name]:-/ngsi-ld/v1/entities} BENCH_API=${name%%_*} \
    wrk -t2 -c"${conns[$name]}" -d"${duration}s" --timeout 5s -s "$lua" "http://127.0.0.1:$port" | awk '/^RESULT/')
  wait $perf_pid || true
  wait_idle   # background work (history, notifications) the scenario caused is billed to it
  after=$(ticks)
  requests=$(echo "$result" | sed 's/.*requests=\([0-9]*\).*/\1/')
  units=$((requests * ${per[$name]:-1}))
  echo "== $name: $result"
  awk -v t=$((after - before)) -v hz="$hz" -v n="$units" 'BEGIN { printf "   CPU per %s: %.1f us (incl. background work)\n", "unit", t / hz * 1e6 / n }'
  perf report -i "$out/$name.data" --no-children --sort dso --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -6 | sed 's/^/   /' || true
  perf report -i "$out/$name.data" --no-children --sort symbol --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -25 | sed 's/^/   /' || true
  rm -f "$lua"
done
