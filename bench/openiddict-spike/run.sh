#!/usr/bin/env bash
# Issue 21's protocol-layer decision: cityos's own client_credentials token endpoint (A) and the OpenIddict spike (B)
# over the same identity.db, the same client and secret, the same ES256 key, measured interleaved A, B, A, B, ...
# because the machine is shared and its load varies. Prints a markdown table (each round, the median ratio B/A and
# the decision: >= 70 % moves the protocol layer onto OpenIddict) and writes bench/openiddict-spike/results.md/.json.
# Usage: bash bench/openiddict-spike/run.sh [rounds=5] [seconds=10] [connections=32] [warmup-seconds=10]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-5}
duration=${2:-10}
connections=${3:-32}
warmup=${4:-10}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

for project in src/CityOS.Server bench/openiddict-spike; do dotnet build -c Release --nologo -v q "$project" >/dev/null; done
cityos_dll=src/CityOS.Server/bin/Release/net10.0/cityos.dll
spike_dll=bench/openiddict-spike/bin/Release/net10.0/CityOS.Bench.OpenIddict.dll
data=$(mktemp -d)
cityos_port=5027
spike_port=5028
# One issuer for both, so cityos accepts the spike's tokens. It has a path because OpenIddict writes a bare origin
# with a trailing slash (its Uri form) and cityos compares the issuer as configured.
issuer="http://127.0.0.1:$cityos_port/cityos"
common=(--CityOS:Identity:Issuer "$issuer" --Logging:LogLevel:Default Warning)
trap 'kill ${cityos_pid:-} ${spike_pid:-} 2>/dev/null || true; rm -rf "$data"' EXIT

source bench/identity/token-run.sh
create_bench_client "$cityos_dll" "$data"

wait_healthy() { for _ in $(seq 150); do curl -sf "http://127.0.0.1:$1/health" >/dev/null && return 0; sleep 0.2; done; echo "port $1 did not answer" >&2; exit 1; }
access_token() {
  curl -sf -H "Authorization: $authorization" -d grant_type=client_credentials "http://127.0.0.1:$1/identity/v1/oauth/token" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}

dotnet $cityos_dll --host 127.0.0.1 --port $cityos_port --data "$data" "${common[@]}" --CityOS:Identity:TokenRequestsPerMinute 0 >"$data/cityos.log" 2>&1 & cityos_pid=$!
wait_healthy $cityos_port
# cityos's first token creates the ES256 key in identity.db; the spike starts after it and signs with that key.
access_token $cityos_port >/dev/null || { echo "cityos did not issue a token" >&2; exit 1; }
dotnet $spike_dll --urls "http://127.0.0.1:$spike_port" --CityOS:DataDirectory "$data" "${common[@]}" >"$data/spike.log" 2>&1 & spike_pid=$!
wait_healthy $spike_port
spike_token=$(access_token $spike_port) || { echo "the spike did not issue a token" >&2; cat "$data/spike.log" >&2; exit 1; }
# Like for like: cityos's own validator accepts the spike's token (key, issuer, audience, at+jwt, client_id, tenants).
curl -sf -H "Authorization: $authorization" --data-urlencode "token=$spike_token" "http://127.0.0.1:$cityos_port/identity/v1/oauth/introspect" |
  grep -q '"active":true' || { echo "cityos does not accept the spike's token" >&2; exit 1; }

ticks_per_second=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
echo "warming up both endpoints (${warmup} s each)..." >&2
token_run "$warmup" "http://127.0.0.1:$cityos_port" >/dev/null
token_run "$warmup" "http://127.0.0.1:$spike_port" >/dev/null

# One line per run: round side tokens/s p50 p99 errors server-CPU-µs-per-token load-average-1min-before
: >"$data/runs.txt"
for round in $(seq "$rounds"); do
  for side in cityos openiddict; do
    if [ $side = cityos ]; then pid=$cityos_pid port=$cityos_port; else pid=$spike_pid port=$spike_port; fi
    load=$(cut -d' ' -f1 /proc/loadavg)
    before=$(cpu_ticks $pid)
    echo "round $round/$rounds: $side, ${duration}s with $connections connections (load $load)..." >&2
    read -r rps p50 p99 errors requests <<<"$(token_run "$duration" "http://127.0.0.1:$port")"
    after=$(cpu_ticks $pid)
    echo "$round $side $rps $p50 $p99 $errors $(( (after - before) * 1000000 / ticks_per_second / (requests > 0 ? requests : 1) )) $load" >>"$data/runs.txt"
  done
done
rss_cityos=$(awk '/VmRSS/ { print int($2 / 1024) }' /proc/$cityos_pid/status)
rss_spike=$(awk '/VmRSS/ { print int($2 / 1024) }' /proc/$spike_pid/status)

python3 - "$data/runs.txt" "$duration" "$connections" "$warmup" "$rss_cityos" "$rss_spike" "$(nproc)" \
  bench/openiddict-spike/results.md bench/openiddict-spike/results.json <<'PY'
import datetime, json, statistics, sys
runs_file, duration, connections, warmup, rss_cityos, rss_spike, cores, md_file, json_file = sys.argv[1:]
names = ["round", "side", "rps", "p50_ms", "p99_ms", "errors", "cpu_us_per_token", "load_1min"]
runs = [dict(zip(names, line.split())) for line in open(runs_file) if line.strip()]
rounds = []
for number in sorted({int(r["round"]) for r in runs}):
    a = next(r for r in runs if int(r["round"]) == number and r["side"] == "cityos")
    b = next(r for r in runs if int(r["round"]) == number and r["side"] == "openiddict")
    rounds.append({"round": number, "cityos": a, "openiddict": b, "ratio": float(b["rps"]) / float(a["rps"])})
median_ratio = statistics.median(r["ratio"] for r in rounds)
decision = "move the protocol layer onto OpenIddict" if median_ratio >= 0.70 else "keep the own protocol layer"
lines = [
    f"Measured {datetime.date.today()} on {cores} cores, wrk -t2 -c{connections} on the same machine, {duration} s per run, "
    f"interleaved cityos (A) / OpenIddict spike (B) after {warmup} s of warm-up each; load = 1-minute load average just before each run.",
    "",
    "| round | load | A: cityos tokens/s | A p50 / p99 | A CPU/token | B: OpenIddict tokens/s | B p50 / p99 | B CPU/token | B/A | errors A/B |",
    "|---|---|---|---|---|---|---|---|---|---|",
]
for r in rounds:
    a, b = r["cityos"], r["openiddict"]
    lines.append(f"| {r['round']} | {a['load_1min']} / {b['load_1min']} | {a['rps']} | {a['p50_ms']} / {a['p99_ms']} ms | {a['cpu_us_per_token']} µs "
                 f"| {b['rps']} | {b['p50_ms']} / {b['p99_ms']} ms | {b['cpu_us_per_token']} µs | {r['ratio']:.0%} | {a['errors']} / {b['errors']} |")
lines += ["", f"Median ratio B/A: **{median_ratio:.0%}** (threshold 70 %): {decision}. "
          f"Resident memory after the runs: cityos {rss_cityos} MB (whole server), spike {rss_spike} MB."]
open(md_file, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
json.dump({"rounds": rounds, "median_ratio": median_ratio, "decision": decision,
           "rss_mb": {"cityos": int(rss_cityos), "openiddict": int(rss_spike)}}, open(json_file, "w"), indent=2)
PY
