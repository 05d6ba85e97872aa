#!/usr/bin/env bash
# Devices benchmarks (issue 22), see bench/README.md: measures/s over MQTT QoS 1 (BENCH_DEVICES devices on the built-in
# broker, history on), over HTTP (JSON on /iot/json, UltraLight on /iot/d, wrk), and a BENCH_CSV_ROWS-row CSV import
# (`cityos import`), each with cityos's resident memory before/after, its CPU time per measure (user + system from /proc,
# background work included) and the load average; the bare Kestrel endpoint (bench/CityOS.Bench) of the same run.
# Usage: bash bench/devices/run.sh [seconds=10] [connections=32]
#   BENCH_ONLY="mqtt http csv" (any of them; "external" adds MQTT on a mosquitto the agent subscribes to), BENCH_WARMUP=5, BENCH_DEVICES=1000, BENCH_INFLIGHT=1 (QoS 1 publishes in
#   flight per device), BENCH_CSV_ROWS=1000000, BENCH_PERF=1 (perf record on cityos in each measured window: CPU by assembly/library, top symbols;
#   bench/devices/perf-parts.py). Where the CPU of a measure goes inside cityos, part by part: bench/devices/parts.
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${1:-10}
connections=${2:-32}
warmup=${BENCH_WARMUP:-5}
devices=${BENCH_DEVICES:-1000}
inflight=${BENCH_INFLIGHT:-1}
rows=${BENCH_CSV_ROWS:-1000000}
only=${BENCH_ONLY:-mqtt http csv}
apikey=benchkey0000000000000000
password=bench-password
tenant=bench
out=${BENCH_OUT:-bench/devices/results.md}
for tool in wrk node sqlite3 python3; do command -v $tool >/dev/null || { echo "$tool is missing" >&2; exit 1; }; done
[ -d tests/CityOS.Devices.Tests/js/node_modules/mqtt ] || (cd tests/CityOS.Devices.Tests/js && npm ci --no-audit --no-fund >/dev/null)
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

for project in src/CityOS.Server bench/CityOS.Bench; do dotnet build -c Release --nologo -v q "$project" >/dev/null; done
data=$(mktemp -d)
bare_port=$(free_port); port=$(free_port); mqtt_port=$(free_port)
dotnet bench/CityOS.Bench/bin/Release/net10.0/CityOS.Bench.dll "$bare_port" >/dev/null 2>&1 & bare_pid=$!
# "external": a mosquitto of its own that cityos's agent subscribes to (CityOS:Devices:ExternalMqtt), devices publish there.
external=()
mosquitto_pid=
if [[ " $only " == *" external "* ]]; then
  mosquitto_port=$(free_port)
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nuser root\nmax_queued_messages 0\n' "$mosquitto_port" >"$data/mosquitto.conf"
  /usr/sbin/mosquitto -c "$data/mosquitto.conf" >"$data/mosquitto.log" 2>&1 & mosquitto_pid=$!
  external=(--CityOS:Devices:ExternalMqtt:Host 127.0.0.1 --CityOS:Devices:ExternalMqtt:Port "$mosquitto_port")
fi
DOTNET_PerfMapEnabled=${BENCH_PERF:-0} DOTNET_EnableWriteXorExecute=$((1 - ${BENCH_PERF:-0})) dotnet src/CityOS.Server/bin/Release/net10.0/cityos.dll --host 127.0.0.1 --port "$port" --data "$data" \
  --CityOS:Mqtt:Broker:Port "$mqtt_port" --Logging:LogLevel:Default Warning "${external[@]}" >"$data/cityos.log" 2>&1 & pid=$!
trap 'kill $bare_pid $pid $mosquitto_pid 2>/dev/null || true; rm -rf "$data"' EXIT
base="http://127.0.0.1:$port"
for url in "http://127.0.0.1:$bare_port/entity/x" "$base/health"; do
  for _ in $(seq 150); do curl -sf "$url" >/dev/null && break; sleep 0.2; done
done

