// Turns what software wrote (CCMD / IOTLB_REG+IVA_REG, or a queued-invalidation descriptor) into
// the InvalidationRequest the caches apply, or into the spec's error for it. Pure functions, so
// tests can check decoding without caches. VT-d spec 6.5.1 (register-based invalidation),
// 6.5.2 (queued invalidation), 11.4 (CCMD_REG), 11.4 (IOTLB_REG, IVA_REG).
#pragma once
#include <cstdint>

#include "vtdsim/config/unit_config.hpp"
#include "vtdsim/core/invalidation.hpp"
#include "vtdsim/spec/invalidation_descriptor.hpp"

namespace vtdsim::core {

// Result of a register-based invalidation command. performed == false: the request was rejected
// (reserved granularity); the actual granularity field then reads 0.
struct RegisterInvalidation {
  bool performed = false;
  InvalidationRequest request;
  std::uint8_t actual_granularity = 0;  // CAIG / IAIG encoding
};

// CCMD_REG (11.4): CIRG 01 global, 10 domain-selective, 11 device-selective (SID, FM).
RegisterInvalidation decode_context_command(std::uint64_t ccmd, const config::CapabilityConfig& cap);

// IOTLB_REG + IVA_REG (11.4): IIRG 01 global, 10 domain, 11 page-selective (ADDR, AM, IH).
// Page-selective falls back to domain-selective when CAP.PSI = 0 or AM > CAP.MAMV (the spec lets
// hardware invalidate at a coarser granularity and report it in IAIG).
RegisterInvalidation decode_iotlb_command(std::uint64_t iotlb, std::uint64_t iva, const config::CapabilityConfig& cap);

enum class DescriptorKind : std::uint8_t {
  kInvalidate,  // `request` is to be applied
  kWait,        // invalidation wait: status write / interrupt
  kError,       // invalid descriptor: IQE with `error_info` (IQERCD.IQEI)
};

struct DecodedDescriptor {
  DescriptorKind kind = DescriptorKind::kError;
  spec::qi::Type type = spec::qi::Type::kWait;
  InvalidationRequest request;
  // kWait
  bool status_write = false;
  bool interrupt = false;
  bool fence = false;
  std::uint32_t status_data = 0;
  std::uint64_t status_address = 0;
  // kError
  std::uint8_t error_info = 0;
};

// Decodes one descriptor. `scalable` = the translation mode latched by SRTP (Table 23 types),
// `wide` = IQA_REG.DW (256-bit descriptors).
DecodedDescriptor decode_descriptor(const spec::qi::Descriptor& d, const config::CapabilityConfig& cap, bool scalable,
                                    bool wide);

// The ATS invalidation form (ADDR with the S-bit size encoding, PCIe ATS / spec 6.5.2.5) of a
// decoded device-TLB request: kPage with AM = 0 -> (addr, S = 0); kPage with AM = n > 0 ->
// S = 1 and n - 1 ones from bit 12; kDevice / kGlobal -> ADDR[62:12] all ones, S = 1.
struct AtsRange {
  std::uint64_t addr = 0;
  bool size_bit = false;
};
AtsRange ats_range(const InvalidationRequest& request);

// Domain-id bits implemented for CAP.ND (4 + 2*ND bits, 11.4.2); higher DID bits are ignored.
std::uint16_t implemented_domain(std::uint16_t did, const config::CapabilityConfig& cap);

}  // namespace vtdsim::core
