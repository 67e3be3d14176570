#!/usr/bin/env bash
# Records the real QEMU logs under traces/qemu/ (see traces/qemu/README.md): one capture per mode
# with ../shared/tools/capture-qemu-trace.sh (Debian's Linux 6.1 guest, virtio-blk + virtio-net
# behind intel-iommu, TCG), small workloads (1 MiB of disk I/O, 10 pings).
# usage: tools/record-qemu-traces.sh 7.2|10 OUTDIR [MODE...]
#   (then: zstd -19 the logs into traces/qemu/ and run tools/qemu-log-facts.py)
#   7.2 records with Debian 12's QEMU 7.2, 10 with QEMU 10.0 from bookworm-backports (the capture
#   script installs either). Without MODE, every mode of that version.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
capture=${CAPTURE:-"$here/../shared/tools/capture-qemu-trace.sh"}
version=$1; out=$2; shift 2
case "$version" in
  7.2) prefix=q72; other_aw=48 ;;
  10) prefix=q10; other_aw=39 ;;
  *) echo "record-qemu-traces: version must be 7.2 or 10" >&2; exit 2 ;;
esac
case "${KPKG:-}" in *6.12*) prefix="$prefix-l612" ;; esac  # KPKG=linux-image-6.12... (and its own WORK)
LEG="intel_iommu=on"; SM="intel_iommu=on,sm_on"
# name | kernel arguments | intel-iommu options | ACCESS_PLATFORM
modes=(
  "leg-cm-strict|$LEG iommu.strict=1|intremap=on,caching-mode=on|on"
  "leg-cm-lazy|$LEG iommu.strict=0|intremap=on,caching-mode=on|on"
  "leg-nocm-strict|$LEG iommu.strict=1|intremap=on|on"
  "leg-nocm-lazy|$LEG iommu.strict=0|intremap=on|on"
  "leg-aw$other_aw-cm-strict|$LEG iommu.strict=1|intremap=on,caching-mode=on,aw-bits=$other_aw|on"
  "leg-pt|$LEG iommu.passthrough=1|intremap=on,caching-mode=on|on"
  "leg-noplat|$LEG iommu.strict=1|intremap=on,caching-mode=on|off"
  "sm-strict|$SM iommu.strict=1|intremap=off,caching-mode=on,x-scalable-mode=on|on"
  "sm-lazy|$SM iommu.strict=0|intremap=off,caching-mode=on,x-scalable-mode=on|on"
  "sm-nocm-strict|$SM iommu.strict=1|intremap=off,x-scalable-mode=on|on"
  "sm-nocm-lazy|$SM iommu.strict=0|intremap=off,x-scalable-mode=on|on"
  "sm-pt|$SM iommu.passthrough=1|intremap=off,caching-mode=on,x-scalable-mode=on|on"
)
if [ "$version" = 10 ]; then
  modes+=("sm-flts-strict|$SM iommu.strict=1|intremap=off,caching-mode=on,x-scalable-mode=on,x-flts=on|on"
          "sm-flts-lazy|$SM iommu.strict=0|intremap=off,caching-mode=on,x-scalable-mode=on,x-flts=on|on")
fi
for m in "${modes[@]}"; do
  IFS='|' read -r name kargs opts plat <<< "$m"
  if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "$name"; then continue; fi
  echo "== $prefix-$name: '$kargs' '$opts' access_platform=$plat"
  QEMU=$version "$capture" "$out" "$prefix-$name" "$kargs" "$opts" "$plat" 1024 10
done