rss() { awk '/VmRSS/ {print int($2 / 1024)}' /proc/$pid/status; }
ticks() { awk '{print $14 + $15}' /proc/$pid/stat; }
load() { cut -d' ' -f1 /proc/loadavg; }
hz=$(getconf CLK_TCK)
# Background work a scenario leaves behind (history) is billed to it: wait until cityos is idle.
wait_idle() { for _ in $(seq 120); do local a; a=$(ticks); sleep 1; [ $(($(ticks) - a)) -lt 5 ] && return; done; }
us_per() { python3 -c "print(round(($2) / $hz * 1e6 / max($1, 1)))"; }
perf_start() { [ "${BENCH_PERF:-0}" = 1 ] || return 0; perf record -F 499 -g -p $pid -o "$data/$1.perf" -- sleep "$duration" 2>/dev/null & perf_pid=$!; }
perf_report() {
  [ "${BENCH_PERF:-0}" = 1 ] || return 0
  wait "$perf_pid" || true
  echo "== perf, $1: self CPU of cityos by part" >&2
  python3 bench/devices/perf-parts.py "$data/$1.perf" >&2 || true
}
# MeasureBatcher's batches (the CityOS meter) and the GC heap during a window, with dotnet-counters when it is installed.
counters=$(command -v dotnet-counters || echo "$HOME/.dotnet/tools/dotnet-counters")
counters_start() {
  counters_pid=
  [ -x "$counters" ] || return 0
  "$counters" collect -p $pid --counters "CityOS[cityos.devices.measure_batch.size],System.Runtime[dotnet.gc.last_collection.heap.size]" --refresh-interval 1 \
    --format csv -o "$data/$1.counters.csv" --duration "00:00:$(printf %02d "$duration")" >/dev/null 2>&1 & counters_pid=$!
}
counters_report() {   # after `wait $counters_pid` (in this shell: the report runs in a subshell)
  [ -x "$counters" ] || { echo "(dotnet-counters not installed)"; return 0; }
  python3 - "$data/$1.counters.csv" <<'PY'
import collections, csv, re, sys
heap, batch = collections.defaultdict(float), collections.defaultdict(list)
try:
    for row in csv.reader(open(sys.argv[1])):
        if len(row) < 5 or row[0] == "Timestamp":
            continue
        name, value = row[2], float(row[4] or 0)
        if name.startswith("dotnet.gc.last_collection.heap.size"):
            heap[row[0]] += value   # one row per generation
        elif name.startswith("cityos.devices.measure_batch.size") and (p := re.search(r"Percentile=(\d+)", name)):
            batch[p.group(1)].append(value)
except FileNotFoundError:
    pass
parts = [f"batch p50 {sum(v) / len(v):.0f}, p95 {sum(batch['95']) / max(1, len(batch['95'])):.0f}" for v in [batch["50"]] if v]
if heap:
    parts.append(f"GC heap {sum(heap.values()) / len(heap) / 2**20:.0f} MB")
print("; ".join(parts) or "(no counters)")
PY
}
history_db="$data/temporal/tenants/$tenant.db"
history_count() {
  [ -f "$history_db" ] || { echo 0; return; }
  sqlite3 -readonly "$history_db" "PRAGMA busy_timeout=10000; SELECT count(*) FROM instances i JOIN series s ON s.id = i.series WHERE s.attribute LIKE '%temperature'" | tail -1
}

# One service group per resource (MQTT devices log in with the apikey and the group's password), BENCH_DEVICES devices
# dev0000... with t -> temperature (Number).
provision() {
  curl -sf -X POST "$base/iot/services" -H "fiware-service: $tenant" -H 'fiware-servicepath: /' -H 'Content-Type: application/json' \
    -d "{\"services\":[{\"apikey\":\"$apikey\",\"entity_type\":\"Meter\",\"resource\":\"/iot/d\",\"password\":\"$password\"},
                       {\"apikey\":\"$apikey\",\"entity_type\":\"Meter\",\"resource\":\"/iot/json\"}]}" >/dev/null
  python3 - "$base" "$tenant" "$apikey" "$devices" <<'PY'
import json, sys, urllib.request
base, tenant, apikey, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
for start in range(0, count, 500):
    devices = [{"device_id": f"dev{n:04d}", "entity_name": f"urn:ngsi-ld:Meter:dev{n:04d}", "entity_type": "Meter", "apikey": apikey,
                "attributes": [{"object_id": "t", "name": "temperature", "type": "Number"}]} for n in range(start, min(count, start + 500))]
    request = urllib.request.Request(f"{base}/iot/devices", json.dumps({"devices": devices}).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "fiware-service": tenant, "fiware-servicepath": "/"})
    urllib.request.urlopen(request).read()
PY
}
provision
rows_md=()
row() { rows_md+=("$1"); echo "$1" >&2; }

