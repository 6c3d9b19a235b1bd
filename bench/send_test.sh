#!/usr/bin/env bash
# ctg send-test's load mode against hey and wrk, all three POSTing to nginx `return 200` on
# loopback with the same count (or, for wrk, a duration of about the same length) and concurrency,
# alternating in rounds. Prints requests/s per tool, the ratios the README quotes, and ctg's peak
# RSS for the run of --count requests (/usr/bin/time).
# Needs: nginx, hey, wrk and time (Debian packages nginx-light, hey, wrk, time).
# Usage: bench/send_test.sh [path/to/ctg] [rounds] [count] [concurrency]
set -euo pipefail
cd "$(dirname "$0")/.."
ctg=${1:-build/release/apps/ctg}
rounds=${2:-3}
count=${3:-100000}
concurrency=${4:-50}
shared=${CTG_SHARED:-../shared}
for tool in nginx hey wrk /usr/bin/time; do
  command -v $tool >/dev/null || { echo "bench: needs $tool (apt-get install nginx-light hey wrk time)" >&2; exit 2; }
done
if [ ! -x "$ctg" ]; then
  cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DCTG_BUILD_TESTS=OFF >/dev/null
  cmake --build build/release -j "$(nproc)" >/dev/null
fi
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

nginx -c "$(cd "$shared/bench" && pwd)/nginx.conf" >/dev/null 2>&1 & pids+=($!)
url=http://127.0.0.1:3100/contiguity/webhook
for _ in $(seq 100); do curl -s -o /dev/null -X POST "$url" && break; sleep 0.05; done

# The body hey and wrk send: ctg's own sample of the same type, signed once (they cannot sign each request).
"$ctg" fixtures show text.incoming.sms | tr -d '\n ' >"$work/body.json"
export CONTIGUITY_WEBHOOK_SECRET=whsec_bench_secret

printf '%-7s %-10s %12s %12s\n' round tool requests/s peak_rss_mb
for r in $(seq "$rounds"); do
  /usr/bin/time -f '%M' -o "$work/rss" "$ctg" send-test "$url" --event text.incoming.sms --count "$count" \
    --concurrency "$concurrency" --json >"$work/ctg.json" 2>/dev/null || true
  ctg_rps=$(python3 -c "import json,sys; print(round(json.load(open(sys.argv[1]))['throughput']))" "$work/ctg.json")
  rss=$(($(cat "$work/rss") / 1024))
  printf '%-7s %-10s %12s %12s\n' "$r" ctg "$ctg_rps" "$rss"
  echo "ctg $ctg_rps $rss" >>"$work/results"

  hey_rps=$(hey -n "$count" -c "$concurrency" -m POST -T application/json -D "$work/body.json" \
    -H "X-Ctg-Test: true" "$url" | awk '/Requests\/sec/ {printf "%d", $2}')
  printf '%-7s %-10s %12s\n' "$r" hey "$hey_rps"
  echo "hey $hey_rps" >>"$work/results"

  # wrk runs for as long as ctg took (at least 2 s), with the same connections.
  seconds=$(python3 -c "import json,sys; print(max(2, round(json.load(open(sys.argv[1]))['duration_ms'] / 1000)))" "$work/ctg.json")
  wrk_rps=$(wrk -t1 -c"$concurrency" -d"${seconds}s" -s "$shared/bench/post.lua" "$url" | awk '/Requests\/sec/ {printf "%d", $2}')
  printf '%-7s %-10s %12s\n' "$r" wrk "$wrk_rps"
  echo "wrk $wrk_rps" >>"$work/results"
done

python3 - "$work/results" "$count" "$concurrency" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
med = lambda name, i=1: statistics.median(float(r[i]) for r in rows if r[0] == name)
ctg, hey, wrk = med("ctg"), med("hey"), med("wrk")
print(f"\nmedian requests/s ({sys.argv[2]} requests, {sys.argv[3]} connections): ctg {ctg:.0f}, hey {hey:.0f}, wrk {wrk:.0f}")
print(f"ratio ctg/hey: {ctg / hey:.2f} (target >= 1.0)")
print(f"ratio ctg/wrk: {ctg / wrk:.2f} (target >= 0.5)")
print(f"ctg peak RSS: {max(float(r[2]) for r in rows if r[0] == 'ctg'):.0f} MB (target <= 64)")
PY
