#!/usr/bin/env bash
# HTTP load from a second process: wrk against cached `units` vector tiles (z12–z16 over the demo
# district, gzip) on the demo data, release build. Prints wrk's report (tiles/s and latency
# percentiles). The warm-up run fills the tile cache.
#   scripts/bench-tiles.sh [duration, default 15s] [connections, default 64]
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-15s}"
conns="${2:-64}"
command -v wrk >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
cargo build --release --bin wangge >&2
dir=$(mktemp -d)
port=18090
RUST_LOG=warn target/release/wangge demo --database "$dir/bench.gpkg" --listen "127.0.0.1:$port" >&2 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 300); do
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break
  sleep 0.2
done
wrk -t1 -c"$conns" -d5s -s scripts/tiles.lua "http://127.0.0.1:$port" >/dev/null # warm-up: fills the cache
wrk -t1 -c"$conns" -d"$duration" --latency -s scripts/tiles.lua "http://127.0.0.1:$port"
