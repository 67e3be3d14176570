// `vtdsim mix TRACE... --tenants N [--interleave rr|random] [--burst B] [--seed S] --out OUT`:
// one trace of N tenants sharing the IOMMU, each a copy of one input (any format vtdsim reads,
// QEMU logs included) with its own source-ids, domain-ids and host memory (study/tenant_mix.hpp).
// Replaying the mix shows what sharing one IOTLB costs (docs/studies.md).
#include <CLI/CLI.hpp>
#include <iostream>
#include <stdexcept>

#include "subcommands.hpp"
#include "trace_output.hpp"
#include "vtdsim/study/tenant_mix.hpp"
#include "vtdsim/trace/trace_error.hpp"
#include "vtdsim/trace/trace_open.hpp"

namespace vtdsim::tools {

namespace {

struct MixArgs {
  std::vector<std::string> traces;
  std::uint32_t tenants = 1;
  std::string interleave = "rr";
  std::uint32_t burst = 1;
  std::uint64_t seed = 1;
  std::string out, to;
  int level = 3;
};

void run_mix(const MixArgs& a) {
  std::vector<study::MixInput> inputs;
  for (const auto& path : a.traces) {
    try {
      trace::OpenedTrace opened = trace::open_trace(path);
      inputs.push_back(study::read_mix_input(path, *opened.source));
    } catch (const trace::TraceError& e) {
      throw UsageError(e.what());
    }
  }
  study::TenantMixOptions options;
  options.tenants = a.tenants;
  options.interleave = a.interleave == "random" ? study::Interleave::kRandom : study::Interleave::kRoundRobin;
  options.burst = a.burst;
  options.seed = a.seed;
  try {
    study::TenantMix mix(std::move(inputs), options);
    const std::uint64_t events = write_trace(mix, a.out, output_format(a.to, a.out), a.level);
    std::cerr << "vtdsim mix: " << a.tenants << " tenants, " << events << " events -> " << a.out << "\n";
    if (mix.legacy_contexts_made_scalable())
      std::cerr << "vtdsim mix: note: the inputs mix legacy and scalable-mode contexts, and one unit has one "
                   "root-table format: the legacy ones are scalable-mode second-stage contexts (stage=second, "
                   "PGTT 010b) in the mix\n";
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
}

}  // namespace

void add_mix(CLI::App& app) {
  auto args = std::make_shared<MixArgs>();
  auto* cmd = app.add_subcommand("mix", "Make one trace of N tenants sharing the IOMMU, each a copy of an input trace");
  cmd->add_option("TRACE", args->traces, "input traces (text, binary or QEMU log); tenant t copies input t mod count")
      ->required();
  cmd->add_option("--tenants,-n", args->tenants, "number of tenants")->required()->check(CLI::Range(1, 256));
  cmd->add_option("--interleave", args->interleave, "rr (round robin, default) or random")
      ->check(CLI::IsMember({"rr", "random"}));
  cmd->add_option("--burst", args->burst, "DMA events a tenant issues in a row (default 1)")
      ->check(CLI::Range(1u, 1u << 30));
  cmd->add_option("--seed", args->seed, "seed of --interleave random (default 1)");
  cmd->add_option("--out,-o", args->out, "output trace (.bin, .zst: binary; else text; - = stdout)")->required();
  cmd->add_option("--to", args->to, "output format (default: from --out's name)")
      ->check(CLI::IsMember({"text", "binary", "binary-zstd"}));
  cmd->add_option("--level", args->level, "zstd compression level")->check(CLI::Range(1, 19));
  cmd->callback([args] { run_mix(*args); });
}

}  // namespace vtdsim::tools
