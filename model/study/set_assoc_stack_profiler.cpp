#include "vtdsim/study/set_assoc_stack_profiler.hpp"

#include <stdexcept>
#include <string>

#include "vtdsim/cache/cache_keys.hpp"

namespace vtdsim::study {

namespace {
constexpr unsigned kShifts[3] = {12, 21, 30};
constexpr std::uint64_t kMaxSlots = 1ull << 26;

// slots[0..j) move to slots[1..j]; slots[0] = key.
template <class Slot>
void push_front(Slot* slots, std::uint32_t j, const Slot& key) {
  for (std::uint32_t i = j; i > 0; --i) slots[i] = slots[i - 1];
  slots[0] = key;
}
}  // namespace

SetAssocStackProfiler::Slot SetAssocStackProfiler::pack(const IotlbPageKey& key) {
  const cache::IotlbKey k(key.iova_base >> key.shift, key.pasid, key.domain, key.shift);
  return Slot{k.vpn, k.tag};
}

IotlbPageKey SetAssocStackProfiler::unpack(const Slot& slot) {
  IotlbPageKey key;
  key.shift = static_cast<std::uint8_t>(slot.tag >> 48);
  key.iova_base = slot.vpn << key.shift;
  key.pasid = static_cast<std::uint32_t>(slot.tag);
  key.domain = static_cast<std::uint16_t>(slot.tag >> 32);
  return key;
}

SetAssocStackProfiler::SetAssocStackProfiler(std::uint32_t sets, std::uint32_t max_ways)
    : sets_(sets), max_ways_(max_ways) {
  if (sets == 0 || max_ways == 0) throw std::invalid_argument("set-associative profiler: sets and ways must be > 0");
  if (std::uint64_t{sets} * max_ways > kMaxSlots)
    throw std::invalid_argument("set-associative profiler: sets x ways must not exceed " + std::to_string(kMaxSlots));
  slots_.assign(std::size_t{sets} * max_ways, Slot{});
  depth_.assign(sets, 0);
  histogram_.assign(std::size_t{max_ways} + 1, 0);
}

std::uint32_t SetAssocStackProfiler::set_of(const IotlbPageKey& key) const {
  // The IOTLB's own set selector (SetAssocCache::set_of: index() mod sets).
  const cache::IotlbKey k(key.iova_base >> key.shift, key.pasid, key.domain, key.shift);
  return static_cast<std::uint32_t>(k.index() % sets_);
}

std::uint64_t SetAssocStackProfiler::access(const IotlbPageKey& page, bool fill_on_miss) {
  ++accesses_;
  const std::uint32_t set = set_of(page);
  const Slot key = pack(page);
  Slot* slots = &slots_[std::size_t{set} * max_ways_];
  std::uint32_t& depth = depth_[set];
  std::uint32_t pos = depth, top_hole = depth;
  for (std::uint32_t i = 0; i < depth; ++i) {
    if (is_hole(slots[i])) {
      if (top_hole == depth) top_hole = i;
    } else if (slots[i] == key) {
      pos = i;
      break;
    }
  }
  if (pos < depth) {
    ++histogram_[pos + 1];
    if (top_hole < pos) {
      // Associativities in [top_hole + 1, pos] miss and fill their free way; larger ones hit and
      // keep it: the hole moves down to the key's old slot.
      slots[pos] = Slot{};
      push_front(slots, top_hole, key);
    } else {
      push_front(slots, pos, key);
    }
    trim(set);
    return pos + 1;
  }
  if (!fill_on_miss) return 0;  // nothing cached at any associativity: no way is used
  std::uint32_t j;
  if (top_hole < depth) {
    j = top_hole;  // associativities holding the hole fill it, smaller ones evict
  } else if (depth < max_ways_) {
    j = depth++;
  } else {
    j = max_ways_ - 1;  // the deepest key falls out of every associativity of interest
  }
  push_front(slots, j, key);
  trim(set);
  return 0;
}

void SetAssocStackProfiler::trim(std::uint32_t set) {
  const Slot* slots = &slots_[std::size_t{set} * max_ways_];
  std::uint32_t& depth = depth_[set];
  while (depth > 0 && is_hole(slots[depth - 1])) --depth;
}

void SetAssocStackProfiler::visit_set(std::uint32_t set, const cache::IotlbInvalidationScope& scope,
                                      std::uint64_t& dropped) {
  Slot* slots = &slots_[std::size_t{set} * max_ways_];
  for (std::uint32_t i = 0; i < depth_[set]; ++i) {
    if (!is_hole(slots[i]) && reaches(scope, unpack(slots[i]))) {
      slots[i] = Slot{};
      ++dropped;
    }
  }
  trim(set);
}

std::uint64_t SetAssocStackProfiler::invalidate(const core::InvalidationRequest& request) {
  const cache::IotlbInvalidationScope scope = cache::IotlbInvalidationScope::of(request);
  if (!scope.reaches_anything()) return 0;
  if (scope.is_global()) {
    const std::uint64_t n = live_keys();
    invalidate_all();
    return n;
  }
  std::uint64_t dropped = 0;
  if (scope.is_page_range()) {
    // Only the sets of the pages overlapping the range can hold a matching key: per page size,
    // the page numbers [base >> shift, (base + len - 1) >> shift], when fewer than the sets.
    bool all = false;
    for (const unsigned shift : kShifts) {
      const std::uint64_t first = scope.range_base() >> shift,
                          last = (scope.range_base() + (scope.range_length() - 1)) >> shift;
      if (last - first + 1 >= sets_) {
        all = true;
        break;
      }
    }
    if (!all) {
      for (const unsigned shift : kShifts) {
        const std::uint64_t first = scope.range_base() >> shift,
                            last = (scope.range_base() + (scope.range_length() - 1)) >> shift;
        for (std::uint64_t vpn = first; vpn <= last; ++vpn) {
          IotlbPageKey k;
          k.iova_base = vpn << shift;
          k.shift = static_cast<std::uint8_t>(shift);
          visit_set(set_of(k), scope, dropped);
        }
      }
      return dropped;
    }
  }
  for (std::uint32_t set = 0; set < sets_; ++set) visit_set(set, scope, dropped);
  return dropped;
}

void SetAssocStackProfiler::invalidate_all() {
  // Every set is empty at every associativity: empty stacks.
  for (auto& d : depth_) d = 0;
}

std::size_t SetAssocStackProfiler::live_keys() const {
  std::size_t n = 0;
  for (std::uint32_t set = 0; set < sets_; ++set) {
    const Slot* slots = &slots_[std::size_t{set} * max_ways_];
    for (std::uint32_t i = 0; i < depth_[set]; ++i) n += is_hole(slots[i]) ? 0 : 1;
  }
  return n;
}

std::uint64_t SetAssocStackProfiler::hits_at(std::uint32_t ways) const {
  const std::uint32_t n = ways < max_ways_ ? ways : max_ways_;
  std::uint64_t sum = 0;
  for (std::uint32_t p = 1; p <= n; ++p) sum += histogram_[p];
  return sum;
}

std::vector<std::uint64_t> SetAssocStackProfiler::hit_curve() const {
  std::vector<std::uint64_t> curve(max_ways_);
  std::uint64_t sum = 0;
  for (std::uint32_t p = 1; p <= max_ways_; ++p) {
    sum += histogram_[p];
    curve[p - 1] = sum;
  }
  return curve;
}

}  // namespace vtdsim::study
