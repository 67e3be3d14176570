// One event of a DMA trace: a DMA request, or a software event that changes what the IOMMU sees
// (mapping, context set-up, invalidation). Trivially copyable, fixed size (DESIGN.md "Trace sources").
#pragma once
#include <cstdint>
#include <type_traits>

#include "vtdsim/core/invalidation.hpp"
#include "vtdsim/core/translation.hpp"
#include "vtdsim/spec/types.hpp"

namespace vtdsim::trace {

enum class EventKind : std::uint8_t {
  kDma,         // a DMA request: source, pasid, iova, size, access
  kMap,         // domain: [iova, iova+size) -> host, perms, page_size
  kUnmap,       // domain: [iova, iova+size)
  kContext,     // source -> domain, translation type (and levels)
  kInvalidate,  // an InvalidationRequest
};

// kContext: which tables a translated context uses (text `stage=`, binary byte 74 since version
// 2). kLegacy: a legacy-mode context entry (spec 9.3), the only kind before; kSecond / kFirst: a
// scalable-mode context entry (spec 9.4) whose RID_PASID entry has PGTT 010b / 001b (spec 9.6),
// so the domain's maps build second-level or first-stage (IA-32e, spec 9.7) tables. One trace
// has either legacy or scalable contexts (RTADDR.TTM is one per unit, spec 11.4.5).
enum class ContextStage : std::uint8_t { kLegacy, kSecond, kFirst };

struct TraceEvent {
  EventKind kind = EventKind::kDma;
  std::uint64_t time_ns = 0;  // event time; non-decreasing within a trace
  SourceId source;
  Pasid pasid;
  DomainId domain;
  Iova iova;
  std::uint64_t size = 0;                                                         // bytes (DMA, map, unmap)
  Access access = Access::kRead;                                                  // kDma
  HostAddr host;                                                                  // kMap
  Perms perms;                                                                    // kMap
  std::uint64_t page_size = kPageSize4K;                                          // kMap: 4K, 2M or 1G
  core::TranslationType translation_type = core::TranslationType::kUntranslated;  // kContext
  std::uint8_t levels = 4;                                                        // kContext: paging levels
  ContextStage stage = ContextStage::kLegacy;                                     // kContext
  core::InvalidationRequest invalidation;                                         // kInvalidate
};
static_assert(std::is_trivially_copyable_v<TraceEvent>, "trace events are copied as bytes");

}  // namespace vtdsim::trace
