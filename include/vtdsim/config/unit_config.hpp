// Resolved (validated) configuration of one remapping unit: capabilities, cache geometry and timing.
// Defaults live here and only here (DESIGN.md "Configuration").
#pragma once
#include <array>
#include <cstdint>
#include <string>

namespace vtdsim::config {

// CAP/ECAP fields that the model takes from configuration (VT-d spec 11.4.2 CAP_REG, 11.4.3 ECAP_REG).
struct CapabilityConfig {
  std::uint8_t sagaw = 0b0110;  // CAP.SAGAW bits: bit1 = 39-bit/3-level, bit2 = 48/4, bit3 = 57/5
  std::uint8_t mgaw = 48;       // maximum guest address width (CAP.MGAW holds mgaw-1)
  std::uint8_t haw = 46;        // host address width (bounds table pointers; CAP has no field)
  std::uint16_t nfr = 8;        // number of fault recording registers (CAP.NFR holds nfr-1)
  std::uint8_t sllps = 0b01;    // CAP.SLLPS: bit0 = 2 MiB, bit1 = 1 GiB second-level superpages
  bool psi = true;              // page-selective invalidation
  std::uint8_t mamv = 9;        // maximum address-mask value
  bool caching_mode = false;    // CAP.CM
  std::uint8_t nd = 2;          // CAP.ND: domain-id bits = 4 + 2*nd
  bool zlr = false, rwbf = false, plmr = false, phmr = false;
  bool drd = true, dwd = true;  // read/write draining
  std::uint8_t fl1gp = 0;       // CAP.FS1GP (FL1GP): first-stage 1 GiB pages (PS in a PDPE)
  bool fl5lp = false;           // CAP.FS5LP (FL5LP): 5-level first-stage tables (FSPM = 01b);
                                // not read from YAML yet (the stats echo of cap would change)
  // ECAP
  bool qi = true, dt = true, ir = false, eim = false, pt = true, sc = true;
  bool smts = true, pasid = true, slts = true, flts = false, nest = false, ecs = false;
  std::uint8_t pss = 19;      // ECAP.PSS: PASID bits - 1
  std::uint16_t iro = 0x100;  // IOTLB register offset (bytes), CAP/ECAP hold iro/16
  std::uint16_t fro = 0x200;  // fault recording register offset (bytes)
};

enum class ReplacementPolicy : std::uint8_t { kLru, kPlru, kFifo, kRandom };

// Largest number of entries of one cache (and of QEMU's IOTLB table): every entry is allocated up
// front, so a mistyped size must be an error, not gigabytes. Far above any hardware cache.
constexpr std::uint32_t kMaxCacheEntries = 1u << 18;

// Every cache takes the same parameter tuple (DESIGN.md "Shapes that work well").
struct CacheGeometry {
  std::uint32_t entries = 64;
  std::uint32_t ways = 4;  // 1 = direct-mapped; == entries = fully associative
  ReplacementPolicy policy = ReplacementPolicy::kLru;
  bool enabled = true;
  std::uint32_t hit_latency = 1;  // cycles
  std::uint64_t seed = 1;         // for kRandom
};

// How the IOTLB holds superpages.
enum class IotlbOrganization : std::uint8_t {
  kShared,   // one array; 2M/1G entries tagged with their size, set chosen from the 4K page number
  kPerSize,  // separate arrays for 4K, 2M and 1G pages (as hardware often has)
  kQemu,     // QEMU's emulated IOTLB: unbounded hash keyed by (source-id, page, level, pasid),
             // cleared whole when it reaches qemu_max_entries
};

// What QEMU's emulated IOTLB does with a PASID-based IOTLB invalidation (hw/i386/intel_iommu.c).
enum class QemuPasidIotlb : std::uint8_t {
  kIgnore,  // QEMU before 10.0: vtd_process_inv_desc accepts the descriptor and does nothing
  kV10,     // QEMU 10.0+: vtd_piotlb_pasid_invalidate drops the domain's entries of that PASID
            // whatever their stage (for requests without PASID, RID_PASID = 0);
            // vtd_piotlb_page_invalidate drops matching first-stage entries only
};

// Which stage QEMU's IOTLB entries come from (QEMU 10.0+: all first-stage with x-flts=on).
enum class QemuStage : std::uint8_t {
  kSecond,  // x-flts=off (and every QEMU before 10.0)
  kFirst,   // x-flts=on
  kAuto,    // from the guest's first page-selective flush: P_IOTLB (Linux does that for first-stage
            // domains only) makes it first-stage, a legacy one second-stage, for the rest of the run
};

struct CachesConfig {
  IotlbOrganization iotlb_organization = IotlbOrganization::kShared;
  CacheGeometry iotlb{64, 4, ReplacementPolicy::kLru, true, 1, 1};
  CacheGeometry iotlb_2m{16, 4, ReplacementPolicy::kLru, true, 1, 1};  // kPerSize only
  CacheGeometry iotlb_1g{4, 4, ReplacementPolicy::kLru, true, 1, 1};   // kPerSize only
  std::uint32_t qemu_max_entries = 1024;                               // QEMU VTD_IOTLB_MAX_SIZE
  // kQemu page-selective invalidation: width of QEMU's VTDIOTLBPageInvInfo.mask. QEMU 7.2 keeps it
  // in a uint8_t, so only the low 8 bits of the page number are compared and an invalidation also
  // drops entries a multiple of 256 pages away; 64 = the behaviour after QEMU widened the field.
  std::uint8_t qemu_inv_mask_bits = 8;
  // kQemu: what a PASID-based IOTLB invalidation (P_IOTLB_INV_DSC, spec 6.5.2.4) does.
  QemuPasidIotlb qemu_piotlb = QemuPasidIotlb::kIgnore;
  // kQemu: whether the entries come from first-stage tables (QEMU 10.0+ `x-flts=on`). QEMU's
  // vtd_hash_remove_by_page then drops every first-stage entry of the domain on a legacy
  // page-selective IOTLB invalidation, and P_IOTLB page-selective ones reach them.
  QemuStage qemu_first_stage = QemuStage::kSecond;
  CacheGeometry context{16, 16, ReplacementPolicy::kLru, true, 1, 1};
  CacheGeometry pasid{32, 8, ReplacementPolicy::kLru, true, 1, 1};
  // Paging-structure caches, index = level - 2: PDE (2), PDPE (3), PML4E (4), PML5E (5).
  std::array<CacheGeometry, 4> psc{{{32, 4, ReplacementPolicy::kLru, true, 1, 1},
                                    {16, 4, ReplacementPolicy::kLru, true, 1, 1},
                                    {4, 4, ReplacementPolicy::kLru, true, 1, 1},
                                    {2, 2, ReplacementPolicy::kLru, true, 1, 1}}};
  CacheGeometry device_tlb{32, 32, ReplacementPolicy::kLru, false, 1, 1};  // per device, ATS
};

// Most page walkers a timing model may have (each walk scans them for the first free one).
constexpr std::uint32_t kMaxWalkers = 4096;

struct TimingConfig {
  double clock_ghz = 2.0;  // IOMMU clock; latencies below are in its cycles
  std::uint32_t iotlb_hit = 2;
  std::uint32_t context_cache_hit = 2;
  std::uint32_t context_cache_miss = 4;  // fixed cost on top of the entry reads
  std::uint32_t memory_read = 100;       // latency of one walk read from memory
  std::uint32_t per_read = 4;            // walker cost per read beyond memory latency
  std::uint32_t psc_hit = 2;
  std::uint32_t invalidation_descriptor = 20;
  std::uint32_t wait_descriptor = 40;
  std::uint32_t walkers = 4;        // concurrent page-table walkers
  bool merge_pending_walks = true;  // second miss to a page being walked joins that walk
};

struct UnitConfig {
  CapabilityConfig cap;
  CachesConfig caches;
  TimingConfig timing;
};

const char* to_string(ReplacementPolicy policy);
const char* to_string(IotlbOrganization organization);
const char* to_string(QemuPasidIotlb behaviour);

}  // namespace vtdsim::config
