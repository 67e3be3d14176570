#!/usr/bin/env bash
# The translation-stage study (docs/studies.md "Second stage, first stage or nested"): one workload
# (configs/platform-default.yaml, strict), DMA domains with second-stage or first-stage tables
# (guest.translation_stage; the unit offers FLTS), or first-stage tables nested on a host second
# stage with 2 MiB or 4 KiB pages (platform.nested; the unit offers NEST), paging-structure caches
# on and off. Prints a CSV: walk memory reads (all, and split by stage) and mean translation
# latency per translation.
#   tools/stage-study.sh [VTDSIM] > stage-study.csv; tools/plot_stage_study.py stage-study.csv OUT.png
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
vtdsim=${1:-"$here/build/vtdsim"}
json=$(mktemp)
trap 'rm -f "$json"' EXIT
echo "stage,psc,translations,walks,walk_reads,reads_per_translation,reads_per_walk,mean_latency_ns,walk_writes,table_reads_per_translation,first_stage_reads_per_translation,second_stage_reads_per_translation"
for stage in second first nested-2m nested-4k; do
  for psc in on off; do
    sets=(--set iommu.cap.flts=true --set guest.dma_policy=strict)
    case $stage in
      nested-*) sets+=(--set iommu.cap.nest=true --set platform.nested.host_page_size=${stage#nested-}) ;;
      *) sets+=(--set guest.translation_stage=$stage) ;;
    esac
    if [ "$psc" = off ]; then
      for level in pde pdpe pml4e pml5e; do sets+=(--set iommu.psc.$level.enabled=false); done
    fi
    "$vtdsim" run "$here/configs/platform-default.yaml" "${sets[@]}" --json "$json" --quiet 2>/dev/null
    /usr/bin/python3 - "$json" "$stage" "$psc" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
io = j["iommu"]
t, w, r = io["translations"], io["walks"], io["walk"]["reads"]["total"]
ghz = j["config"]["iommu"]["timing"]["clock_ghz"]
by = io["walk"]["by_stage"]
print("%s,%s,%d,%d,%d,%.3f,%.2f,%.1f,%d,%.3f,%.3f,%.3f" % (
    sys.argv[2], sys.argv[3], t, w, r, r / t, r / max(w, 1), io["latency"]["mean"] / ghz, io.get("walk_writes", 0),
    by["tables"]["per_translation"], by["first_stage"]["per_translation"], by["second_stage"]["per_translation"]))
PY
  done
done
