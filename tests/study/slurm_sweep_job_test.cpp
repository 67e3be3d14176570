// The Slurm scripts of `vtdsim sweep --slurm`: exact text of the array and merge scripts, shell
// quoting, sbatch --parsable output, and the option checks.
#include <gtest/gtest.h>

#include <stdexcept>

#include "vtdsim/study/slurm_sweep_job.hpp"

namespace vtdsim::study {
namespace {

SlurmSweepJob job() {
  SlurmSweepJob j;
  j.vtdsim = "/opt/vtdsim/bin/vtdsim";
  j.sweep_args = {"/data/t.bin", "--grid", "iotlb.entries=16,64", "--set", "iotlb.policy=lru"};
  j.dir = "/scratch/job";
  j.csv = "/scratch/out.csv";
  j.tasks = 2;
  j.cpus = 2;
  return j;
}

TEST(SlurmSweepJob, ArrayScriptRunsShardKOfN) {
  EXPECT_EQ(slurm_array_script(job()),
            "#!/bin/bash\n"
            "# vtdsim sweep as a Slurm job array, written by `vtdsim sweep --slurm` (docs/studies.md).\n"
            "# Array task K of 2 runs shard K/2 of the grid (points with index % 2 == K - 1);\n"
            "# merge.sbatch joins the shards once every task has succeeded.\n"
            "#SBATCH --job-name=vtdsim-sweep\n"
            "#SBATCH --array=1-2\n"
            "#SBATCH --output=/scratch/job/logs/shard-%a.log\n"
            "#SBATCH --ntasks=1\n"
            "#SBATCH --cpus-per-task=2\n"
            "#SBATCH --mem=2G\n"
            "#SBATCH --time=01:00:00\n"
            "set -euo pipefail\n"
            "shard=${SLURM_ARRAY_TASK_ID:?run as a Slurm array task: sbatch array.sbatch}\n"
            "exec '/opt/vtdsim/bin/vtdsim' sweep '/data/t.bin' '--grid' 'iotlb.entries=16,64' '--set' "
            "'iotlb.policy=lru' --jobs 2 --shard \"$shard/2\" --csv '/scratch/job/shards/shard-'\"$shard\"'.csv'\n");
}

TEST(SlurmSweepJob, MergeScriptJoinsEveryShard) {
  SlurmSweepJob j = job();
  j.partition = "short";
  j.extra = {"--qos=quick"};
  EXPECT_EQ(slurm_merge_script(j),
            "#!/bin/bash\n"
            "# Joins the shards of array.sbatch into one CSV, written by `vtdsim sweep --slurm` (docs/studies.md).\n"
            "# Submitted with --dependency=afterok:<array job id>.\n"
            "#SBATCH --job-name=vtdsim-merge\n"
            "#SBATCH --output=/scratch/job/logs/merge.log\n"
            "#SBATCH --kill-on-invalid-dep=yes\n"
            "#SBATCH --ntasks=1\n"
            "#SBATCH --cpus-per-task=1\n"
            "#SBATCH --mem=2G\n"
            "#SBATCH --time=01:00:00\n"
            "#SBATCH --partition=short\n"
            "#SBATCH --qos=quick\n"
            "set -euo pipefail\n"
            "exec '/opt/vtdsim/bin/vtdsim' merge '/scratch/out.csv' \\\n"
            "  '/scratch/job/shards/shard-1.csv' \\\n"
            "  '/scratch/job/shards/shard-2.csv'\n");
  EXPECT_EQ(slurm_shard_csv(j, 7), "/scratch/job/shards/shard-7.csv");
}

TEST(SlurmSweepJob, ShellQuoteAndJobIds) {
  EXPECT_EQ(shell_quote("a b"), "'a b'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote("$HOME"), "'$HOME'");
  EXPECT_EQ(parse_sbatch_job_id("1234\n"), "1234");
  EXPECT_EQ(parse_sbatch_job_id("77;cluster2\n"), "77");
  EXPECT_THROW(parse_sbatch_job_id("Submitted batch job 5\n"), std::runtime_error);
  EXPECT_THROW(parse_sbatch_job_id(""), std::runtime_error);
}

TEST(SlurmSweepJob, ChecksPathsAndSlurmFormats) {
  EXPECT_NO_THROW(check_slurm_job(job()));
  auto bad = [](auto change) {
    SlurmSweepJob j = job();
    change(j);
    EXPECT_THROW(check_slurm_job(j), std::invalid_argument);
  };
  bad([](SlurmSweepJob& j) { j.dir = "relative/dir"; });
  bad([](SlurmSweepJob& j) { j.csv = "/with space.csv"; });
  bad([](SlurmSweepJob& j) { j.dir = "/100%"; });
  bad([](SlurmSweepJob& j) { j.tasks = 0; });
  bad([](SlurmSweepJob& j) { j.tasks = 1001; });
  bad([](SlurmSweepJob& j) { j.cpus = 0; });
  bad([](SlurmSweepJob& j) { j.time = "1h"; });
  bad([](SlurmSweepJob& j) { j.time = "1:"; });
  bad([](SlurmSweepJob& j) { j.time = "1:2:3:4"; });
  bad([](SlurmSweepJob& j) { j.mem = "G"; });
  bad([](SlurmSweepJob& j) { j.mem = "4GB"; });
  bad([](SlurmSweepJob& j) { j.extra = {"qos=short"}; });
  bad([](SlurmSweepJob& j) { j.partition = "a b"; });
  for (const char* t : {"30", "10:00", "02:00:00", "1-00:00:00", "2-12", "UNLIMITED"}) {
    SlurmSweepJob j = job();
    j.time = t;
    EXPECT_NO_THROW(check_slurm_job(j)) << t;
  }
  for (const char* m : {"512", "512M", "4G", "1T"}) {
    SlurmSweepJob j = job();
    j.mem = m;
    EXPECT_NO_THROW(check_slurm_job(j)) << m;
  }
}

}  // namespace
}  // namespace vtdsim::study