# wrk_run URL SCRIPT SECONDS [FORMAT]: prints "requests requests/s p50_ms p99_ms errors"
wrk_run() {
  local script; script=$(mktemp --suffix .lua)
  cat bench/lua/threads.lua "$2" bench/lua/report.lua >"$script"
  local result; result=$(BENCH_APIKEY=$apikey BENCH_DEVICES=$devices BENCH_FORMAT=${4:-} wrk -t2 -c"$connections" -d"${3}s" --timeout 5s -s "$script" "$1" 2>&1)
  rm -f "$script"
  echo "$result" | awk '/^RESULT/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    printf "%d %.0f %.2f %.2f %d\n", v["requests"], v["requests"] / (v["duration_us"] / 1e6), v["p50"] / 1000, v["p99"] / 1000, v["errors"] + v["non2xx"] }'
}

# mqtt_load PORT: the devices publish to the MQTT broker on PORT from two load processes (node is single-threaded) with the
# same start time (15 s to connect first); returns when the measured window begins; node_a, node_b, load_out are theirs.
mqtt_load() {
  start_ms=$(( $(date +%s%3N) + 15000 )); half=$((devices / 2)); load_out=$(mktemp)
  node bench/devices/mqtt-load.js "mqtt://127.0.0.1:$1" $apikey $password 0 $half $start_ms "$warmup" "$duration" "$inflight" >>"$load_out" &
  node_a=$!
  node bench/devices/mqtt-load.js "mqtt://127.0.0.1:$1" $apikey $password $half $((devices - half)) $start_ms "$warmup" "$duration" "$inflight" >>"$load_out" &
  node_b=$!
  sleep "$(python3 -c "import time; print(max(0, ($start_ms / 1000 + $warmup) - time.time()))")"
}

if [[ " $only " == *" mqtt "* ]]; then
  echo "MQTT: $devices devices, QoS 1, $inflight in flight each, ${warmup}s warm-up + ${duration}s..." >&2
  wait_idle
  history_before=$(history_count); rss_before=$(rss)
  mqtt_load "$mqtt_port"
  before=$(ticks); load_at=$(load); perf_start mqtt; counters_start mqtt
  sleep "$duration"
  after=$(ticks); perf_report mqtt; wait "$counters_pid" 2>/dev/null || true; batches=$(counters_report mqtt)
  wait $node_a $node_b
  wait_idle
  after_idle=$(ticks); rss_after=$(rss); history_after=$(history_count)
  read -r connected failed acked measured errors <<<"$(awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] += kv[2] } }
    END { print v["connected"] + 0, v["failed"] + 0, v["acked"] + 0, v["measured"] + 0, v["errors"] + 0 }' "$load_out")"
  rm -f "$load_out"
  recorded=$((history_after - history_before))
  [ "$recorded" -ge "$acked" ] || echo "history lost measures: $acked acknowledged, $recorded recorded" >&2
  row "| MQTT QoS 1, $connected devices ($failed refused), $inflight in flight each, built-in broker, history on | $((measured / duration))/s ($acked PUBACKs, $recorded in history, $errors errors) | $(us_per "$measured" "$after - $before") µs (window), $(us_per "$acked" "$after_idle - $before") µs (with history catch-up) | $rss_before / $rss_after MB | $load_at | ≥ 20,000/s | $batches |"
fi

if [[ " $only " == *" external "* ]]; then
  # mosquitto acknowledges at once: the throughput is what cityos committed (history instances) in the window.
  echo "MQTT on mosquitto: $devices devices, QoS 1, $inflight in flight each, ${warmup}s warm-up + ${duration}s..." >&2
  wait_idle
  rss_before=$(rss)
  mqtt_load "$mosquitto_port"
  history_before=$(history_count); before=$(ticks); load_at=$(load); counters_start external
  sleep "$duration"
  after=$(ticks); history_window=$(history_count); wait "$counters_pid" 2>/dev/null || true; batches=$(counters_report external)
  wait $node_a $node_b
  wait_idle
  rss_after=$(rss)
  read -r acked measured <<<"$(awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] += kv[2] } } END { print v["acked"] + 0, v["measured"] + 0 }' "$load_out")"
  rm -f "$load_out"
  committed=$((history_window - history_before))
  row "| MQTT QoS 1 on mosquitto (cityos subscribed as a client), $devices devices, $inflight in flight each, history on | $((committed / duration))/s committed ($((measured / duration))/s acknowledged by mosquitto, $acked PUBACKs) | $(us_per "$committed" "$after - $before") µs (window) | $rss_before / $rss_after MB | $load_at | | $batches |"
fi

