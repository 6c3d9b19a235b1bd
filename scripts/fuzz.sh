#!/usr/bin/env bash
# Builds ctg's fuzz targets with clang and libFuzzer (AddressSanitizer + UndefinedBehaviorSanitizer)
# in build/fuzz and runs each for SECONDS with its dictionary, one at a time, one job each. New
# inputs go to build/fuzz/runs/<target>/new; with --merge those that add coverage are merged into
# the committed corpus, tests/fuzz/corpus/<target> (-set_cover_merge=1: libFuzzer's -merge=1
# keeping a minimal set). Crashes are saved in build/fuzz/runs/<target>/ as crash-*, timeout-*,
# leak-* or oom-*. Prints, per target, the seconds run, the inputs executed and the crashes; exits
# 1 when a target crashed. See tests/fuzz/README.md.
# Usage: scripts/fuzz.sh [SECONDS] [--merge] [TARGET...]   (SECONDS defaults to 60)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
merge=no
targets=()
for arg in "$@"; do
  case "$arg" in
    --merge) merge=yes ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    ''|*[!0-9]*) targets+=("$arg") ;;
    *) seconds=$arg ;;
  esac
done
all_targets=(request_parser request_framing response_reader event_json signature url listen_config)
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  [ -f "tests/fuzz/$t.cpp" ] || { echo "fuzz: no target $t (targets: ${all_targets[*]})" >&2; exit 2; }
done

scripts/setup.sh
cxx=${CTG_FUZZ_CXX:-clang++-16}
command -v "$cxx" >/dev/null || { echo "fuzz: $cxx not found (scripts/setup.sh installs clang-16)" >&2; exit 2; }
llvm_bin=$(dirname "$(readlink -f "$(command -v "$cxx")")")
[ -x "$llvm_bin/llvm-symbolizer" ] && export ASAN_SYMBOLIZER_PATH="$llvm_bin/llvm-symbolizer"

build=build/fuzz
mkdir -p "$build"
# One run at a time owns build/fuzz (its objects and runs/); another waits here.
exec 9>"$build/.lock"
flock 9
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  # What ccache needs to cache files compiled with a precompiled header (clang).
  export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:+$CCACHE_SLOPPINESS,}pch_defines,time_macros,include_file_mtime,include_file_ctime"
fi
start=$(date +%s)
# -O1 and line tables only: fast to build, fast to run, stacks with file:line.
cmake -S . -B "$build" -DCMAKE_CXX_COMPILER="$cxx" -DCTG_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" "${launcher[@]}" >/dev/null
build_targets=()
for t in "${targets[@]}"; do build_targets+=(--target "fuzz_$t"); done
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" "${build_targets[@]}"
echo "== fuzz: built in $(( $(date +%s) - start )) s"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
summary=()
failed=0
for t in "${targets[@]}"; do
  runs="$build/runs/$t"
  rm -rf "$runs"
  mkdir -p "$runs/new"
  log="$runs/log.txt"
  inputs=(tests/fuzz/corpus/$t)
  [ -d "tests/fuzz/crashes/$t" ] && inputs+=(tests/fuzz/crashes/$t)
  echo "== fuzz: $t for $seconds s"
  status=0
  run_start=$(date +%s)
  "$build/tests/fuzz/fuzz_$t" -dict="tests/fuzz/$t.dict" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$runs/" "$runs/new" "${inputs[@]}" \
    >"$log" 2>&1 || status=$?
  executed=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  [ -n "$executed" ] || executed=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
  took=$(( $(date +%s) - run_start ))
  crashes=$(find "$runs" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'leak-*' -o -name 'oom-*' \) | wc -l)
  fresh=$(find "$runs/new" -type f | wc -l)
  if [ "$status" -ne 0 ] || [ "$crashes" -ne 0 ]; then
    failed=1
    [ "$crashes" -eq 0 ] && crashes="exit $status"
    echo "-- fuzz: $t failed; the end of $log:" >&2
    grep -E 'fuzz check failed|ERROR: |SUMMARY: |runtime error|#[0-9]+ 0x.* in ' "$log" | head -40 >&2 || tail -40 "$log" >&2
    find "$runs" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'leak-*' -o -name 'oom-*' \) \
      -exec echo "   reproducer: {}" \; >&2
  fi
  if [ "$merge" = yes ] && [ "$fresh" -gt 0 ]; then
    before=$(find "tests/fuzz/corpus/$t" -type f | wc -l)
    # A set cover of edges (not hit counts) keeps the committed corpus small: a few hundred files.
    "$build/tests/fuzz/fuzz_$t" -set_cover_merge=1 -use_counters=0 -timeout=10 "tests/fuzz/corpus/$t" "$runs/new" \
      >>"$log" 2>&1
    fresh="$fresh, merged $(( $(find "tests/fuzz/corpus/$t" -type f | wc -l) - before ))"
  fi
  summary+=("$(printf '%-16s %8s %12s %9s   %s' "$t" "$took" "${executed:-?}" "$crashes" "$fresh")")
done

echo "== fuzz: $seconds s per target"
printf '%-16s %8s %12s %9s   %s\n' target seconds executions crashes "new inputs"
printf '%s\n' "${summary[@]}"
echo "== fuzz: total $(( $(date +%s) - start )) s"
exit "$failed"
