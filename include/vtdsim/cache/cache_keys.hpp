// Keys of the set-associative translation caches (SetAssocCache's Key requirements: operator== and
// index(), the set selector). Each packs its tag into words so that a compare is a few XORs.
#pragma once
#include <cstdint>

namespace vtdsim::cache {

// Context cache (spec 6.2.1): tagged by source-id.
struct ContextKey {
  std::uint16_t source = 0;
  std::uint64_t index() const { return source; }
  friend bool operator==(const ContextKey& a, const ContextKey& b) { return a.source == b.source; }
};

// PASID cache (spec 6.2.2): tagged by source-id and PASID.
struct PasidKey {
  std::uint16_t source = 0;
  std::uint32_t pasid = 0;
  std::uint64_t index() const { return pasid ^ (std::uint64_t{source} * 0x9e37u); }
  friend bool operator==(const PasidKey& a, const PasidKey& b) {
    return ((a.source ^ b.source) | (a.pasid ^ b.pasid)) == 0;
  }
};

// Spec 6.2.3: IOTLB entries are tagged by DID, PASID and the page number at the page size.
// Packed in two words (vpn; PASID | DID << 32 | shift << 48) so a compare is two XORs.
struct IotlbKey {
  std::uint64_t vpn = 0;  // iova >> shift
  std::uint64_t tag = 0;
  IotlbKey() = default;
  IotlbKey(std::uint64_t vpn_, std::uint32_t pasid, std::uint16_t domain, std::uint8_t shift)
      : vpn(vpn_), tag(pasid | (std::uint64_t{domain} << 32) | (std::uint64_t{shift} << 48)) {}
  std::uint8_t shift() const { return static_cast<std::uint8_t>(tag >> 48); }
  std::uint64_t index() const { return vpn; }
  friend bool operator==(const IotlbKey& a, const IotlbKey& b) { return ((a.vpn ^ b.vpn) | (a.tag ^ b.tag)) == 0; }
};

// Spec 6.2.4: paging-structure-cache entries tagged by DID, PASID and the address bits that
// select the entry at that level; first-stage entries (spec 6.2.4: first-stage PML5E/PML4E/PDPE/PDE
// caches) carry a stage bit so they never match a second-stage lookup of the same tag, nor the
// reverse.
struct PscKey {
  std::uint64_t prefix = 0;
  std::uint64_t tag = 0;  // PASID | DID << 32 | first_stage << 48
  PscKey() = default;
  PscKey(std::uint64_t prefix_, std::uint32_t pasid, std::uint16_t domain, bool first_stage = false)
      : prefix(prefix_), tag(pasid | (std::uint64_t{domain} << 32) | (std::uint64_t{first_stage ? 1u : 0u} << 48)) {}
  std::uint64_t index() const { return prefix; }
  friend bool operator==(const PscKey& a, const PscKey& b) { return ((a.prefix ^ b.prefix) | (a.tag ^ b.tag)) == 0; }
};

}  // namespace vtdsim::cache
