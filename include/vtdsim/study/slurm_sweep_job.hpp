// A sweep as a Slurm job array (docs/studies.md, "On a Slurm cluster"): the batch scripts that
// `vtdsim sweep --slurm DIR` writes.
//   DIR/array.sbatch   one array task per shard: task K of N (--array=1-N, SLURM_ARRAY_TASK_ID = K)
//                      runs `vtdsim sweep ... --shard K/N --csv DIR/shards/shard-K.csv`; shard K is
//                      the points whose index % N == K - 1 (sweep_grid.hpp), the same 1-based K;
//   DIR/merge.sbatch   `vtdsim merge OUT DIR/shards/shard-1.csv ... shard-N.csv`, submitted with
//                      --dependency=afterok:<array job id> (and --kill-on-invalid-dep=yes, so a
//                      failed shard cancels it instead of leaving it pending);
//   DIR/submit.sh      the two sbatch calls, for submitting by hand (what --submit does).
// merge sorts rows by point and writes the sweep's own CSV format, so OUT is byte for byte the CSV
// that one local `vtdsim sweep` of the same grid writes.
// Every path in the scripts is absolute (the jobs run from any working directory, on any node
// that sees the same file system); arguments are single-quoted for the shell.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace vtdsim::study {

struct SlurmSweepJob {
  std::string vtdsim;                   // absolute path of the vtdsim program
  std::vector<std::string> sweep_args;  // `vtdsim sweep` arguments but --jobs/--shard/--csv (absolute paths)
  std::string dir;                      // absolute: scripts, shards/, logs/
  std::string csv;                      // absolute: the merged CSV
  std::uint32_t tasks = 1;              // N: array tasks = shards
  std::uint32_t cpus = 1;               // --cpus-per-task, and the sweep's --jobs
  std::string time = "01:00:00";        // --time of each task and of the merge
  std::string mem = "2G";               // --mem of each task and of the merge
  std::string partition;                // --partition (empty: the cluster's default)
  std::string account;                  // --account (empty: the user's default)
  std::vector<std::string> extra;       // more #SBATCH options, as given ("--qos=short")
};

// Throws std::invalid_argument naming the field when a path is not absolute, a path or option
// holds characters a #SBATCH line cannot carry (white space, quotes, '%', '\'), tasks or cpus is
// 0, tasks exceeds 1000 (Slurm's default MaxArraySize is 1001), or time / mem are not in Slurm's
// formats ([D-]HH:MM:SS and the like; a number with an optional K, M, G or T).
void check_slurm_job(const SlurmSweepJob& job);

std::string shell_quote(const std::string& word);                            // 'word', ' as '\''
std::string slurm_shard_csv(const SlurmSweepJob& job, std::uint32_t shard);  // DIR/shards/shard-K.csv
std::string slurm_array_script(const SlurmSweepJob& job);
std::string slurm_merge_script(const SlurmSweepJob& job);
std::string slurm_submit_script(const SlurmSweepJob& job);

// The job id in `sbatch --parsable` output ("123" or "123;cluster", a newline after it).
// Throws std::runtime_error when the output is not that.
std::string parse_sbatch_job_id(const std::string& output);

}  // namespace vtdsim::study
