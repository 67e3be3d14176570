// `vtdsim sweep --slurm DIR` without Slurm: the scripts it writes, run by bash as Slurm would run
// them (each array task with its SLURM_ARRAY_TASK_ID, then the merge), from another working
// directory, give the local sweep's CSV byte for byte; bad options are usage errors.
// tests/slurm/run-slurm-test.sh runs the same through a real one-node Slurm cluster.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace {

const std::string kBin = VTDSIM_BINARY;
const std::string kQemuBin = std::string(VTDSIM_SOURCE_DIR) + "/traces/qemu-linux-strict.bin.zst";
const std::string kGrid = " --grid iotlb.entries=6,16,64 --grid iotlb.ways=1,4,full --grid iotlb.policy=lru,plru";

std::string tmp(const std::string& name) { return ::testing::TempDir() + "vtdsim_slurm_" + name; }

int sh(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
int run(const std::string& args) { return sh(kBin + " " + args + " 2>/dev/null"); }

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(SlurmSweepCli, ScriptsRunAsArrayTasksGiveTheLocalSweep) {
  const std::string dir = tmp("job");
  const std::string elsewhere = tmp("cwd");
  ASSERT_EQ(sh("rm -rf " + dir + " " + elsewhere + " && mkdir -p " + elsewhere), 0);
  ASSERT_EQ(run("sweep " + kQemuBin + kGrid + " --set iotlb.organization=shared --jobs 2 --csv " + tmp("local.csv")),
            0);
  // 18 points in 4 tasks; written from the temp directory with relative paths.
  ASSERT_EQ(
      sh("cd " + ::testing::TempDir() + " && " + kBin + " sweep " + kQemuBin + kGrid +
         " --set iotlb.organization=shared --slurm vtdsim_slurm_job --slurm-tasks 4 --slurm-time 30 "
         "--slurm-mem 512M --slurm-partition short --sbatch=--qos=quick --csv vtdsim_slurm_merged.csv 2>/dev/null"),
      0);
  const std::string array = slurp(dir + "/array.sbatch");
  EXPECT_NE(array.find("#SBATCH --array=1-4\n"), std::string::npos) << array;
  EXPECT_NE(array.find("#SBATCH --time=30\n"), std::string::npos);
  EXPECT_NE(array.find("#SBATCH --mem=512M\n"), std::string::npos);
  EXPECT_NE(array.find("#SBATCH --partition=short\n"), std::string::npos);
  EXPECT_NE(array.find("#SBATCH --qos=quick\n"), std::string::npos);
  EXPECT_NE(array.find("#SBATCH --output=" + dir + "/logs/shard-%a.log\n"), std::string::npos);
  EXPECT_NE(array.find("--shard \"$shard/4\""), std::string::npos);
  EXPECT_NE(slurp(dir + "/merge.sbatch").find("#SBATCH --kill-on-invalid-dep=yes\n"), std::string::npos);
  EXPECT_NE(slurp(dir + "/submit.sh").find("--dependency=afterok:\"$array\""), std::string::npos);
  for (int k = 4; k >= 1; --k)  // any order, from another directory
    ASSERT_EQ(sh("cd " + elsewhere + " && SLURM_ARRAY_TASK_ID=" + std::to_string(k) + " bash " + dir +
                 "/array.sbatch 2>/dev/null"),
              0)
        << k;
  ASSERT_EQ(sh("cd " + elsewhere + " && bash " + dir + "/merge.sbatch 2>/dev/null"), 0);
  EXPECT_EQ(slurp(tmp("merged.csv")), slurp(tmp("local.csv")));
  const std::string merged = slurp(tmp("merged.csv"));
  EXPECT_EQ(std::count(merged.begin(), merged.end(), '\n'), 19);  // header + 18 points
  // Outside an array task the script says what it needs.
  EXPECT_NE(sh("bash " + dir + "/array.sbatch 2>/dev/null"), 0);
}

TEST(SlurmSweepCli, DefaultsAndFewerPointsThanTasks) {
  const std::string dir = tmp("small");
  ASSERT_EQ(run("sweep " + kQemuBin + " --grid iotlb.entries=16,64 --jobs 3 --slurm " + dir +
                " --slurm-tasks 10 --csv " + tmp("small.csv")),
            0);
  const std::string array = slurp(dir + "/array.sbatch");
  EXPECT_NE(array.find("#SBATCH --array=1-2\n"), std::string::npos) << array;  // 2 points: 2 tasks
  EXPECT_NE(array.find("#SBATCH --cpus-per-task=3\n"), std::string::npos);     // --jobs
  EXPECT_NE(array.find("#SBATCH --time=01:00:00\n"), std::string::npos);
  EXPECT_NE(array.find("#SBATCH --mem=2G\n"), std::string::npos);
  EXPECT_EQ(array.find("--partition"), std::string::npos);
  EXPECT_NE(array.find(" --jobs 3 "), std::string::npos);
}

// --submit with a stand-in sbatch on PATH that records its arguments and answers as
// `sbatch --parsable` does ("ID" or "ID;cluster").
TEST(SlurmSweepCli, SubmitChainsTheMergeAfterTheArray) {
  const std::string bin = tmp("fakebin");
  ASSERT_EQ(sh("rm -rf " + bin + " && mkdir -p " + bin), 0);
  {
    std::ofstream fake(bin + "/sbatch");
    fake << "#!/bin/bash\n"
            "echo \"$@\" >> "
         << bin
         << "/args\n"
            "n=$(wc -l < "
         << bin
         << "/args)\n"
            "if [ \"$n\" = 1 ]; then echo '41;clusterA'; else echo $((n + 40)); fi\n";
  }
  ASSERT_EQ(sh("chmod +x " + bin + "/sbatch"), 0);
  const std::string dir = tmp("submitted");
  ASSERT_EQ(sh("PATH=" + bin + ":$PATH " + kBin + " sweep " + kQemuBin + " --grid iotlb.entries=16,64 --slurm " + dir +
               " --submit --csv " + tmp("s.csv") + " > " + tmp("ids") + " 2>/dev/null"),
            0);
  EXPECT_EQ(slurp(tmp("ids")), "array_job=41 merge_job=42\n");
  EXPECT_EQ(slurp(bin + "/args"),
            "--parsable " + dir + "/array.sbatch\n--parsable --dependency=afterok:41 " + dir + "/merge.sbatch\n");
  // sbatch failing: an error (exit 1), not a usage error.
  {
    std::ofstream fake(bin + "/sbatch", std::ios::trunc);
    fake << "#!/bin/bash\necho 'sbatch: error: invalid partition' >&2\nexit 1\n";
  }
  EXPECT_EQ(sh("PATH=" + bin + ":$PATH " + kBin + " sweep " + kQemuBin + " --grid iotlb.entries=16,64 --slurm " + dir +
               " --submit --csv " + tmp("s.csv") + " >/dev/null 2>&1"),
            1);
}

TEST(SlurmSweepCli, BadOptionsAreUsageErrors) {
  const std::string base = "sweep " + kQemuBin + " --grid iotlb.entries=16,64 ";
  EXPECT_EQ(run(base + "--slurm " + tmp("e") + " --shard 1/2 --csv " + tmp("e.csv")), 2);
  EXPECT_EQ(run(base + "--slurm " + tmp("e") + " --csv -"), 2);
  EXPECT_EQ(run(base + "--slurm " + tmp("e") + " --slurm-time 1h --csv " + tmp("e.csv")), 2);
  EXPECT_EQ(run(base + "--slurm " + tmp("e") + " --slurm-mem lots --csv " + tmp("e.csv")), 2);
  EXPECT_EQ(run(base + "--slurm '" + tmp("e f") + "' --csv " + tmp("e.csv")), 2);
  EXPECT_EQ(run(base + "--slurm-tasks 4 --csv " + tmp("e.csv")), 2);  // needs --slurm
  EXPECT_EQ(run(base + "--submit --csv " + tmp("e.csv")), 2);
  EXPECT_EQ(run(base + "--slurm " + tmp("e") + " --slurm-tasks 1001 --csv " + tmp("e.csv")), 2);
}

}  // namespace
