#!/usr/bin/env bash
# Notification latency and throughput (see bench/README.md). Usage: bash bench/notifications/run.sh [seconds] [updates-per-second] [--only latency|throughput|fanout] [--warmup seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
for project in src/CityOS.Server bench/notifications; do dotnet build -c Release --nologo -v q "$project" >/dev/null; done
dotnet bench/notifications/bin/Release/net10.0/CityOS.NotifyBench.dll src/CityOS.Server/bin/Release/net10.0/cityos.dll "${1:-10}" "${2:-1000}" "${@:3}" \
  --json bench/notifications/results.json | tee bench/notifications/results.md
