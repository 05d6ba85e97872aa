#!/usr/bin/env bash
# Catalog benchmarks (issue 12), see bench/README.md: package_search over BENCH_DATASETS datasets (wrk, random queries),
# a live CSV download of BENCH_ENTITIES entities (rows/s), and the upload and download of a BENCH_UPLOAD_MB file, next to
# the bare Kestrel endpoint in the same run. Beside each figure: the cityos process's CPU time for it (from /proc), which
# stays steady on a loaded machine where throughput and latency do not.
# Usage: bash bench/catalog/run.sh [seconds=10] [connections=16]   (BENCH_ENTITIES=0 / BENCH_UPLOAD_MB=0: without those parts)
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${1:-10}
connections=${2:-16}
datasets=${BENCH_DATASETS:-10000}
entities=${BENCH_ENTITIES:-100000}
upload_mb=${BENCH_UPLOAD_MB:-500}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

for project in src/CityOS.Server bench/CityOS.Bench; do dotnet build -c Release --nologo -v q "$project" >/dev/null; done
data=$(mktemp -d)
bare_port=$(free_port); port=$(free_port)
dotnet bench/CityOS.Bench/bin/Release/net10.0/CityOS.Bench.dll "$bare_port" >/dev/null 2>&1 & bare_pid=$!
dotnet src/CityOS.Server/bin/Release/net10.0/cityos.dll --host 127.0.0.1 --port "$port" --data "$data" \
  --Logging:LogLevel:Default Warning >"$data/cityos.log" 2>&1 & cityos_pid=$!
trap 'kill $bare_pid $cityos_pid 2>/dev/null || true; rm -rf "$data"' EXIT
base="http://127.0.0.1:$port"
for url in "http://127.0.0.1:$bare_port/entity/x" "$base/health"; do
  for _ in $(seq 150); do curl -sf "$url" >/dev/null && break; sleep 0.2; done
done

# wrk_run URL SCRIPT [PATH]: prints "requests/s p50_ms p99_ms errors requests"
wrk_run() {
  local script; script=$(mktemp --suffix .lua)
  cat bench/lua/threads.lua "$2" bench/lua/report.lua >"$script"
  local out; out=$(BENCH_PATH="${3:-}" wrk -t2 -c"$connections" -d"${duration}s" --timeout 5s -s "$script" "$1" 2>&1)
  rm -f "$script"
  echo "$out" | awk '/^RESULT/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    printf "%.0f %.2f %.2f %d %d\n", v["requests"] / (v["duration_us"] / 1e6), v["p50"] / 1000, v["p99"] / 1000, v["errors"] + v["non2xx"], v["requests"] }'
}

echo "creating $datasets datasets..." >&2
create_rate=$(python3 bench/catalog/seed_datasets.py "$base" "$datasets")
echo "package_search: warm-up 3 s, then ${duration}s with $connections connections..." >&2
duration_saved=$duration; duration=3; wrk_run "$base" bench/catalog/search.lua >/dev/null; duration=$duration_saved
# cpu_ms: the cityos process's user + system CPU time so far, in ms
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' /proc/$cityos_pid/stat; }
load_search=$(cut -d' ' -f1-3 /proc/loadavg)
cpu_before=$(cpu_ms)
read -r search_rps search_p50 search_p99 search_errors search_requests <<<"$(wrk_run "$base" bench/catalog/search.lua)"
search_cpu=$(python3 -c "print(f'{($(cpu_ms) - $cpu_before) / max($search_requests, 1):.2f}')")
read -r bare_rps bare_p50 bare_p99 _ <<<"$(wrk_run "http://127.0.0.1:$bare_port" bench/lua/retrieve.lua /entity/)"

rows=0; live_seconds=0; rows_per_s=0; rows_per_cpu_s=0; seed_rate=0; rss_before=0; rss_after=0; load_live=""
if [ "$entities" -gt 0 ]; then
echo "seeding $entities entities for the live CSV..." >&2
seed_rate=$(python3 bench/seed.py "$base" "$entities")
curl -sf -H 'Content-Type: application/json' -d '{"name":"sensors-live"}' "$base/api/3/action/package_create" >/dev/null
live_url=$(curl -sf -H 'Content-Type: application/json' -d '{"package_id":"sensors-live","url_type":"live","ngsi_type":"Sensor"}' \
  "$base/api/3/action/resource_create" | python3 -c 'import json, sys; print(json.load(sys.stdin)["result"]["url"])')
