#!/usr/bin/env bash
# Builds examples/ out of tree the two ways a platform author would, and runs each:
#   1. against the installed package (cmake --install of BUILD_DIR, then find_package(vtdsim));
#   2. with vtdsim's source tree through add_subdirectory (only the libraries are built).
# Usage: tools/check-examples.sh [BUILD_DIR]   (default build/, already built)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$here/build"}
jobs=$(nproc 2>/dev/null || echo 2)
work=$(mktemp -d /tmp/vtdsim-examples.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "== install $build into $work/prefix"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
for ex in "$here"/examples/*/; do
  name=$(basename "$ex")
  echo "== example $name against the installed package"
  cmake -S "$ex" -B "$work/$name-installed" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
  cmake --build "$work/$name-installed" -j "$jobs" >/dev/null
  "$work/$name-installed/$name"
  echo "== example $name with add_subdirectory(vtdsim)"
  cmake -S "$ex" -B "$work/$name-subdir" -DVTDSIM_SOURCE_DIR="$here" >/dev/null
  cmake --build "$work/$name-subdir" -j "$jobs" --target "$name" >/dev/null
  "$work/$name-subdir/$name"
done
echo "examples: ok"
