#!/usr/bin/env bash
# A one-node Slurm cluster on this machine runs a 4-task `vtdsim sweep --slurm DIR --submit`;
# the merged CSV must equal a local `vtdsim sweep` of the same grid byte for byte.
# Usage: tests/slurm/run-slurm-test.sh [BUILD_DIR]   (default: build)
#
# Starts munged, slurmctld and slurmd directly (no systemd), as root, with everything in a
# temporary directory: a generated munge key, a slurm.conf with this host's CPUs and memory
# (`slurmd -C`), free TCP ports, no accounting, no cgroups (proctrack/linuxproc, task/none).
# All daemons are stopped on exit. Needs Debian's slurm-wlm and munge (tools/install-deps.sh).
# Skips (exit 0, with the reason) only when not run as root.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$here/build}" && pwd)
vtdsim="$build/vtdsim"
trace="$here/traces/qemu-linux-strict.bin.zst"
start=$(date +%s%N)
elapsed() { local ms=$((($(date +%s%N) - start) / 1000000)); printf '%d.%d s' $((ms / 1000)) $((ms % 1000 / 100)); }

if [ "$(id -u)" -ne 0 ]; then
  echo "slurm test: SKIPPED: it starts munged, slurmctld and slurmd as root on this machine; run it as root" \
       "(e.g. in the CI container) to test \`vtdsim sweep --slurm\` on a real Slurm cluster"
  exit 0
fi
for tool in munged mungekey munge slurmctld slurmd sbatch sinfo scontrol python3; do
  command -v "$tool" >/dev/null || { echo "slurm test: FAILED: $tool not found; run tools/install-deps.sh" >&2; exit 1; }
done
[ -x "$vtdsim" ] || { echo "slurm test: FAILED: $vtdsim not built" >&2; exit 1; }

work=$(mktemp -d /tmp/vtdsim-slurm.XXXXXX)
chmod 700 "$work"
export SLURM_CONF="$work/slurm.conf"
ok=0
cleanup() {
  set +e
  pids=()
  for pidfile in "$work/slurmd.pid" "$work/slurmctld.pid" "$work/munged.pid"; do
    [ -s "$pidfile" ] && pids+=("$(cat "$pidfile")")
  done
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  done
  if [ "$ok" != 1 ]; then
    for log in "$work"/*.log "$work"/job/logs/*.log; do
      [ -f "$log" ] || continue
      echo "---- $log (last 30 lines)"
      tail -n 30 "$log"
    done
  fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "slurm test: FAILED: $*" >&2; exit 1; }

# munge: a fresh key, its own socket.
mungekey --create --keyfile="$work/munge.key"
chmod 600 "$work/munge.key"
munged --key-file="$work/munge.key" --socket="$work/munge.sock" --pid-file="$work/munged.pid" \
  --log-file="$work/munged.log" --seed-file="$work/munged.seed" --force
for _ in $(seq 1 50); do [ -S "$work/munge.sock" ] && break; sleep 0.1; done
munge -n -S "$work/munge.sock" | unmunge -S "$work/munge.sock" >/dev/null || fail "munged does not answer"

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
host=$(hostname -s)
node=$(slurmd -C | head -n 1)
cpus=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$node")
mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$node")
[ -n "$cpus" ] && [ -n "$mem" ] || fail "cannot read CPUs and RealMemory from 'slurmd -C': $node"
mkdir -p "$work/state" "$work/spool"
cat >"$SLURM_CONF" <<CONF
ClusterName=vtdsimci
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$work/munge.sock
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
ReturnToService=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=ci Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld
slurmd
state=""
for _ in $(seq 1 300); do
  state=$(sinfo -h -o %t 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 0.2
done
[ "$state" = idle ] || fail "node not idle after 60 s (sinfo: '$state')"
echo "slurm test: cluster up ($host, $cpus CPUs) in $(elapsed)"

# The same grid locally and as a 4-task array.
grid=(--grid iotlb.entries=16,64,256 --grid iotlb.ways=4,full --grid iotlb.policy=lru,fifo)
"$vtdsim" sweep "$trace" "${grid[@]}" --set iotlb.organization=shared --quiet --jobs 2 --csv "$work/local.csv"
# From another directory with relative paths: the scripts must carry absolute ones.
mkdir -p "$work/cwd"
ids=$(cd "$work/cwd" && "$vtdsim" sweep "$(realpath --relative-to="$work/cwd" "$trace")" "${grid[@]}" \
  --set iotlb.organization=shared --quiet --slurm ../job --slurm-tasks 4 --slurm-time 10 --slurm-mem 256M \
  --slurm-partition ci --csv ../slurm.csv --submit)
echo "slurm test: $ids"
array=$(sed -n 's/.*array_job=\([0-9]*\).*/\1/p' <<<"$ids")
merge=$(sed -n 's/.*merge_job=\([0-9]*\).*/\1/p' <<<"$ids")
[ -n "$array" ] && [ -n "$merge" ] || fail "no job ids in '$ids'"
grep -q -- '--array=1-4' "$work/job/array.sbatch" || fail "array.sbatch is not a 4-task array"

job_state() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -n 1; }
merge_state=""
for _ in $(seq 1 600); do
  merge_state=$(job_state "$merge")
  case "$merge_state" in
    COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | DEADLINE | BOOT_FAIL) break ;;
  esac
  sleep 0.2
done
[ "$merge_state" = COMPLETED ] || fail "merge job $merge: ${merge_state:-unknown} (array job $array: $(job_state "$array"))"
for k in 1 2 3 4; do
  [ "$(job_state "${array}_$k")" = COMPLETED ] || fail "array task ${array}_$k: $(job_state "${array}_$k")"
done
cmp "$work/local.csv" "$work/slurm.csv" || fail "merged CSV differs from the local sweep"
rows=$(($(wc -l <"$work/slurm.csv") - 1))
[ "$rows" -eq 12 ] || fail "expected 12 rows, got $rows"
ok=1
echo "slurm test: PASSED: 4 array tasks + merge on a one-node Slurm cluster, $rows rows equal to the local sweep," \
     "in $(elapsed)"