# Timed once cityos is idle after seeding (as profile.sh waits), after one download that warms it up.
wait_idle() { for _ in $(seq 120); do local a; a=$(cpu_ms); sleep 1; [ $(($(cpu_ms) - a)) -lt 50 ] && return; done; }
wait_idle
curl -sf -o /dev/null "$live_url"
rss_before=$(awk '/VmRSS/ {print $2}' /proc/$cityos_pid/status)
load_live=$(cut -d' ' -f1-3 /proc/loadavg)
cpu_before=$(cpu_ms)
read -r rows live_seconds <<<"$(python3 - "$live_url" <<'PY'
import sys, time, urllib.request
started = time.time()
with urllib.request.urlopen(sys.argv[1]) as response:
    lines = sum(1 for _ in response)
print(lines - 1, f"{time.time() - started:.2f}")
PY
)"
rss_after=$(awk '/VmRSS/ {print $2}' /proc/$cityos_pid/status)
rows_per_s=$(python3 -c "print(round($rows / $live_seconds))")
rows_per_cpu_s=$(python3 -c "print(round($rows * 1000 / max($(cpu_ms) - $cpu_before, 1)))")
fi

up_rate=0; down_rate=0; up_rss=""; down_rss=""; load_upload=""
if [ "$upload_mb" -gt 0 ]; then
echo "uploading and downloading a $upload_mb MB file..." >&2
curl -sf -H 'Content-Type: application/json' -d '{"name":"upload-bench"}' "$base/api/3/action/package_create" >/dev/null
load_upload=$(cut -d' ' -f1-3 /proc/loadavg)
rss0=$(awk '/VmRSS/ {print int($2 / 1024)}' /proc/$cityos_pid/status)
started=$(date +%s.%N)
file_url=$(head -c "${upload_mb}M" /dev/zero | curl -sf -X POST -T - -H 'Content-Type: application/octet-stream' \
  "$base/dataset/upload-bench/resource?filename=big.bin" | python3 -c 'import json, sys; print(json.load(sys.stdin)["result"]["url"])')
up_rate=$(python3 -c "print(round($upload_mb / ($(date +%s.%N) - $started)))")
rss1=$(awk '/VmRSS/ {print int($2 / 1024)}' /proc/$cityos_pid/status)
started=$(date +%s.%N)
curl -sf -o /dev/null "$file_url"
down_rate=$(python3 -c "print(round($upload_mb / ($(date +%s.%N) - $started)))")
rss2=$(awk '/VmRSS/ {print int($2 / 1024)}' /proc/$cityos_pid/status)
up_rss="$rss0 / $rss1 MB"; down_rss="$rss1 / $rss2 MB"
fi

{
  echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores (shared), wrk -t2 -c$connections on the same machine, ${duration}s after a 3 s warm-up."
  echo "Load average (1, 5, 15 min) at the start of each part: search $load_search; live CSV ${load_live:-not run}; file ${load_upload:-not run}."
  echo
  echo "| scenario | throughput | p50 | p99 | errors | cityos CPU | target | bare Kestrel, same run |"
  echo "|---|---|---|---|---|---|---|---|"
  echo "| package_search over $datasets datasets, random queries ($connections conn.) | $search_rps/s | $search_p50 ms | $search_p99 ms | $search_errors | $search_cpu ms a search | p99 ≤ 20 ms | $bare_rps req/s, p99 $bare_p99 ms |"
  echo "| live CSV download of $rows entities (after one warm-up download) | $rows_per_s rows/s ($live_seconds s) | | | | $rows_per_cpu_s rows a CPU second | ≥ 50,000 rows/s | |"
  echo "| resident memory before / after the live download | $((rss_before / 1024)) / $((rss_after / 1024)) MB | | | | | flat | |"
  echo "| upload of a $upload_mb MB file (streamed POST) | $up_rate MB/s | | | | | | |"
  echo "| resident memory before / after the upload | ${up_rss:-} | | | | | flat | |"
  echo "| download of the $upload_mb MB file | $down_rate MB/s | | | | | | |"
  echo "| resident memory before / after the file download | ${down_rss:-} | | | | | flat | |"
  echo "| creating datasets (package_create, 8 clients) | $create_rate datasets/s | | | | | | |"
  echo "| seeding entities (upsert, 8 clients x 100) | $seed_rate entities/s | | | | | | |"
} | tee bench/catalog/results.md
