// SCAFFOLDING (replaced by the translation work): `vtdsim demo`.
#include <CLI/CLI.hpp>
#include <iostream>

#include "subcommands.hpp"

namespace vtdsim::tools {
void add_demo(CLI::App& app) {
  auto* cmd = app.add_subcommand("demo", "Translate a few DMA requests through a hand-built page table");
  cmd->callback([] { std::cout << "demo: not yet\n"; });
}
}  // namespace vtdsim::tools
