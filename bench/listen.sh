#!/usr/bin/env bash
# ctg listen (signature verification and journaling on) against the platform docs' Go receiver
# (verifies and stores nothing), nginx `return 200`, and bare cpp-httplib answering 200 (the HTTP
# library ctg listen is built on, doing nothing else), with wrk on loopback, alternating in rounds.
# Prints requests/s, p99 latency and ratios, and ctg's RSS idle and under load; ctg runs twice a
# round: with its default event loops (one per two cores) and with --threads 2.
# Needs: wrk, nginx, golang-go, python3, g++ and pkg-config (Debian packages).
# Usage: bench/listen.sh [path/to/ctg] [rounds] [seconds]
# CTG_BASELINE=path/to/other/ctg adds that build to every round (e.g. the previous commit's), so
# that a change is judged against the same peers in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
ctg=${1:-build/release/apps/ctg}
rounds=${2:-3}
seconds=${3:-5}
shared=${CTG_SHARED:-../shared}
for tool in wrk nginx go python3 g++ pkg-config; do
  command -v $tool >/dev/null || { echo "bench: needs $tool (apt-get install wrk nginx-light golang-go python3 g++ pkg-config)" >&2; exit 2; }
done
if [ ! -x "$ctg" ]; then
  cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DCTG_BUILD_TESTS=OFF >/dev/null
  cmake --build build/release -j "$(nproc)" >/dev/null
fi
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

secret=whsec_bench_secret
# Unique, correctly signed events: enough that each request of a round carries a new event id.
python3 - "$work/events.tsv" "$secret" <<'PY'
import hmac, hashlib, json, sys, time
path, secret = sys.argv[1], sys.argv[2].encode()
t = int(time.time())
with open(path, "w") as out:
    for i in range(400000):
        body = json.dumps({"id": f"evt_bench{i:08d}", "type": "text.incoming.sms", "timestamp": t,
                           "api_version": "v2025.9.7",
                           "data": {"from": "+15555550123", "to": "+15555550100",
                                    "body": "Hello from the benchmark", "timestamp": t}}, separators=(",", ":"))
        sig = hmac.new(secret, f"{t}.{body}".encode(), hashlib.sha256).hexdigest()
        out.write(f"t={t},v1={sig}\t{body}\n")
PY
export CTG_BENCH_EVENTS=$work/events.tsv

go build -o "$work/go_receiver" "$shared/bench/go_receiver.go"
PORT=3200 "$work/go_receiver" >/dev/null 2>&1 & pids+=($!)
# shellcheck disable=SC2046
g++ -O2 -std=c++17 -o "$work/httplib_bare" bench/httplib_bare.cpp $(pkg-config --cflags --libs cpp-httplib) -pthread
"$work/httplib_bare" 3400 >/dev/null 2>&1 & pids+=($!)
nginx -c "$(cd "$shared/bench" && pwd)/nginx.conf" >/dev/null 2>&1 & pids+=($!)

# ctg listen: a fresh journal each round so that every round starts alike.
start_ctg() {
  rm -f "$work"/events.db*
  CONTIGUITY_WEBHOOK_SECRET=$secret "${binary:-$ctg}" listen --port 3300 --store "$work/events.db" --tolerance 0 -q "$@" \
    >/dev/null 2>&1 &
  ctg_pid=$!
  pids+=($ctg_pid)
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:3300/" && break; sleep 0.05; done
}
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

run_wrk() {  # url script -> "rps p99_ms"
  wrk -t1 -c32 -d"${seconds}s" --latency -s "$2" "$1" 2>/dev/null | awk '
    /Requests\/sec/ {rps=$2}
    /^ +99%/ {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; p99=v}
    END {print rps, p99}'
}

