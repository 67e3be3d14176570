#!/usr/bin/env bash
# Fails if a C++ file of the repository is not formatted by .clang-format (Debian's clang-format).
# Fix with: git ls-files '*.cpp' '*.hpp' | xargs clang-format -i
set -euo pipefail
cd "$(dirname "$0")/.."
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  files=$(git ls-files '*.cpp' '*.hpp')
else
  files=$(find include model tests tools bench fuzz examples -name '*.cpp' -o -name '*.hpp')
fi
# shellcheck disable=SC2086
clang-format --dry-run --Werror $files
echo "format: $(echo "$files" | wc -l) files as .clang-format says"
