#!/usr/bin/env bash
# Configures and builds one build tree. Usage: tools/build.sh [BUILD_DIR] [extra cmake args...]
# VTDSIM_TARGETS="vtdsim ..." builds only those targets (the demo needs only the program).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-"$here/build"}
shift || true
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S "$here" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
if [ -n "${VTDSIM_TARGETS:-}" ]; then
  # shellcheck disable=SC2086
  cmake --build "$dir" -j "$jobs" --target $VTDSIM_TARGETS
else
  cmake --build "$dir" -j "$jobs"
fi
