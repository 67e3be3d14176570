// Software side of the remapping tables: builds root, context, PASID and second-level page
// tables in a SparseMemory the way a VT-d driver would (formats: VT-d spec 9.1-9.6, 9.8).
// Used by tests, the trace replayer and the guest model. Table pages (4 KiB, zeroed) come from a
// region of host memory with a bump allocator; nothing is ever freed.
//
// All checking happens here, at build time: bad arguments (misaligned addresses, unknown domain,
// wrong table format, overlapping mappings, exhausted region) throw std::invalid_argument or
// std::runtime_error with a message that names the offending value.
#pragma once
#include <cstdint>
#include <map>
#include <optional>

#include "vtdsim/mem/sparse_memory.hpp"
#include "vtdsim/spec/types.hpp"

namespace vtdsim::core {

enum class TableFormat : std::uint8_t {
  kLegacy,    // RTADDR.TTM = 00b: root entries -> 128-bit context entries (spec 9.1, 9.3)
  kScalable,  // RTADDR.TTM = 01b: root halves -> 256-bit context entries -> PASID dir/table (9.2, 9.4-9.6)
};

struct LegacyContextOptions {
  bool fault_processing_disabled = false;
  bool device_tlb = false;  // TT = 01b instead of 00b
};

struct ScalableContextOptions {
  std::uint32_t rid_pasid = 0;  // PASID used for requests without one
  unsigned pdts = 0;            // PASID directory of 2^(pdts+7) entries (64 PASIDs each)
  bool pasid_enable = true;     // PASIDE: accept requests with PASID
  bool device_tlb = false;      // DTE
  bool fault_processing_disabled = false;
  bool rid_priv = false;  // RID_PRIV: requests without PASID are supervisor requests
};

// Identifies one set of first-stage tables built by TableBuilder (an address space a PASID entry
// with PGTT 001b or 011b points to).
struct FsSpaceId {
  std::uint16_t value = 0;
  constexpr explicit FsSpaceId(std::uint16_t v = 0) : value(v) {}
};

// First-stage leaf attributes (spec 9.7): R/W, U/S, XD = !execute; A and D preset in the leaf
// (and A in the tables this map creates) as a driver may set them, so walks need not write them
// (Linux's __domain_mapping / pfn_to_dma_pte set DMA_FL_PTE_ACCESS, and DMA_FL_PTE_DIRTY for
// writable pages).
struct FsPerms {
  bool write = true;
  bool user = true;
  bool execute = true;
  bool accessed = false;
  bool dirty = false;
  bool tables_accessed = false;
};

// First-stage controls of a PASID-table entry (spec 9.6).
struct FsPasidOptions {
  bool supervisor_requests = false;  // SRE
  bool execute_requests = false;     // ERE
  bool write_protect = false;        // WPE
  bool extended_accessed = false;    // EAFE
  bool fault_processing_disabled = false;
};

class TableBuilder {
 public:
  // Allocates the root table from the region. haw: host address width the unit will check
  // against (pointer and page addresses must be below 2^haw).
  TableBuilder(mem::SparseMemory& memory, std::uint64_t region_base, std::uint64_t region_size,
               TableFormat format = TableFormat::kLegacy, unsigned haw = 46);

  TableFormat format() const { return format_; }
  std::uint64_t root_table() const { return root_table_; }
  // Value for RTADDR_REG (spec 11.4.5): root-table address | TTM in bits 11:10.
  std::uint64_t rtaddr() const;
  // Starts a new, empty root table in `format` (the replayer learns the format from the trace's
  // first context event). Contexts and PASID directories written so far are forgotten; domains
  // and first-stage spaces are kept. Program RTADDR_REG and SRTP again afterwards.
  void restart_root(TableFormat format);

  // One zeroed 4 KiB page (or `count` contiguous pages) from the region.
  std::uint64_t allocate_page() { return allocate_pages(1); }
  std::uint64_t allocate_pages(std::uint64_t count);
  std::uint64_t pages_allocated() const { return (next_ - region_base_) / kPageSize4K; }

  // ---- Domains: one second-level page table per domain, 3, 4 or 5 levels.
  void create_domain(DomainId domain, unsigned levels = 4);
  bool has_domain(DomainId domain) const { return domains_.count(domain.value) != 0; }
  std::uint64_t domain_table(DomainId domain) const;
  unsigned domain_levels(DomainId domain) const;

