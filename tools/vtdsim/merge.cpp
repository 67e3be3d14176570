// `vtdsim merge OUT IN...`: joins sweep CSVs (e.g. the shards of one sweep): same header
// required, a point present twice is an error, rows sorted by point. docs/studies.md.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>

#include "subcommands.hpp"
#include "vtdsim/study/csv_table.hpp"

namespace vtdsim::tools {

namespace {
struct MergeArgs {
  std::string out;
  std::vector<std::string> inputs;
};

void run_merge(const MergeArgs& a) {
  study::CsvTable merged;
  try {
    merged = study::merge_csv(a.inputs, "point");
  } catch (const std::runtime_error& e) {
    throw UsageError(std::string("merge: ") + e.what());
  }
  std::ofstream out(a.out, std::ios::trunc);
  if (!out) throw std::runtime_error(a.out + ": cannot create");
  study::write_csv(out, merged);
  if (!out.flush()) throw std::runtime_error(a.out + ": write error");
  std::cerr << "vtdsim merge: " << merged.rows.size() << " rows from " << a.inputs.size() << " files\n";
}
}  // namespace

void add_merge(CLI::App& app) {
  auto args = std::make_shared<MergeArgs>();
  auto* cmd = app.add_subcommand("merge", "Join sweep CSVs (shards) into one, checking headers and duplicates");
  cmd->add_option("OUT", args->out, "output CSV")->required();
  cmd->add_option("IN", args->inputs, "input CSVs")->required();
  cmd->callback([args] { run_merge(*args); });
}

}  // namespace vtdsim::tools
