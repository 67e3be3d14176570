// vtdsim: command-line entry point. Errors go to stderr; exit 2 for bad arguments or input.
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "subcommands.hpp"

namespace vtdsim::tools {
int& exit_code() {
  static int code = 0;
  return code;
}
}  // namespace vtdsim::tools

// NOLINTNEXTLINE(bugprone-exception-escape): only std::bad_alloc can leave main, and should end it.
int main(int argc, char** argv) {
  using namespace vtdsim::tools;
  CLI::App app{"vtdsim: a cycle-approximate Intel VT-d IOMMU model with virtio-pci devices"};
  app.set_version_flag("--version", std::string("vtdsim ") + VTDSIM_VERSION);
  app.require_subcommand(1);
  add_demo(app);
  add_replay(app);
#ifdef VTDSIM_HAVE_SYSTEMC
  add_run(app);
  add_truth_table(app);
#endif
  add_convert(app);
  add_mrc(app);
  add_sweep(app);
  add_merge(app);
  add_mix(app);
  add_pcie_bench(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "vtdsim: " << e.what() << "\n(run 'vtdsim --help' for usage)\n";
    return 2;
  } catch (const UsageError& e) {
    std::cerr << "vtdsim: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "vtdsim: error: " << e.what() << "\n";
    return 1;
  }
  return exit_code();
}
