#!/usr/bin/env bash
# Installs dependencies, builds vtdsim and runs the demo.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/tools/install-deps.sh"
"$here/tools/build.sh" "$here/build"
"$here/build/vtdsim" demo
