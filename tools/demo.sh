#!/usr/bin/env bash
# Installs dependencies, builds vtdsim and runs the demo: the functional core on hand-built tables,
# then the SystemC platform (virtio-net + virtio-blk behind VT-d) under each guest unmap policy.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/tools/install-deps.sh"
VTDSIM_TARGETS=vtdsim "$here/tools/build.sh" "$here/build"  # only the program: no tests, no benchmarks
vtdsim="$here/build/vtdsim"
"$vtdsim" demo
for policy in strict lazy passthrough; do
  echo
  echo "=== SystemC platform, guest DMA policy: $policy  (vtdsim run configs/platform-default.yaml --set guest.dma_policy=$policy)"
  "$vtdsim" run "$here/configs/platform-default.yaml" --set "guest.dma_policy=$policy"
done
