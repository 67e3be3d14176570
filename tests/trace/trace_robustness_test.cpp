// Mutated inputs (deterministic seed) through the text reader, the QEMU importer, the replayer and
// the config loader: every outcome is an event, a TraceError/ConfigError, or a table rejection —
// never a crash or a hang.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "support/trace_test_util.hpp"
#include "vtdsim/config/config_loader.hpp"
#include "vtdsim/trace/qemu_log_importer.hpp"
#include "vtdsim/trace/replayer.hpp"
#include "vtdsim/trace/text_trace.hpp"
#include "vtdsim/trace/trace_error.hpp"

using namespace vtdsim;
using namespace vtdsim::trace;
using vtdsim::testutil::TempFile;

namespace {

std::string mutate(std::string s, std::mt19937_64& rng) {
  const char alphabet[] = "0123456789abcdefx:.= -#\t\nrwgpmaskdevioaq_";
  const int edits = 1 + static_cast<int>(rng() % 6);
  for (int i = 0; i < edits && !s.empty(); ++i) {
    const std::size_t at = rng() % s.size();
    switch (rng() % 4) {
      case 0: s[at] = alphabet[rng() % (sizeof alphabet - 1)]; break;
      case 1: s.erase(at, 1 + rng() % 8); break;
      case 2: s.insert(at, std::string(1 + rng() % 3, alphabet[rng() % (sizeof alphabet - 1)])); break;
      case 3: s.insert(at, "ffffffffffffffffffff"); break;
    }
  }
  return s;
}

// Replays `path` with skip_bad; counts what happened.
std::uint64_t replay_skipping(const std::string& path, bool qemu) {
  ReplayOptions o;
  o.skip_bad = true;
  Replayer r(config::UnitConfig{}, o);
  if (qemu) {
    // The importer throws on malformed used lines; skip them like the replayer does.
    QemuLogImporter src(path);
    r.run(src);
  } else {
    TextTraceReader src(path);
    r.run(src);
  }
  return r.counters().events + r.counters().bad_events;
}

}  // namespace

TEST(TraceRobustness, MutatedTextTracesNeverCrash) {
  std::string base;
  {
    std::ifstream in(std::string(VTDSIM_SOURCE_DIR) + "/traces/sample.trace");
    base.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::mt19937_64 rng(42);
  TempFile f(".trace");
  std::uint64_t total = 0;
  for (int i = 0; i < 300; ++i) {
    f.write(mutate(base, rng));
    EXPECT_NO_THROW(total += replay_skipping(f.path(), false)) << "case " << i;
  }
  EXPECT_GT(total, 0u);
}

TEST(TraceRobustness, MutatedQemuLogsNeverCrash) {
  const std::string base =
      "1@1.000001:vtd_context_cache_reset \n"
      "1@1.000002:vtd_iotlb_cc_update IOTLB context update bus 0x0 devfn 0x18 high 0x501 low 0x28d9001 gen 0 -> gen 1\n"
      "1@1.000003:vtd_dmar_translate dev 00:03.00 iova 0xffffb000 -> gpa 0x29e0000 mask 0xfff\n"
      "1@1.000004:vtd_dmar_translate dev 00:03.00 iova 0x40000000 -> gpa 0x80000000 mask 0x1fffff\n"
      "1@1.000005:vtd_inv_desc_iotlb_pages iotlb invalidate domain 0x5 addr 0xffffb000 mask 0x0\n"
      "1@1.000006:vtd_inv_desc_cc_devices context invalidate devices sid 0x18 fmask 0x0\n"
      "1@1.000007:vtd_inv_desc_iotlb_domain iotlb invalidate whole domain 0x5\n"
      "1@1.000008:vtd_inv_desc_iec granularity 0x1 index 0xb mask 0x0\n"
      "1@1.000009:vtd_dmar_translate dev 00:03.00 iova 0xffffb000 -> gpa 0x29e5000 mask 0xfff\n";
  std::mt19937_64 rng(7);
  TempFile f(".log");
  for (int i = 0; i < 300; ++i) {
    f.write(mutate(base, rng));
    EXPECT_NO_THROW(replay_skipping(f.path(), true)) << "case " << i;
  }
}

TEST(TraceRobustness, MutatedConfigsGiveConfigErrorsOnly) {
  std::string base;
  {
    std::ifstream in(std::string(VTDSIM_SOURCE_DIR) + "/configs/default.yaml");
    base.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::mt19937_64 rng(3);
  int accepted = 0, rejected = 0;
  for (int i = 0; i < 300; ++i) {
    try {
      YAML::Node root = config::load_config_text(mutate(base, rng), "m.yaml");
      config::check_top_level_keys(root);
      config::resolve_unit_config(root);
      ++accepted;
    } catch (const config::ConfigError&) {
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 0);
  EXPECT_EQ(accepted + rejected, 300);
}