  // Maps [iova, iova + size) to [host, host + size) with pages of page_size (4 KiB, 2 MiB or
  // 1 GiB), building intermediate tables as needed (intermediate entries get R=W=1; `perms` go
  // in the leaves). Throws on misalignment, no permission, out-of-range addresses, or a page that
  // is already mapped (unmap first).
  void map(DomainId domain, Iova iova, HostAddr host, std::uint64_t size, Perms perms,
           std::uint64_t page_size = kPageSize4K);
  // Clears the leaf entries covering [iova, iova + size) (4 KiB aligned); unmapped parts are
  // skipped. Throws if the range would split a superpage. Returns the number of leaves cleared.
  // Tables are not freed. Software must invalidate the IOTLB afterwards, as on real hardware.
  std::uint64_t unmap(DomainId domain, Iova iova, std::uint64_t size);

  // ---- Legacy-mode contexts (format kLegacy).
  using ContextOptions = LegacyContextOptions;
  // Context translating through the domain's table (TT = 00b / 01b, AW from the domain's levels).
  void set_context(SourceId source, DomainId domain, ContextOptions options = {});
  // Pass-through context (TT = 10b); AW is set to `levels`' encoding.
  void set_pass_through(SourceId source, DomainId domain, bool fault_processing_disabled = false, unsigned levels = 4);

  // Either format: makes the device's context entry not present (P = 0), blocking its DMA.
  void set_blocked(SourceId source, bool fault_processing_disabled = false);

  // ---- Scalable-mode contexts (format kScalable).
  using ScalableContextOptions = core::ScalableContextOptions;
  // Writes the scalable-mode context entry and allocates its (empty) PASID directory.
  void set_scalable_context(SourceId source, ScalableContextOptions options = {});
  enum class PasidMode : std::uint8_t { kSecondLevel, kPassThrough };
  // PASID-table entry: PGTT = 010b (domain's table and AW) or 100b (pass-through).
  void set_pasid_entry(SourceId source, Pasid pasid, PasidMode mode, DomainId domain,
                       bool fault_processing_disabled = false);
  void clear_pasid_entry(SourceId source, Pasid pasid);

  // ---- First-stage tables (spec 9.7, IA-32e format), 4 or 5 levels.
  // Host-physical tables, for PGTT 001b.
  void create_fs_space(FsSpaceId space, unsigned levels = 4);
  // Guest-physical tables, for PGTT 011b nested on `second_stage`: each table page is allocated in
  // host memory and mapped (R/W, 4 KiB) in that domain at the next guest-physical page from
  // guest_table_base; the entries hold guest-physical addresses (spec 3.8).
  void create_nested_fs_space(FsSpaceId space, unsigned levels, DomainId second_stage, std::uint64_t guest_table_base);
  // Guest-physical tables for PGTT 011b where guest-physical = host-physical: the second stage
  // already maps the builder's region one to one (a host mapping a guest's RAM 1:1), so each
  // table page is used at its own address. Throws if a table page is not mapped to itself,
  // readable and writable, in `second_stage` (a nested walk reads and A/D-writes it, spec 3.8).
  void create_identity_nested_fs_space(FsSpaceId space, unsigned levels, DomainId second_stage);
  bool has_fs_space(FsSpaceId space) const { return fs_spaces_.count(space.value) != 0; }
  unsigned fs_levels(FsSpaceId space) const;
  // FSPTPTR of the space: host address, or guest-physical when nested.
  std::uint64_t fs_table(FsSpaceId space) const;
  // Maps [iova, iova + size) (a canonical range) to [out, out + size) with pages of page_size
  // (4 KiB, 2 MiB or 1 GiB); out is a host address, or guest-physical when nested. Intermediate
  // entries get P, R/W, U/S = 1 and XD = 0; `perms` go in the leaves, A = D = 0. Throws like map().
  void map_fs(FsSpaceId space, Iova iova, std::uint64_t out, std::uint64_t size, FsPerms perms = {},
              std::uint64_t page_size = kPageSize4K);
  // Clears the first-stage leaves covering [iova, iova + size) (4 KiB aligned), as unmap() does
  // for second-level tables: unmapped parts skipped, a split superpage refused, tables not freed.
  std::uint64_t unmap_fs(FsSpaceId space, Iova iova, std::uint64_t size);
  // Host address of the first-stage entry at `level` translating iova (throws if its table does
  // not exist); tests use it to read A/D bits back or corrupt entries.
  std::uint64_t fs_entry_address(FsSpaceId space, Iova iova, unsigned level) const;
  // Guest-physical (nested) or host (first-stage only) address of the same entry.
  std::uint64_t fs_entry_table_address(FsSpaceId space, Iova iova, unsigned level) const;
  // PASID-table entry with PGTT 001b (first-stage only; DID = domain, which need not exist) or
  // 011b (nested: the space's second-stage domain gives SSPTPTR and AW, and the DID unless `did`
  // names another: Linux's intel_pasid_setup_nested takes the DID of the nested domain, the
  // second stage being shared by all of a VM's nested domains).
  void set_pasid_entry_first_stage(SourceId source, Pasid pasid, FsSpaceId space, DomainId domain,
                                   FsPasidOptions options = {});
  void set_pasid_entry_nested(SourceId source, Pasid pasid, FsSpaceId space, FsPasidOptions options = {},
                              std::optional<DomainId> did = std::nullopt);

