#include "vtdsim/pciebench/phase_summary.hpp"

#include <algorithm>

namespace vtdsim::pciebench {

PhaseResult summarize_phase(const std::vector<double>& done_ns, const std::vector<double>& latency_ns,
                            std::uint64_t from, std::uint64_t to, std::uint64_t transfer_bytes) {
  PhaseResult r;
  if (to <= from) return r;
  r.dmas = to - from;
  const double start = from == 0 ? 0.0 : done_ns[from - 1];
  const double span = done_ns[to - 1] - start;
  r.gbit_per_s = span > 0 ? static_cast<double>(r.dmas * transfer_bytes) * 8.0 / span : 0;
  std::vector<double> l(latency_ns.begin() + static_cast<std::ptrdiff_t>(from),
                        latency_ns.begin() + static_cast<std::ptrdiff_t>(to));
  double sum = 0;
  for (double v : l) sum += v;
  r.lat_mean_ns = sum / static_cast<double>(l.size());
  auto mid = l.begin() + static_cast<std::ptrdiff_t>(l.size() / 2);
  std::nth_element(l.begin(), mid, l.end());
  r.lat_median_ns = *mid;
  return r;
}

}  // namespace vtdsim::pciebench
