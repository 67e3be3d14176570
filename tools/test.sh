#!/usr/bin/env bash
# Installs dependencies, builds vtdsim twice (optimised, and with ASan+UBSan) and runs every test
# in both. Set VTDSIM_SKIP_SANITIZE=1 to run only the optimised build.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc 2>/dev/null || echo 2)
"$here/tools/install-deps.sh"

echo "== format (.clang-format)"
"$here/tools/check-format.sh"
echo "== build (RelWithDebInfo)"
"$here/tools/build.sh" "$here/build"
echo "== tests (RelWithDebInfo)"
ctest --test-dir "$here/build" --output-on-failure -j "$jobs"
echo "== Slurm: vtdsim sweep --slurm --submit on a one-node cluster (root only; else it says it skipped)"
"$here/tests/slurm/run-slurm-test.sh" "$here/build"
echo "== clang-tidy (.clang-tidy) on model/ and tools/"
"$here/tools/check-tidy.sh" "$here/build"
echo "== examples/ out of tree (installed package, and add_subdirectory)"
"$here/tools/check-examples.sh" "$here/build"

if [ "${VTDSIM_SKIP_SANITIZE:-0}" != 1 ]; then
  echo "== build (AddressSanitizer + UndefinedBehaviorSanitizer)"
  "$here/tools/build.sh" "$here/build-asan" -DVTDSIM_SANITIZE=ON -DVTDSIM_BUILD_BENCH=OFF
  echo "== tests (AddressSanitizer + UndefinedBehaviorSanitizer)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$here/build-asan" --output-on-failure -j "$jobs"
fi
