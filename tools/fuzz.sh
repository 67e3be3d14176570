#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for a while on its committed corpus.
# Usage: tools/fuzz.sh [SECONDS_PER_TARGET]   (default 60). New inputs go to a scratch copy of
# the corpus; a crash leaves its input in build-fuzz/ and fails the run.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
dir="$here/build-fuzz"
CC=clang CXX=clang++ cmake -S "$here" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DVTDSIM_FUZZ=ON -DVTDSIM_SYSTEMC=ON -DVTDSIM_BUILD_BENCH=OFF >/dev/null
targets=$(cd "$here/fuzz" && ls *_fuzz.cpp | sed 's/\.cpp$//')
cmake --build "$dir" -j "$(nproc)" --target $targets
for t in $targets; do
  name=${t%_fuzz}
  corpus="$here/fuzz/corpus/$name"
  scratch="$dir/corpus-$name"
  rm -rf "$scratch" && mkdir -p "$scratch" "$corpus"
  cp -r "$corpus/." "$scratch/" 2>/dev/null || true
  echo "== fuzz $name for ${seconds}s"
  log="$dir/$name.log"
  # The SystemC target: LeakSanitizer reports libFuzzer's own argv copies as leaked at exit once
  # SystemC's coroutines have run (seen with clang 14, SystemC 2.3.4), so leaks are not checked
  # there; ASan and UBSan are.
  leaks=1
  [ "$name" = iommu_module ] && leaks=0
  if ! (cd "$dir" && ASAN_OPTIONS="detect_leaks=$leaks${ASAN_OPTIONS:+:$ASAN_OPTIONS}" "$dir/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
          -print_final_stats=1 -detect_leaks="$leaks" "$scratch" "$corpus" >"$log" 2>&1); then
    tail -n 60 "$log"
    echo "fuzz $name: FAILED (the crashing input is in $dir)"
    exit 1
  fi
  grep -E "stat::number_of_executed_units|stat::new_units_added" "$log" | sed "s/^/  $name /"
done
