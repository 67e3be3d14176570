#include "vtdsim/study/slurm_sweep_job.hpp"

#include <sstream>
#include <stdexcept>

namespace vtdsim::study {

namespace {

constexpr std::uint32_t kMaxArrayTasks = 1000;  // Slurm's default MaxArraySize (1001): indices up to 1000

bool sbatch_safe(const std::string& s) { return s.find_first_of(" \t\r\n'\"%\\") == std::string::npos; }

void check_path(const std::string& field, const std::string& path) {
  if (path.empty() || path.front() != '/')
    throw std::invalid_argument(field + " \"" + path + "\" must be an absolute path");
  if (!sbatch_safe(path))
    throw std::invalid_argument(field + " \"" + path +
                                "\": white space, quotes, '%' and '\\' cannot appear in #SBATCH lines; use a plain "
                                "path");
}

// Slurm --time: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS, or UNLIMITED / INFINITE.
bool slurm_time(const std::string& t) {
  if (t == "UNLIMITED" || t == "INFINITE") return true;
  if (t.empty() || t.find_first_not_of("0123456789:-") != std::string::npos) return false;
  const auto dash = t.find('-');
  if (dash != std::string::npos && (dash == 0 || t.find('-', dash + 1) != std::string::npos)) return false;
  std::size_t colons = 0;
  for (char c : t) colons += c == ':';
  if (colons > 2) return false;
  // No empty field between separators.
  for (std::size_t i = 0; i + 1 < t.size(); ++i)
    if ((t[i] == ':' || t[i] == '-') && (t[i + 1] == ':' || t[i + 1] == '-')) return false;
  return t.back() != ':' && t.back() != '-';
}

// Slurm --mem: a number with an optional K, M, G or T suffix (default unit MiB).
bool slurm_mem(const std::string& m) {
  if (m.empty()) return false;
  std::size_t digits = m.find_first_not_of("0123456789");
  if (digits == 0) return false;
  if (digits == std::string::npos) return true;
  return digits + 1 == m.size() && std::string("KMGTkmgt").find(m[digits]) != std::string::npos;
}

void sbatch_lines(std::ostringstream& s, const SlurmSweepJob& job) {
  s << "#SBATCH --ntasks=1\n";
  s << "#SBATCH --cpus-per-task=" << job.cpus << "\n";
  s << "#SBATCH --mem=" << job.mem << "\n";
  s << "#SBATCH --time=" << job.time << "\n";
  if (!job.partition.empty()) s << "#SBATCH --partition=" << job.partition << "\n";
  if (!job.account.empty()) s << "#SBATCH --account=" << job.account << "\n";
  for (const auto& e : job.extra) s << "#SBATCH " << e << "\n";
}

}  // namespace

void check_slurm_job(const SlurmSweepJob& job) {
  check_path("the vtdsim program", job.vtdsim);
  check_path("--slurm directory", job.dir);
  check_path("--csv", job.csv);
  if (job.tasks == 0 || job.tasks > kMaxArrayTasks)
    throw std::invalid_argument("--slurm-tasks " + std::to_string(job.tasks) + ": must be 1.." +
                                std::to_string(kMaxArrayTasks) + " (Slurm's default MaxArraySize)");
  if (job.cpus == 0) throw std::invalid_argument("--slurm-cpus must be > 0");
  if (!slurm_time(job.time))
    throw std::invalid_argument("--slurm-time \"" + job.time +
                                "\": expected Slurm's format, e.g. 30 (minutes), 02:00:00 or 1-00:00:00");
  if (!slurm_mem(job.mem))
    throw std::invalid_argument("--slurm-mem \"" + job.mem + "\": expected a size such as 512M or 4G");
  if (!sbatch_safe(job.partition)) throw std::invalid_argument("--slurm-partition \"" + job.partition + "\": bad name");
  if (!sbatch_safe(job.account)) throw std::invalid_argument("--slurm-account \"" + job.account + "\": bad name");
  for (const auto& e : job.extra) {
    if (e.rfind("--", 0) != 0 || e.size() < 3 || !sbatch_safe(e))
      throw std::invalid_argument("--sbatch \"" + e +
                                  "\": expected one sbatch option such as --qos=short (no white space or quotes)");
  }
}

std::string shell_quote(const std::string& word) {
  std::string out = "'";
  for (char c : word) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  out += '\'';
  return out;
}

std::string slurm_shard_csv(const SlurmSweepJob& job, std::uint32_t shard) {
  return job.dir + "/shards/shard-" + std::to_string(shard) + ".csv";
}

std::string slurm_array_script(const SlurmSweepJob& job) {
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# vtdsim sweep as a Slurm job array, written by `vtdsim sweep --slurm` (docs/studies.md).\n"
    << "# Array task K of " << job.tasks << " runs shard K/" << job.tasks << " of the grid (points with index % "
    << job.tasks << " == K - 1);\n"
    << "# merge.sbatch joins the shards once every task has succeeded.\n"
    << "#SBATCH --job-name=vtdsim-sweep\n"
    << "#SBATCH --array=1-" << job.tasks << "\n"
    << "#SBATCH --output=" << job.dir << "/logs/shard-%a.log\n";
  sbatch_lines(s, job);
  s << "set -euo pipefail\n"
    << "shard=${SLURM_ARRAY_TASK_ID:?run as a Slurm array task: sbatch array.sbatch}\n"
    << "exec " << shell_quote(job.vtdsim) << " sweep";
  for (const auto& a : job.sweep_args) s << ' ' << shell_quote(a);
  s << " --jobs " << job.cpus << " --shard \"$shard/" << job.tasks << "\" --csv "
    << shell_quote(job.dir + "/shards/shard-") << "\"$shard\"" << shell_quote(".csv") << "\n";
  return s.str();
}

std::string slurm_merge_script(const SlurmSweepJob& job) {
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# Joins the shards of array.sbatch into one CSV, written by `vtdsim sweep --slurm` (docs/studies.md).\n"
    << "# Submitted with --dependency=afterok:<array job id>.\n"
    << "#SBATCH --job-name=vtdsim-merge\n"
    << "#SBATCH --output=" << job.dir << "/logs/merge.log\n"
    << "#SBATCH --kill-on-invalid-dep=yes\n";
  SlurmSweepJob one = job;
  one.cpus = 1;
  sbatch_lines(s, one);
  s << "set -euo pipefail\n"
    << "exec " << shell_quote(job.vtdsim) << " merge " << shell_quote(job.csv);
  for (std::uint32_t k = 1; k <= job.tasks; ++k) s << " \\\n  " << shell_quote(slurm_shard_csv(job, k));
  s << "\n";
  return s.str();
}

std::string slurm_submit_script(const SlurmSweepJob& job) {
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# Submits the sweep's job array and its merge job (what `vtdsim sweep --slurm DIR --submit` does).\n"
    << "set -euo pipefail\n"
    << "array=$(sbatch --parsable " << shell_quote(job.dir + "/array.sbatch") << ")\n"
    << "array=${array%%;*}\n"
    << "merge=$(sbatch --parsable --dependency=afterok:\"$array\" " << shell_quote(job.dir + "/merge.sbatch") << ")\n"
    << "merge=${merge%%;*}\n"
    << "echo \"array job $array (" << job.tasks << " tasks), merge job $merge: " << job.csv << "\"\n";
  return s.str();
}

std::string parse_sbatch_job_id(const std::string& output) {
  std::string line = output;
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  std::string id = line.substr(0, line.find(';'));
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
    throw std::runtime_error("sbatch --parsable printed \"" + line + "\", not a job id");
  return id;
}

}  // namespace vtdsim::study
