// `vtdsim sweep TRACE --grid KEY=V1,V2,... [--grid ...] [--config FILE] [--set KEY=VALUE]...
//  [--jobs N] [--shard K/N] --csv OUT`: replays the trace once per point of the cartesian product
// of the grids (study/sweep.hpp), in parallel, one CSV row per point. docs/studies.md.
// With --slurm DIR it runs nothing: it writes a Slurm job array of the same sweep, one shard per
// task, and a merge job after it (study/slurm_sweep_job.hpp); --submit also submits them.
#include <CLI/CLI.hpp>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sys/wait.h>
#include <thread>

#include "subcommands.hpp"
#include "vtdsim/config/config_loader.hpp"
#include "vtdsim/study/csv_table.hpp"
#include "vtdsim/study/slurm_sweep_job.hpp"
#include "vtdsim/study/sweep.hpp"
#include "vtdsim/trace/trace_open.hpp"

namespace vtdsim::tools {

namespace {

struct SweepArgs {
  std::string trace, csv, config, shard = "1/1";
  std::vector<std::string> grids, sets;
  unsigned jobs = 1;
  bool quiet = false;
  // --slurm
  std::string slurm_dir, slurm_time = "01:00:00", slurm_mem = "2G", slurm_partition, slurm_account;
  std::vector<std::string> sbatch;
  std::uint32_t slurm_tasks = 0, slurm_cpus = 0;  // 0: min(points, 100); --jobs
  bool submit = false;
  std::vector<const CLI::Option*> slurm_options;  // given only with --slurm
  const CLI::Option* shard_option = nullptr;
};

namespace fs = std::filesystem;

constexpr std::uint32_t kDefaultSlurmTasks = 100;

std::string absolute_path(const std::string& path) { return fs::absolute(path).lexically_normal().string(); }

void write_file(const fs::path& path, const std::string& text, bool executable) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) throw std::runtime_error(path.string() + ": cannot create");
  out << text;
  if (!out.flush()) throw std::runtime_error(path.string() + ": write error");
  out.close();
  if (executable)
    fs::permissions(path, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                    fs::perm_options::add);
}

// Runs `sbatch --parsable ARGS...` and returns the job id it prints.
std::string sbatch(const std::vector<std::string>& args) {
  std::string command = "sbatch --parsable";
  for (const auto& a : args) command += " " + study::shell_quote(a);
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run sbatch");
  std::string output;
  std::array<char, 256> buf{};
  while (std::fgets(buf.data(), buf.size(), pipe)) output += buf.data();
  const int status = pclose(pipe);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const int code = (status != -1 && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
    throw std::runtime_error("`" + command + "` failed (exit " + std::to_string(code) + ")" +
                             (code == 127 ? ": sbatch not found (is this a Slurm submit host?)" : ""));
  }
  return study::parse_sbatch_job_id(output);
}

void write_slurm_job(const SweepArgs& a, const std::vector<study::GridAxis>& axes) {
  if (a.shard_option->count()) throw UsageError("--shard and --slurm: the job array runs every shard (one per task)");
  if (a.csv == "-") throw UsageError("--slurm needs --csv FILE for the merged result (the merge job writes it)");
  const std::uint64_t points = study::grid_size(axes);
  study::SlurmSweepJob job;
  job.vtdsim = fs::read_symlink("/proc/self/exe").string();
  job.dir = absolute_path(a.slurm_dir);
  job.csv = absolute_path(a.csv);
  std::uint64_t tasks = a.slurm_tasks ? a.slurm_tasks : kDefaultSlurmTasks;
  if (tasks > points) {
    if (a.slurm_tasks)
      std::cerr << "vtdsim sweep: --slurm-tasks " << a.slurm_tasks << " is more than the " << points
                << " points of the grid: " << points << " tasks\n";
    tasks = points;
  }
  job.tasks = static_cast<std::uint32_t>(tasks);
  job.cpus = a.slurm_cpus ? a.slurm_cpus : a.jobs;
  job.time = a.slurm_time;
  job.mem = a.slurm_mem;
  job.partition = a.slurm_partition;
  job.account = a.slurm_account;
  job.extra = a.sbatch;
  job.sweep_args.push_back(absolute_path(a.trace));
  for (const auto& g : a.grids) {
    job.sweep_args.emplace_back("--grid");
    job.sweep_args.push_back(g);
  }
  if (!a.config.empty()) {
    job.sweep_args.emplace_back("--config");
    job.sweep_args.push_back(absolute_path(a.config));
  }
  for (const auto& s : a.sets) {
    job.sweep_args.emplace_back("--set");
    job.sweep_args.push_back(s);
  }
  if (a.quiet) job.sweep_args.emplace_back("--quiet");
  try {
    study::check_slurm_job(job);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--slurm: ") + e.what());
  }
  const fs::path dir(job.dir);
  fs::create_directories(dir / "shards");
  fs::create_directories(dir / "logs");
  write_file(dir / "array.sbatch", study::slurm_array_script(job), true);
  write_file(dir / "merge.sbatch", study::slurm_merge_script(job), true);
  write_file(dir / "submit.sh", study::slurm_submit_script(job), true);
  std::cerr << "vtdsim sweep: wrote " << job.dir << "/array.sbatch (" << job.tasks << " array tasks for " << points
            << " points), merge.sbatch and submit.sh\n";
  if (!a.submit) {
    std::cerr << "vtdsim sweep: submit with " << job.dir << "/submit.sh (or --submit); the merged CSV: " << job.csv
              << "\n";
    return;
  }
  const std::string array = sbatch({job.dir + "/array.sbatch"});
  std::string merge;
  try {
    merge = sbatch({"--dependency=afterok:" + array, job.dir + "/merge.sbatch"});
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string(e.what()) + "; array job " + array +
                             " is submitted: submit the merge with sbatch --dependency=afterok:" + array + " " +
                             job.dir + "/merge.sbatch, or scancel " + array);
  }
  std::cerr << "vtdsim sweep: submitted array job " << array << " (" << job.tasks << " tasks) and merge job " << merge
            << " (afterok:" << array << "); the merged CSV: " << job.csv << "\n";
  std::cout << "array_job=" << array << " merge_job=" << merge << "\n";
}