if [[ " $only " == *" http "* ]]; then
  for kind in json ul; do
    echo "HTTP $kind: warm-up ${warmup}s, then ${duration}s with $connections connections..." >&2
    wrk_run "$base" bench/devices/measure.lua "$warmup" $kind >/dev/null
    wait_idle
    history_before=$(history_count); rss_before=$(rss); before=$(ticks); load_at=$(load); perf_start "http-$kind"; counters_start "http-$kind"
    read -r requests rps p50 p99 errs <<<"$(wrk_run "$base" bench/devices/measure.lua "$duration" $kind)"
    after=$(ticks); perf_report "http-$kind"; wait "$counters_pid" 2>/dev/null || true; batches=$(counters_report "http-$kind")
    wait_idle
    after_idle=$(ticks); rss_after=$(rss); history_after=$(history_count)
    recorded=$((history_after - history_before))
    [ "$recorded" -ge "$((requests - errs))" ] || echo "history lost measures: $((requests - errs)) acknowledged, $recorded recorded" >&2
    label=$([ $kind = json ] && echo "POST /iot/json {\"t\":N}" || echo "POST /iot/d t\\|N (UltraLight)")
    row "| HTTP $label, $devices devices, $connections conn., history on | $rps/s (p50 $p50 ms, p99 $p99 ms, $errs errors, $recorded in history) | $(us_per "$requests" "$after - $before") µs (window), $(us_per "$requests" "$after_idle - $before") µs (with history catch-up) | $rss_before / $rss_after MB | $load_at | ≥ 10,000/s | $batches |"
  done
  wrk_run "http://127.0.0.1:$bare_port" bench/devices/bare.lua "$warmup" >/dev/null
  load_at=$(load)
  read -r _ bare_rps _ bare_p99 _ <<<"$(wrk_run "http://127.0.0.1:$bare_port" bench/devices/bare.lua "$duration")"
  row "| bare Kestrel, POST of a measure-sized body, same run ($connections conn.) | $bare_rps req/s (p99 $bare_p99 ms) | | | $load_at | | |"
fi

if [[ " $only " == *" csv "* ]]; then
  csv="$data/gauges.csv"
  echo "CSV: writing $rows rows..." >&2
  python3 - "$csv" "$rows" <<'PY'
import random, sys
random.seed(7)
with open(sys.argv[1], "w") as f:
    f.write("code,name,temp,lat,lon\n")
    for n in range(int(sys.argv[2])):
        f.write(f"G{n:07d},gauge {n},{random.uniform(-5, 35):.2f},{35.6 + random.random() * 0.2:.5f},{139.6 + random.random() * 0.2:.5f}\n")
PY
  wait_idle
  rss_before=$(rss); before=$(ticks); load_at=$(load); peak_file=$(mktemp)
  ( peak=0; while kill -0 $pid 2>/dev/null; do r=$(rss); [ "$r" -gt "$peak" ] && peak=$r && echo $peak >"$peak_file"; sleep 0.5; done ) & sampler=$!
  started=$(date +%s.%N); perf_start csv; counters_start csv
  set +e
  report=$(dotnet src/CityOS.Server/bin/Release/net10.0/cityos.dll import "$csv" --type RiverGauge --tenant csv --url "$base" \
    --id code --attr name --attr temp:temperature:Number:CEL --lat lat --lon lon 2>"$data/import.err")
  status=$?
  set -e
  seconds=$(python3 -c "import time; print(f'{time.time() - $started:.1f}')")
  after=$(ticks); rss_after=$(rss); kill $sampler 2>/dev/null || true; peak=$(cat "$peak_file"); rm -f "$peak_file"; perf_report csv; wait "$counters_pid" 2>/dev/null || true; csv_counters=$(counters_report csv)
  echo "$report" | head -3 >&2
  [ $status -eq 0 ] || { echo "cityos import exited $status:" >&2; tail -5 "$data/import.err" >&2; }
  wait_idle
  after_idle=$(ticks); rss_idle=$(rss)
  row "| CSV import, $rows rows (\`cityos import\`, 5 columns, id + 2 attributes + point), history on | $(python3 -c "print(round($rows / $seconds))") rows/s ($seconds s, exit $status) | $(us_per "$rows" "$after - $before") µs per row (import), $(us_per "$rows" "$after_idle - $before") µs (with history catch-up) | $rss_before / $rss_after MB (peak $peak MB, $rss_idle MB once idle) | $load_at | ≥ 50,000 rows/s, flat memory | $csv_counters (first ${duration} s) |"
fi

{
  echo "Measured $(date -u +%Y-%m-%d\ %H:%M) UTC on $(nproc) cores (shared), load generators on the same machine, ${duration}s after a ${warmup}s warm-up."
  echo
  echo "| scenario | throughput | cityos CPU per measure | RSS before / after | load avg | target | MeasureBatcher batch (mean), GC heap |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows_md[@]}"
} | tee "$out"
