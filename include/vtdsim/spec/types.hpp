// Strong small types for values that are easy to mix up (DESIGN.md "Conventions").
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace vtdsim {

// A PCI requester id: bus[15:8], device[7:3], function[2:0] (VT-d spec 3.4.1, source-id).
struct SourceId {
  std::uint16_t value = 0;
  constexpr SourceId() = default;
  constexpr explicit SourceId(std::uint16_t v) : value(v) {}
  static constexpr SourceId from_bdf(unsigned bus, unsigned dev, unsigned fn) {
    return SourceId(static_cast<std::uint16_t>(((bus & 0xff) << 8) | ((dev & 0x1f) << 3) | (fn & 7)));
  }
  constexpr unsigned bus() const { return value >> 8; }
  constexpr unsigned devfn() const { return value & 0xff; }
  constexpr unsigned dev() const { return (value >> 3) & 0x1f; }
  constexpr unsigned fn() const { return value & 7; }
  // "bb:dd.f" in hex, as lspci prints it.
  std::string to_string() const;
  // Parses "bb:dd.f" (hex); also accepts "0xNNNN" or a decimal requester id. nullopt on bad text.
  static std::optional<SourceId> parse(const std::string& text);
  friend constexpr bool operator==(SourceId a, SourceId b) { return a.value == b.value; }
  friend constexpr bool operator!=(SourceId a, SourceId b) { return a.value != b.value; }
  friend constexpr bool operator<(SourceId a, SourceId b) { return a.value < b.value; }
};

// Domain identifier (VT-d spec 3.4.3, context-entry DID; width from CAP.ND).
struct DomainId {
  std::uint16_t value = 0;
  constexpr DomainId() = default;
  constexpr explicit DomainId(std::uint16_t v) : value(v) {}
  friend constexpr bool operator==(DomainId a, DomainId b) { return a.value == b.value; }
  friend constexpr bool operator!=(DomainId a, DomainId b) { return a.value != b.value; }
  friend constexpr bool operator<(DomainId a, DomainId b) { return a.value < b.value; }
};

// Process address space id, 20 bits (VT-d spec 3.4.4). kNoPasid marks requests without a PASID
// prefix; in scalable mode these use the context entry's RID_PASID.
struct Pasid {
  static constexpr std::uint32_t kNone = 0xffffffffu;
  std::uint32_t value = kNone;
  constexpr Pasid() = default;
  constexpr explicit Pasid(std::uint32_t v) : value(v) {}
  constexpr bool present() const { return value != kNone; }
  friend constexpr bool operator==(Pasid a, Pasid b) { return a.value == b.value; }
  friend constexpr bool operator!=(Pasid a, Pasid b) { return a.value != b.value; }
};

// An I/O virtual address as the device issues it.
struct Iova {
  std::uint64_t value = 0;
  constexpr Iova() = default;
  constexpr explicit Iova(std::uint64_t v) : value(v) {}
  friend constexpr bool operator==(Iova a, Iova b) { return a.value == b.value; }
  friend constexpr bool operator!=(Iova a, Iova b) { return a.value != b.value; }
};

// A host physical address (what memory sees).
struct HostAddr {
  std::uint64_t value = 0;
  constexpr HostAddr() = default;
  constexpr explicit HostAddr(std::uint64_t v) : value(v) {}
  friend constexpr bool operator==(HostAddr a, HostAddr b) { return a.value == b.value; }
  friend constexpr bool operator!=(HostAddr a, HostAddr b) { return a.value != b.value; }
};

enum class Access : std::uint8_t { kRead = 1, kWrite = 2 };

// Read/write permission bits as the second-level entries carry them (VT-d spec 9.8, R bit 0, W bit 1).
struct Perms {
  bool read = false;
  bool write = false;
  constexpr bool allows(Access a) const { return a == Access::kRead ? read : write; }
  friend constexpr bool operator==(Perms a, Perms b) { return a.read == b.read && a.write == b.write; }
};

// PCIe address type of the request (PCIe spec, AT field; VT-d spec 4.2): untranslated,
// translation request (ATS), or already translated.
enum class AddressType : std::uint8_t { kUntranslated = 0, kTranslationRequest = 1, kTranslated = 2 };

constexpr std::uint64_t kPageSize4K = 1ull << 12;
constexpr std::uint64_t kPageSize2M = 1ull << 21;
constexpr std::uint64_t kPageSize1G = 1ull << 30;

}  // namespace vtdsim

template <>
struct std::hash<vtdsim::SourceId> {
  std::size_t operator()(vtdsim::SourceId s) const noexcept { return s.value; }
};
template <>
struct std::hash<vtdsim::DomainId> {
  std::size_t operator()(vtdsim::DomainId d) const noexcept { return d.value; }
};
