#!/usr/bin/env bash
# Installs what is missing, builds ctg with warnings as errors, runs every test through CTest,
# then builds and runs the suite again under AddressSanitizer + UndefinedBehaviorSanitizer.
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
if [ "${1:-}" != "--no-sanitize" ]; then
  echo "== build and test under AddressSanitizer + UndefinedBehaviorSanitizer"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite build/sanitize -DCTG_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
fi
