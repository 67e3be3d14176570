// Many tenants sharing one IOMMU (as HyperSIO, ISCA 2020, interleaves many VMs' QEMU logs): one
// trace made of N tenants, tenant t a copy of input t mod (number of inputs), interleaved.
//
// What a tenant's copy changes, so that tenants share the IOMMU's caches and nothing else:
//   - source-ids: bus + t (an input may use buses 0..255-(N-1));
//   - domain-ids: each input's distinct domain-ids renumbered in order of first appearance, the
//     tenants' one after the other from 1 (tenant 0's first domain is 1; at most 65535 in all);
//   - host addresses: + t * host_stride, host_stride the power of two above every input's highest
//     mapped host byte (the tenants' memory is disjoint; at most 2^52);
//   - invalidations: domain-, page- and PASID-selective ones go to the tenant's own domains; a
//     global IOTLB / PASID-cache / device-TLB invalidation becomes a domain-selective one of each of
//     the tenant's domains, a global context-cache invalidation a device-selective one of each of its
//     sources (one VM cannot flush another's entries: a hypervisor narrows them so);
//   - contexts: one unit has one root-table format (RTADDR.TTM, VT-d spec 11.4.5), so when some
//     input has scalable-mode contexts (stage=), the legacy contexts of the others become
//     scalable-mode second-stage ones (stage=second, PGTT 010b: the same page tables; their
//     context misses read the scalable context entry and PASID entries instead).
// Interleaving: the next tenant (round robin, or uniformly at random with a seed, among those not
// finished) emits its events until it has emitted `burst` DMA events or ends; its software events
// stay in its own order, with the DMAs they precede. Times: each event keeps its own time, raised
// to the last emitted one so that the mix never goes back in time (tenants run from time 0 side by
// side).
// The inputs are read once each into memory (a tenant is a cursor over its input), so memory is the
// size of the distinct inputs, whatever N.
#pragma once
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "vtdsim/trace/trace_event.hpp"
#include "vtdsim/trace/trace_source.hpp"

namespace vtdsim::study {

enum class Interleave : std::uint8_t { kRoundRobin, kRandom };

struct TenantMixOptions {
  std::uint32_t tenants = 1;
  Interleave interleave = Interleave::kRoundRobin;
  std::uint32_t burst = 1;  // DMA events a tenant emits in a row
  std::uint64_t seed = 1;   // kRandom
};

// One input, read into memory, with what the tenant copies need to know about it.
struct MixInput {
  std::string name;
  std::vector<trace::TraceEvent> events;
  std::vector<std::uint16_t> domains;  // distinct domain-ids, in order of first appearance
  std::vector<std::uint16_t> sources;  // distinct source-ids
  std::uint8_t max_bus = 0;
  std::uint64_t host_end = 0;  // one past the highest mapped host byte
  bool scalable = false;       // has a context with a stage (scalable-mode tables)
  bool legacy = false;         // has a context without one (legacy tables)
};

// Reads `source` to its end (TraceError from the source as it comes).
MixInput read_mix_input(const std::string& name, trace::TraceSource& source);

class TenantMix final : public trace::TraceSource {
 public:
  // Throws std::invalid_argument when the mix cannot be made (no input, 0 tenants or burst, too
  // many tenants for the buses, domain-ids or host addresses).
  TenantMix(std::vector<MixInput> inputs, const TenantMixOptions& options);

  std::optional<trace::TraceEvent> next() override;
  std::string position() const override;

  std::uint64_t host_stride() const { return host_stride_; }
  // Some inputs' legacy contexts are given stage=second (the inputs mix table formats).
  bool legacy_contexts_made_scalable() const { return legacy_to_scalable_; }

 private:
  struct Tenant {
    std::uint32_t index = 0;
    const MixInput* input = nullptr;
    std::uint32_t domain_base = 1;            // the mix's domain-id of the input's first domain
    std::size_t next = 0;                     // next event of the input
    std::vector<trace::TraceEvent> expanded;  // a global invalidation's per-domain replacements
    std::size_t expanded_next = 0;
    bool done() const { return next == input->events.size() && expanded_next == expanded.size(); }
  };
  trace::TraceEvent renamed(const Tenant& t, const trace::TraceEvent& e) const;
  void expand_global(Tenant& t, const trace::TraceEvent& e);
  bool pick_tenant();

  std::vector<MixInput> inputs_;
  TenantMixOptions options_;
  bool legacy_to_scalable_ = false;
  std::vector<Tenant> tenants_;
  std::uint64_t host_stride_ = 0;
  std::size_t current_ = 0;         // tenant emitting now
  std::uint32_t emitted_dmas_ = 0;  // DMAs of the current burst
  bool have_current_ = false;
  std::uint32_t unfinished_ = 0;
  std::uint64_t last_time_ = 0;
  std::uint64_t emitted_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace vtdsim::study
