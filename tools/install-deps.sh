#!/usr/bin/env bash
# Installs vtdsim's build and test dependencies from Debian packages, skipping what is there.
set -euo pipefail
packages=(g++ cmake make pkg-config clang libclang-rt-14-dev clang-format clang-tidy
          libsystemc-dev libgtest-dev libgmock-dev googletest libbenchmark-dev
          libyaml-cpp-dev nlohmann-json3-dev libcli11-dev
          libzstd-dev zlib1g-dev python3 python3-matplotlib
          slurm-wlm munge)  # tests/slurm/run-slurm-test.sh: a one-node Slurm cluster
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
$sudo_cmd apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
