#!/usr/bin/env bash
# HTTP load from a second process: wrk against the demo data served by the release build, one
# run per wrk script named (default: assign, the single-point assignment), all against the same
# service in the same go so that their figures compare. Prints wrk's report for each.
#   scripts/bench-http.sh [duration, default 15s] [connections, default 64] [script ...]
#   scripts/bench-http.sh 15s 64 assign nearby   # the finder beside its assignment baseline
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-15s}"
conns="${2:-64}"
shift $(( $# > 2 ? 2 : $# ))
scripts=("${@:-assign}")
command -v wrk >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
cargo build --release --bin wangge >&2
dir=$(mktemp -d)
port=18089
RUST_LOG=warn target/release/wangge demo --database "$dir/bench.gpkg" --listen "127.0.0.1:$port" >&2 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 300); do
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break
  sleep 0.2
done
for script in "${scripts[@]}"; do
  echo "== $script"
  wrk -t1 -c"$conns" -d5s -s "scripts/$script.lua" "http://127.0.0.1:$port" >/dev/null # warm-up
  wrk -t1 -c"$conns" -d"$duration" --latency -s "scripts/$script.lua" "http://127.0.0.1:$port"
done
