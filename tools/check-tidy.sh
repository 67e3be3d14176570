#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy: bug-prone and performance checks, warnings as errors) on the
# sources of model/ and tools/ with BUILD_DIR's compile_commands.json. Usage: tools/check-tidy.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$here/build"}
jobs=$(nproc 2>/dev/null || echo 2)
log=$(mktemp)
if ! run-clang-tidy -p "$build" -j "$jobs" -quiet "$here/model/.*\.cpp|$here/tools/vtdsim/.*\.cpp" >"$log" 2>&1; then
  grep -E "(warning|error):" "$log" | sort -u
  echo "tidy: FAILED (full output in $log)"
  exit 1
fi
rm -f "$log"
echo "tidy: model/ and tools/ pass .clang-tidy"