printf '%-7s %-14s %12s %10s %12s\n' round receiver requests/s p99_ms rss_mb
declare -A sum_rps
for r in $(seq "$rounds"); do
  start_ctg
  idle=$(rss_kb "$ctg_pid")
  read -r rps p99 < <(run_wrk http://127.0.0.1:3300/contiguity/webhook bench/listen_post.lua)
  load=$(rss_kb "$ctg_pid")
  kill "$ctg_pid"; wait "$ctg_pid" 2>/dev/null || true
  printf '%-7s %-14s %12s %10s %12s\n' "$r" "ctg listen" "$rps" "$p99" "$((load / 1024)) (idle $((idle / 1024)))"
  echo "ctg $rps $p99 $idle $load" >>"$work/results"
  # Two event loops whatever the core count (the default is one per two cores).
  start_ctg --threads 2
  read -r rps p99 < <(run_wrk http://127.0.0.1:3300/contiguity/webhook bench/listen_post.lua)
  load=$(rss_kb "$ctg_pid")
  kill "$ctg_pid"; wait "$ctg_pid" 2>/dev/null || true
  printf '%-7s %-14s %12s %10s %12s\n' "$r" "ctg --threads 2" "$rps" "$p99" "$((load / 1024))"
  echo "ctg2 $rps $p99 0 $load" >>"$work/results"
  if [ -n "${CTG_BASELINE:-}" ]; then
    binary=$CTG_BASELINE start_ctg
    read -r rps p99 < <(run_wrk http://127.0.0.1:3300/contiguity/webhook bench/listen_post.lua)
    load=$(rss_kb "$ctg_pid")
    kill "$ctg_pid"; wait "$ctg_pid" 2>/dev/null || true
    printf '%-7s %-14s %12s %10s %12s\n' "$r" "baseline ctg" "$rps" "$p99" "$((load / 1024))"
    echo "base $rps $p99 0 $load" >>"$work/results"
  fi
  read -r rps p99 < <(run_wrk http://127.0.0.1:3200/contiguity/webhook "$shared/bench/post.lua")
  printf '%-7s %-14s %12s %10s\n' "$r" "go receiver" "$rps" "$p99"
  echo "go $rps $p99" >>"$work/results"
  read -r rps p99 < <(run_wrk http://127.0.0.1:3100/contiguity/webhook "$shared/bench/post.lua")
  printf '%-7s %-14s %12s %10s\n' "$r" "nginx" "$rps" "$p99"
  echo "nginx $rps $p99" >>"$work/results"
  read -r rps p99 < <(run_wrk http://127.0.0.1:3400/contiguity/webhook bench/listen_post.lua)
  printf '%-7s %-14s %12s %10s\n' "$r" "bare httplib" "$rps" "$p99"
  echo "httplib $rps $p99" >>"$work/results"
done

python3 - "$work/results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
med = lambda name, i: statistics.median(float(r[i]) for r in rows if r[0] == name)
ctg, go, ngx, bare = med("ctg", 1), med("go", 1), med("nginx", 1), med("httplib", 1)
print(f"\nmedian requests/s: ctg {ctg:.0f}, go receiver {go:.0f}, nginx {ngx:.0f}, bare httplib {bare:.0f}")
print(f"ratio ctg/go receiver: {ctg / go:.2f} (target >= 1.0)")
print(f"ratio ctg/nginx:       {ctg / ngx:.2f}")
print(f"ratio ctg/bare httplib: {ctg / bare:.2f}; bare httplib/go receiver: {bare / go:.2f}")
print(f"ctg p99 at 32 connections: {med('ctg', 2):.2f} ms (target <= 5 ms)")
print(f"ctg --threads 2: {med('ctg2', 1):.0f} requests/s, ratio to go receiver {med('ctg2', 1) / go:.2f}, p99 {med('ctg2', 2):.2f} ms")
if any(r[0] == "base" for r in rows):
    base = med("base", 1)
    print(f"baseline ctg: {base:.0f} requests/s, ratio to go receiver {base / go:.2f}, p99 {med('base', 2):.2f} ms;"
          f" this ctg / baseline: {ctg / base:.2f}")
print(f"ctg RSS: idle {med('ctg', 3) / 1024:.1f} MB (target <= 16), under load {med('ctg', 4) / 1024:.1f} MB (target <= 64)")
PY
