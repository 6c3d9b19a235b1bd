#!/usr/bin/env bash
# Installs what is missing, builds ctg, and starts its main job: `ctg listen` with its embedded
# defaults (127.0.0.1:3000, /contiguity/webhook, journal in $XDG_STATE_HOME/ctg/events.db).
# Extra arguments go to ctg; the built binary is build/release/apps/ctg.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DCTG_BUILD_TESTS=OFF >/dev/null
cmake --build build/release -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
if [ $# -eq 0 ]; then set -- listen; fi
exec build/release/apps/ctg "$@"