void run_sweep_command(const SweepArgs& a) {
  std::vector<study::GridAxis> axes;
  study::Shard shard;
  try {
    axes = study::parse_grid(a.grids);
    shard = study::parse_shard(a.shard);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  std::vector<std::string> overrides;
  for (const auto& s : a.sets) {
    const auto eq = s.find('=');
    if (eq == std::string::npos) throw UsageError("--set \"" + s + "\": expected KEY=VALUE");
    overrides.push_back(study::full_config_key(s.substr(0, eq)) + s.substr(eq));
  }
  const YAML::Node base = config::load_config_tree(a.config, overrides);
  config::check_top_level_keys(base);
  config::resolve_unit_config(base);  // the base configuration itself must be valid
  trace::open_trace(a.trace);         // fail early on an unreadable or unknown trace
  if (a.slurm_dir.empty()) {
    for (const CLI::Option* o : a.slurm_options)
      if (o->count()) throw UsageError(o->get_name() + " needs --slurm DIR");
  } else {
    write_slurm_job(a, axes);
    return;
  }

  const study::SweepPlan plan = study::plan_sweep(base, axes, shard);
  std::ofstream file;
  std::ostream* out = &std::cout;
  if (a.csv != "-") {
    file.open(a.csv, std::ios::trunc);
    if (!file) throw std::runtime_error(a.csv + ": cannot create");
    out = &file;
  }
  std::size_t done = 0, errors = 0;
  const std::string trace = a.trace;
  const auto rows = study::run_sweep(
      plan, a.jobs,
      [&trace](const config::UnitConfig& c) {
        return study::replay_point(c, [&trace] { return trace::open_trace(trace).source; });
      },
      [&](const study::SweepRow& row) {
        ++done;
        if (row.status != "ok") {
          ++errors;
          std::cerr << "vtdsim sweep: point " << row.point << " (" << study::csv_line(row.values) << "): " << row.status
                    << "\n";
        } else if (!a.quiet) {
          std::cerr << "vtdsim sweep: [" << done << "/" << plan.points.size() << "] point " << row.point << " ("
                    << study::csv_line(row.values) << "): hit rate " << row.stats.hit_rate() << "\n";
        }
      });
  *out << study::csv_line(study::sweep_csv_header(axes)) << '\n';
  for (const auto& row : rows) *out << study::csv_line(study::sweep_csv_row(row)) << '\n';
  out->flush();
  if (!*out) throw std::runtime_error(a.csv + ": write error");
  std::cerr << "vtdsim sweep: " << rows.size() << " points (shard " << shard.index << "/" << shard.count << " of "
            << study::grid_size(axes) << "), " << errors << " invalid\n";
}

}  // namespace

void add_sweep(CLI::App& app) {
  auto args = std::make_shared<SweepArgs>();
  auto* cmd = app.add_subcommand("sweep", "Replay a trace for every combination of configuration values");
  cmd->add_option("TRACE", args->trace, "trace: text, binary or QEMU vtd_* log")->required();
  cmd->add_option("--grid", args->grids, "KEY=V1,V2,... (config key in --set syntax; 'iommu.' may be left out)")
      ->required();
  cmd->add_option("--csv", args->csv, "output CSV (- = stdout)")->required();
  cmd->add_option("--config", args->config, "base configuration YAML (default: built-in defaults)");
  cmd->add_option("--set", args->sets, "override a base configuration key (KEY=VALUE)");
  cmd->add_option("--jobs,-j", args->jobs, "worker threads (each point has its own RemappingUnit)")
      ->check(CLI::Range(1u, 1024u));
  args->shard_option =
      cmd->add_option("--shard", args->shard, "run slice K of N (1-based): points with index % N == K-1");
  cmd->add_flag("--quiet,-q", args->quiet, "no per-point progress on stderr");
  cmd->add_option("--slurm", args->slurm_dir,
                  "write a Slurm job array of this sweep (one shard per task) and a merge job into DIR; run nothing");
  auto& so = args->slurm_options;
  so.push_back(cmd->add_option("--slurm-tasks", args->slurm_tasks,
                               "array tasks = shards (default: the number of points, at most 100)")
                   ->check(CLI::Range(1u, 1000u)));
  so.push_back(cmd->add_option("--slurm-time", args->slurm_time, "time limit per task (Slurm --time; 01:00:00)"));
  so.push_back(cmd->add_option("--slurm-mem", args->slurm_mem, "memory per task (Slurm --mem; 2G)"));
  so.push_back(cmd->add_option("--slurm-cpus", args->slurm_cpus, "CPUs per task = its --jobs (default: --jobs)")
                   ->check(CLI::Range(1u, 1024u)));
  so.push_back(cmd->add_option("--slurm-partition", args->slurm_partition, "Slurm partition (default: the cluster's)"));
  so.push_back(cmd->add_option("--slurm-account", args->slurm_account, "Slurm account (default: the user's)"));
  so.push_back(
      cmd->add_option("--sbatch", args->sbatch, "one more sbatch option for both jobs, e.g. --sbatch=--qos=short"));
  so.push_back(
      cmd->add_flag("--submit", args->submit, "submit the array and the merge job with sbatch, print their ids"));
  cmd->callback([args] { run_sweep_command(*args); });
}

}  // namespace vtdsim::tools
