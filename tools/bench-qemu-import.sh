#!/usr/bin/env bash
# Issue #4 measurement: QEMU log import and replay speed against `zcat FILE | wc -l` (and
# `zstdcat FILE | wc -l`) on the same compressed log. Target: ratio = zcat time / vtdsim time >= 0.80.
#
# Usage: tools/bench-qemu-import.sh [-b VTDSIM_BINARY] [-n RUNS] [-r REPEAT] [-l LOG.gz]
#   -b  the vtdsim program (default: build/vtdsim, the tree tools/build.sh makes)
#   -n  timed runs of each command (default 9); the commands alternate, run by run, so both see
#       the same machine load; the reported figures are medians of wall time
#   -r  how many times the log is repeated (default 50: 830,050 lines from the shared log)
#   -l  the QEMU log to repeat (default traces/qemu-linux-strict.log.gz)
# The big log is generated in a temporary directory (removed at exit), never in the tree. Before
# timing, the replay of the big log is checked: REPEAT times the translations of the small log,
# no faults, and the same QEMU-import line counts times REPEAT.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=9
repeat=50
bin=""
log="$(cd "$(dirname "$0")/.." && pwd)/traces/qemu-linux-strict.log.gz"
while getopts "b:n:r:l:h" opt; do
  case $opt in
    b) bin=$OPTARG ;;
    n) runs=$OPTARG ;;
    r) repeat=$OPTARG ;;
    l) log=$OPTARG ;;
    *) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
[[ -n $bin ]] || bin="$here/build/vtdsim"
[[ -x $bin ]] || { echo "bench-qemu-import: no vtdsim binary (build the 'vtdsim' target or pass -b)" >&2; exit 2; }
[[ -r $log ]] || { echo "bench-qemu-import: cannot read $log (-l)" >&2; exit 2; }
for tool in zcat gzip zstd zstdcat wc bc python3; do
  command -v $tool >/dev/null || { echo "bench-qemu-import: needs $tool" >&2; exit 2; }
done
config="$here/configs/qemu-7.2.yaml"

tmp=$(mktemp -d /tmp/vtdsim-bench-qemu.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
zcat "$log" > "$tmp/one.log"
for ((i = 0; i < repeat; i++)); do cat "$tmp/one.log"; done | gzip -6 > "$tmp/big.log.gz"
zstd -q -3 -c <(zcat "$tmp/big.log.gz") > "$tmp/big.log.zst"
lines=$(zcat "$tmp/big.log.gz" | wc -l)
echo "log        $log x $repeat = $lines lines"
echo "           gzip $(stat -c %s "$tmp/big.log.gz") bytes, zstd $(stat -c %s "$tmp/big.log.zst") bytes, plain $(( $(stat -c %s "$tmp/one.log") * repeat )) bytes"
echo "vtdsim     $bin"

# Validity: the big log replays like REPEAT copies of the small one.
"$bin" replay "$tmp/one.log" --config "$config" --quiet --json "$tmp/one.json"
"$bin" replay "$tmp/big.log.gz" --config "$config" --quiet --json "$tmp/big.json"
python3 - "$tmp/one.json" "$tmp/big.json" "$repeat" <<'EOF'
import json, sys
one, big, r = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), int(sys.argv[3])
ok = True
def check(what, a, b):
    global ok
    if a != b:
        print(f"bench-qemu-import: INVALID big log: {what}: {a} != {b}", file=sys.stderr); ok = False
check("translations", big["iommu"]["translations"], r * one["iommu"]["translations"])
check("faults", big["iommu"]["faults"]["total"], 0)
check("lines", big["trace"]["qemu"]["lines"], r * one["trace"]["qemu"]["lines"])
for k, v in one["trace"]["qemu"]["used"].items():
    check("used " + k, big["trace"]["qemu"]["used"].get(k), r * v)
for k, v in one["trace"]["qemu"]["skipped"].items():
    check("skipped " + k, big["trace"]["qemu"]["skipped"].get(k), r * v)
print(f"check      replay of the big log: {big['translations']} translations "
      f"({big['iommu']['iotlb']['hits']} IOTLB hits, {big['iommu']['iotlb']['misses']} misses), 0 faults, counts = {r} x the small log")
sys.exit(0 if ok else 1)
EOF

# Wall seconds of one run of a shell command (output discarded).
wall() {
  local t0 t1
  t0=$(date +%s%N)
  bash -c "$1" >/dev/null
  t1=$(date +%s%N)
  echo "scale=4; ($t1 - $t0) / 1000000000" | bc
}
median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

measure() {  # label reference-command vtdsim-command
  local label=$1 ref=$2 sim=$3 r s
  : > "$tmp/ref.t"; : > "$tmp/sim.t"; : > "$tmp/ratio.t"
  bash -c "$ref" >/dev/null; bash -c "$sim" >/dev/null  # warm the page cache
  for ((k = 0; k < runs; k++)); do
    r=$(wall "$ref"); s=$(wall "$sim")
    echo "$r" >> "$tmp/ref.t"; echo "$s" >> "$tmp/sim.t"
    echo "scale=4; $r / $s" | bc >> "$tmp/ratio.t"
  done
  local mr ms mq
  mr=$(median < "$tmp/ref.t"); ms=$(median < "$tmp/sim.t"); mq=$(median < "$tmp/ratio.t")
  printf '%-6s reference %6.3f s   vtdsim %6.3f s   ratio %.2f (median of %d back-to-back pairs; min/max pair ratio %.2f/%.2f)\n' \
    "$label" "$mr" "$ms" "$mq" "$runs" "$(sort -g "$tmp/ratio.t" | head -n 1)" "$(sort -g "$tmp/ratio.t" | tail -n 1)"
}

echo "timing     wall time, median of $runs runs each; ratio = reference / vtdsim (target >= 0.80)"
measure gzip "zcat '$tmp/big.log.gz' | wc -l" "'$bin' replay '$tmp/big.log.gz' --config '$config' --quiet"
measure zstd "zstdcat '$tmp/big.log.zst' | wc -l" "'$bin' replay '$tmp/big.log.zst' --config '$config' --quiet"
