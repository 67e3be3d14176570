#include "vtdsim/pciebench/bench_host.hpp"

#include <cmath>
#include <stdexcept>

#include "vtdsim/spec/registers.hpp"

namespace vtdsim::pciebench {

BenchHost::BenchHost(const BenchConfig& c, const BenchPoint& p) {
  const bool remote = p.memory == Placement::kRemote;
  data_ns = c.memory.latency_ns + (remote ? c.memory.remote_extra_ns : 0);
  walk_ns = c.memory.latency_ns + (remote && c.memory.remote_walk_reads ? c.memory.remote_extra_ns : 0);
  config::UnitConfig config = c.iommu;
  config.timing.memory_read = static_cast<std::uint32_t>(std::llround(walk_ns * config.timing.clock_ghz));
  const unsigned haw = config.cap.haw;
  tables = std::make_unique<core::TableBuilder>(memory, 1ull << (haw - 1), 1ull << (haw - 2),
                                                core::TableFormat::kLegacy, haw);
  unit = std::make_unique<iommu::Iommu>(config, memory);
  if (p.iommu == IommuMode::kOff) return;
  translated_ = true;
  // Linux picks 4-level (48-bit) tables when SAGAW offers them (intel-iommu.c, domain agaw).
  tables->create_domain(kDomain, (config.cap.sagaw & 0b0100) ? 4 : 3);
  const std::uint64_t page = p.iommu == IommuMode::k2M ? kPageSize2M : kPageSize4K;
  const std::uint64_t size = (p.window_bytes + page - 1) / page * page;
  tables->map(kDomain, Iova(kIovaBase), HostAddr(kHostBase), size, Perms{true, true}, page);
  tables->set_context(kDevice, kDomain);
  core::RemappingUnit& u = unit->unit();
  u.write_register(spec::reg::kRtaddr, 8, tables->rtaddr());
  u.write_register(spec::reg::kGcmd, 4, spec::reg::gcmd::kSrtp);
  u.write_register(spec::reg::kGcmd, 4, spec::reg::gcmd::kTe);
  if (!u.registers().translation_enabled()) throw std::logic_error("pcie-bench: translation did not enable");
}

}  // namespace vtdsim::pciebench
