#!/usr/bin/env bash
# `make bench`: 1,000 sandboxes and 60 services x 4 environments, served by
# the production build (site and asset hashes beside the binary); reports
# the first-load bytes of `/`, latency of `/` under 50 connections and the
# server's peak RSS. Loopback only; bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${BENCH_PORT:-3200}
DURATION=${BENCH_DURATION:-15s}
export BERTH_DATA_DIR=target/bench-data
export BERTH_LISTEN="127.0.0.1:$PORT"
export RUST_LOG=warn
BIN=./target/release/berth

start=$(date +%s.%N)
$BIN demo init --force --services 60 --sandboxes 1000 --days 60 >/dev/null
echo "demo generated in $(echo "$(date +%s.%N) - $start" | bc) s"

$BIN serve &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
start=$(date +%s.%N)
for _ in $(seq 1 600); do
  curl -fs "http://$BERTH_LISTEN/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
echo "first snapshot (clone + index) ready in $(echo "$(date +%s.%N) - $start" | bc) s"
size=$(curl -fs "http://$BERTH_LISTEN/" | wc -c)
echo "overview page: $size bytes"

# What a browser downloads on a first visit to `/`, as sent to one that
# accepts brotli: the page, the CSS and JS it links, the JS those import
# and the wasm module.
first_load() {
  local base="http://$BERTH_LISTEN" total=0 bytes url
  local html assets
  html=$(curl -fs --compressed "$base/")
  assets=$(grep -oE '/pkg/[A-Za-z0-9_.-]+\.(css|js|wasm)' <<<"$html" | sort -u)
  for url in $(grep -E '\.js$' <<<"$assets"); do
    assets+=$'\n'$(curl -fs --compressed "$base$url" | grep -oE '__wasm_split\.[A-Za-z0-9_-]+\.js' | sort -u | sed 's|^|/pkg/|')
  done
  for url in / $(sort -u <<<"$assets"); do
    bytes=$(curl -fs -o /dev/null -H 'Accept-Encoding: br, gzip' -w '%{size_download}' "$base$url")
    printf '  %8d  %s\n' "$bytes" "$url"
    total=$((total + bytes))
  done
  echo "first load of / (Accept-Encoding: br, gzip): $total bytes ($((total / 1024)) KiB)"
}
first_load

# Latency under 50 connections; prints "label: p50 …, p99 …, req/s".
measure() {
  local label=$1; shift
  wrk -t2 -c50 -d"$DURATION" --latency "$@" "http://$BERTH_LISTEN/" > target/bench-wrk.txt
  local p50 p99 rps
  p50=$(awk '$1 == "50%" {print $2}' target/bench-wrk.txt)
  p99=$(awk '$1 == "99%" {print $2}' target/bench-wrk.txt)
  rps=$(awk '/Requests\/sec/ {print $2}' target/bench-wrk.txt)
  echo "$label: p50 $p50, p99 $p99, $rps req/s"
}

wrk -t2 -c50 -d5s "http://$BERTH_LISTEN/" >/dev/null # warm-up
echo
measure "GET / (anonymous, served from the 1 s page cache)"
# A signed-in person gets pages of their own, cached per session.
session=$(curl -fs -o /dev/null -D - -X POST "http://$BERTH_LISTEN/api/login" \
  -H "origin: http://$BERTH_LISTEN" -H "accept: text/html" --data "user=bench&next=/" \
  | awk -F'[ ;]' 'tolower($1) == "set-cookie:" {print $2}')
measure "GET / (signed in, cached per session)" -H "Cookie: $session"
# A different query string on every request misses the cache: the cost of
# rendering the page each time.
cat > target/bench-unique.lua <<'LUA'
counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, "/?n=" .. counter)
end
LUA
measure "GET /?n=<unique> (rendered every time)" -s target/bench-unique.lua
echo "server peak RSS: $(awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' /proc/$PID/status)"