  // ---- Entry addresses (tests use them to corrupt or inspect entries on purpose).
  std::uint64_t root_entry_address(unsigned bus) const;
  std::uint64_t context_entry_address(SourceId source) const;  // throws if no context table yet
  std::uint64_t pasid_dir_entry_address(SourceId source, Pasid pasid) const;
  std::uint64_t pasid_entry_address(SourceId source, Pasid pasid) const;
  // The paging entry at `level` that translates iova; throws if the tables down to that level do
  // not exist.
  std::uint64_t paging_entry_address(DomainId domain, Iova iova, unsigned level) const;

 private:
  struct Domain {
    std::uint64_t table = 0;
    unsigned levels = 4;
  };
  struct PasidDirectory {
    std::uint64_t address = 0;
    std::uint64_t entries = 0;
  };

  struct FsSpace {
    std::uint64_t table = 0;  // host address of the top table
    unsigned levels = 4;
    bool nested = false;
    bool identity = false;  // nested, table pages at guest-physical = host-physical
    DomainId second_stage;
    std::uint64_t next_guest_page = 0;
    std::map<std::uint64_t, std::uint64_t> guest_to_host;  // nested: table pages
  };

  const Domain& domain_or_throw(DomainId domain, const char* what) const;
  const FsSpace& fs_space_or_throw(FsSpaceId space, const char* what) const;
  std::uint64_t allocate_fs_table(FsSpace& space);  // returns its table address
  void add_nested_fs_space(FsSpaceId space, unsigned levels, DomainId second_stage, bool identity,
                           std::uint64_t guest_table_base);
  std::uint64_t fs_host(const FsSpace& space, std::uint64_t table_address) const;
  bool maps_to_itself_read_write(const Domain& domain, std::uint64_t address) const;
  void write_pasid_entry(SourceId source, Pasid pasid, const std::uint64_t* words);
  void require_format(TableFormat format, const char* what) const;
  std::uint64_t legacy_context_table(unsigned bus);                // allocates on first use
  std::uint64_t scalable_context_table(unsigned bus, bool upper);  // allocates on first use
  std::uint64_t read64(std::uint64_t addr) const;
  void write64(std::uint64_t addr, std::uint64_t value);
  void write_words(std::uint64_t addr, const std::uint64_t* words, unsigned count);

  mem::SparseMemory& memory_;
  TableFormat format_;
  unsigned haw_;
  std::uint64_t region_base_;
  std::uint64_t region_end_;
  std::uint64_t next_;
  std::uint64_t root_table_ = 0;
  std::map<std::uint16_t, Domain> domains_;
  std::map<unsigned, std::uint64_t> context_tables_;    // legacy: bus -> table; scalable: bus*2+upper
  std::map<std::uint16_t, PasidDirectory> pasid_dirs_;  // scalable: source -> PASID directory
  std::map<std::uint16_t, FsSpace> fs_spaces_;
};

}  // namespace vtdsim::core
