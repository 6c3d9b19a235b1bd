#!/usr/bin/env bash
# Installs what is missing, builds ctg with warnings as errors, runs every test through CTest,
# runs each fuzz target briefly (scripts/fuzz.sh), then builds and runs the suite again under
# AddressSanitizer + UndefinedBehaviorSanitizer.
# Usage: scripts/test.sh [--no-sanitize]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

jobs=$(nproc 2>/dev/null || echo 2)
run_suite() {
  local dir=$1; shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCTG_WERROR=ON "$@"
  cmake --build "$dir" -j "$jobs"
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 120
}

echo "== build and test (warnings are errors)"
run_suite build/test
# Each fuzz target for a few seconds under libFuzzer with the sanitizers (its corpus replays under
# CTest in both suites); about three minutes, most of it building with clang (tests/fuzz/README.md).
if command -v clang++-16 >/dev/null; then
  echo "== fuzz smoke: each target for 15 s"
  scripts/fuzz.sh 15
else
  echo "== fuzz smoke skipped: clang++-16 is not installed (scripts/setup.sh installs it)"
fi
if [ "${1:-}" != "--no-sanitize" ]; then
  echo "== build and test under AddressSanitizer + UndefinedBehaviorSanitizer"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite build/sanitize -DCTG_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
fi
