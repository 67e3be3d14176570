// Each subcommand lives in its own file and registers itself on the top-level app here.
// A subcommand's callback throws vtdsim::tools::UsageError for bad arguments or input (exit 2).
#pragma once
#include <stdexcept>
#include <string>

namespace CLI {
class App;
}

namespace vtdsim::tools {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Exit code of the running subcommand (0 unless the callback sets it).
int& exit_code();

void add_demo(CLI::App& app);
void add_replay(CLI::App& app);
void add_convert(CLI::App& app);
void add_mrc(CLI::App& app);
void add_sweep(CLI::App& app);
void add_merge(CLI::App& app);
void add_mix(CLI::App& app);
void add_pcie_bench(CLI::App& app);
#ifdef VTDSIM_HAVE_SYSTEMC
void add_run(CLI::App& app);
void add_truth_table(CLI::App& app);
#endif
}  // namespace vtdsim::tools
