// Imports the log of QEMU's emulated Intel IOMMU (hw/i386/intel_iommu.c, QEMU 7.2 to 10.2) as
// trace events: the output of `qemu-system-x86_64 ... -device intel-iommu ... -trace 'vtd_*' -D
// FILE`, with the `PID@SECONDS.MICROS:` prefix (-msg timestamp=on up to 10.0), the ISO-8601 one
// (10.1+) or none (qemu_log_prefix.hpp), plain, gzip or zstd.
//
// What each line becomes (docs/trace-format.md "QEMU log"):
//   vtd_dmar_translate dev B:D.F iova I -> gpa G mask M
//       a DMA event (source B:D.F, iova I, 4 bytes, read), preceded when needed by a context event
//       (first use of the source) and by map events so that the replayer's tables hold I -> G with
//       the page size M + 1 (an unmap first if the importer had mapped I elsewhere).
//   vtd_iotlb_cc_hit / vtd_iotlb_cc_update ... high H ...
//       only teach the source -> domain binding (legacy context entry, spec 9.3: DID = H >> 8,
//       AW = H & 7, so levels = AW + 2); a context event is emitted when the binding is new or
//       changes. Their presence never decides anything.
//   vtd_reg_dmar_root ... scalable S
//       the root table's mode. In scalable mode (spec 9.4) the context entry holds no domain-id
//       and no paging depth: contexts get 4 levels, and each device's domain is learnt from the
//       invalidations around it (scalable_domains.hpp); while a domain-id is being inferred the
//       events are held back, so its invalidations can be rewritten before they are handed out.
//       Whether QEMU ran with x-flts=on (first-stage tables) is not logged either: QEMU 10.0's
//       stage is one for the whole unit (vtd_do_iommu_translate walks vtd_iova_to_flpte iff
//       s->flts && s->root_scalable; vtd_cap_init then offers ECAP.FLTS without SLTS, so
//       vtd_pe_type_check refuses PGTT 010b). With QemuFlts::kAuto it is read from the guest's
//       first IOTLB invalidation after the first translation: Linux flushes first-stage domains
//       with PASID-based IOTLB invalidations and second-stage ones with legacy IOTLB
//       invalidations, page-selective (6.1 iommu_flush_iotlb_psi, 6.12 cache_tag_flush_range)
//       and flush-queue ones alike (6.1 intel_flush_iotlb_all, 6.12 cache_tag_flush_all), all by
//       domain_use_first_level / use_first_level. Until then the scalable contexts (and everything
//       after them) are held back; first-stage ones get stage=first, second-stage ones stay
//       legacy contexts as before. A log that never tells is replayed as second stage and says so
//       (QemuImportStats::sm_stage_unknown).
//   vtd_inv_desc_iotlb_pages domain D addr A mask M   -> inv iotlb page did=D addr=A am=M
//   vtd_inv_desc_iotlb_domain ... domain D            -> inv iotlb domain did=D
//   vtd_inv_desc_iotlb_global                         -> inv iotlb global
//   vtd_inv_desc_cc_global                            -> inv context global
//   vtd_inv_desc_cc_domain                            -> inv context global (QEMU 7.2 treats a
//                                                        domain-selective context invalidation as global)
//   vtd_inv_desc_cc_devices sid S fmask F             -> inv context device sid=S fm=F
//   vtd_context_cache_reset                           -> inv context global + inv iotlb global
//       (QEMU's vtd_reset_caches on SRTP, on a TE change and at reset empties both)
//   vtd_inv_desc_iec granularity G index I mask M     -> inv iec global / page
//   vtd_dmar_enable enable 0|1                        -> translate lines while 0 are not DMA events
//                                                        (QEMU passes them through untranslated)
//   vtd_inv_desc invalidate desc type T high H low L  -> for the types without a line of their own,
//       decoded from the raw descriptor (spec 6.5.2, core::decode_descriptor): p-iotlb (QEMU 10.0+)
//       -> inv piotlb pasid/page; pasid-cache (10.2+) -> inv pasid-cache; device and
//       device-piotlb -> inv devtlb. context-cache, iotlb, iec, wait and page group response have
//       their own lines or change no translation cache; any other T is counted in
//       stats.undecoded_descriptors.
// Every other line (other trace points, QEMU's IOTLB decisions vtd_iotlb_page_hit /
// vtd_iotlb_page_update / vtd_iotlb_reset, vtd_inv_desc_cc_device, register traces, ...) is
// counted per trace-point name and skipped, never an error. A malformed line of a kind that is
// used throws TraceError("FILE:LINE: what").
//
// Speed (issue #4, tools/bench-qemu-import.sh): lines are parsed in place in the reader's buffers
// (CompressedInput::read_line_view, decompression in its own thread), the trace-point name is
// looked up once per line in a table of the names seen so far, and only used lines are split into
// fields; numbers are parsed by hand in their usual forms and by the C library otherwise, so any
// line is accepted or rejected exactly as strtoull/sscanf would.
#pragma once
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "vtdsim/trace/compressed_input.hpp"
#include "vtdsim/trace/scalable_domains.hpp"
#include "vtdsim/trace/trace_event.hpp"
#include "vtdsim/trace/trace_source.hpp"

namespace vtdsim::trace {

struct QemuImportStats {
  std::uint64_t lines = 0;
  std::map<std::string, std::uint64_t> used;      // trace-point name -> lines that produced events/state
  std::map<std::string, std::uint64_t> skipped;   // trace-point name -> lines not used
  std::uint64_t not_trace_lines = 0;              // lines that are not "[PID@S.US:]name args"
  std::uint64_t events[5] = {0, 0, 0, 0, 0};      // emitted, by EventKind
  std::uint64_t translations_while_disabled = 0;  // vtd_dmar_translate while TE = 0
  std::uint64_t unknown_domain_translations = 0;  // translations of a source no context line named
  std::uint64_t remaps = 0;                       // a page seen mapped to a new address (unmap + map)
  // What the log says about the QEMU that wrote it (the replay checks it against the preset).
  std::uint64_t iso_prefix_lines = 0;                          // lines with the QEMU 10.1+ ISO-8601 time
  bool scalable_mode = false;                                  // the last vtd_reg_dmar_root said scalable 1
  std::uint8_t legacy_context_levels = 0;                      // bit L: a legacy context entry with L levels
  std::uint64_t pasid_iotlb_pasid = 0, pasid_iotlb_page = 0;   // decoded P_IOTLB descriptors
  std::uint64_t pasid_cache = 0, device_tlb = 0;               // decoded PC / device-TLB descriptors
  std::uint64_t rejected_descriptors = 0;                      // raw descriptors that are not valid (no effect)
  std::map<std::string, std::uint64_t> undecoded_descriptors;  // vtd_inv_desc types not understood
  std::uint64_t sm_domains_from_attach = 0;                    // scalable mode: source -> domain from attach
  std::vector<std::string> sm_domains_inferred;                // "00:02.0 -> 0x4 (line N)": learnt by guess
  std::uint64_t invalidations_of_unknown_domains = 0;          // scalable mode: no source known for the DID
  std::uint64_t nonzero_rid_pasid = 0;                         // scalable contexts with RID_PASID != 0
  // Scalable mode: the stage of the contexts (kFirst: QEMU x-flts=on; kSecond: off; kLegacy: not
  // known yet, or a legacy-mode log), the line that told it (0: forced by QemuFlts), and whether
  // the log ended (or 65536 events were held) without telling: then second stage was assumed.
  ContextStage sm_stage = ContextStage::kLegacy;
  std::uint64_t sm_stage_line = 0;
  bool sm_stage_unknown = false;
  std::uint64_t events_of(EventKind kind) const { return events[static_cast<int>(kind)]; }
};

// Domain used for a source whose domain the log never showed (no vtd_iotlb_cc_* line before its
// first translation), with 3-level tables (QEMU's default aw-bits=39).
inline constexpr std::uint16_t kQemuUnknownDomain = 0xffff;

// Whether the QEMU that wrote a scalable-mode log ran with x-flts=on (see above).
enum class QemuFlts : std::uint8_t { kAuto, kOn, kOff };
const char* to_string(QemuFlts flts);
QemuFlts parse_qemu_flts(const std::string& name);  // auto, on, off; std::invalid_argument otherwise

class QemuLogImporter final : public TraceSource {
 public:
  explicit QemuLogImporter(const std::string& path);
  explicit QemuLogImporter(std::unique_ptr<CompressedInput> input);

  std::optional<TraceEvent> next() override;
  bool next_into(TraceEvent& out) override;
  std::string position() const override;  // "FILE:LINE" of the line that produced the last event

  const QemuImportStats& stats() const { return stats_; }
  // Before the first next(): the x-flts setting of the QEMU that wrote the log (default kAuto).
  void set_flts(QemuFlts flts) { flts_ = flts; }

 private:
  struct Binding {
    DomainId domain;
    std::uint8_t levels = 3;
    core::TranslationType type = core::TranslationType::kUntranslated;
  };
  struct Mapping {
    std::uint64_t size = 0;
    std::uint64_t host = 0;
  };
  // What a trace point's lines become (see the table above).
  enum class LineKind : std::uint8_t {
    kSkip,
    kTranslate,
    kContextCache,
    kInvIotlbPages,
    kInvIotlbDomain,
    kInvIotlbGlobal,
    kInvContextGlobal,
    kInvContextDevices,
    kContextCacheReset,
    kInvIec,
    kDmarEnable,
    kDmarRoot,
    kInvDesc,
  };
  struct NameEntry {
    LineKind kind = LineKind::kSkip;
    std::uint64_t* count = nullptr;  // the name's counter in stats_.used or stats_.skipped
  };

  void process_line(std::string_view line);
  bool translate_fast(std::string_view args);
  // The table entry of a name (added on first sight); its key views the counter's key in stats_.
  const std::pair<const std::string_view, NameEntry>& name_entry(std::string_view name);
  void emit(const TraceEvent& event);
  void bind(SourceId source, const Binding& binding);
  void translate_line();
  void translate(std::string_view dev, std::uint64_t iova, std::uint64_t gpa, std::uint64_t mask);
  void raw_descriptor(std::string_view args);
  // An invalidation of `did` over [first_page, first_page + pages) (pages = 0: the whole
  // domain); in scalable mode its domain is what ScalableDomains says, perhaps decided later.
  void emit_invalidation(TraceEvent e, std::uint16_t did, std::uint64_t first_page, std::uint64_t pages);
  void apply_domain_decisions();
  DomainId scalable_domain(SourceId source);  // ScalableDomains::domain_of, its limit a TraceError
  std::uint64_t field(std::string_view name, std::string_view key) const;
  std::uint64_t value(std::string_view name, std::string_view key, std::string_view v) const;
  static bool fixed_fields(std::string_view args, std::string_view lead, std::initializer_list<std::string_view> keys,
                           std::string_view* values);
  [[noreturn]] void fail(const std::string& what) const;

  std::unique_ptr<CompressedInput> input_;
  bool input_failed_ = false;             // decompression or I/O failed: reported once, then the end
  std::vector<std::string_view> tokens_;  // the fields of the current line: [0, token_count_)
  std::size_t token_count_ = 0;
  struct Pending {
    TraceEvent event;
    std::uint64_t line = 0;
    bool undecided = false;        // an invalidation whose domain-id ScalableDomains has not decided
    bool stage_undecided = false;  // a scalable context whose stage is not known yet
  };
  // Scalable mode, kAuto: the stage is known (line: the invalidation that told, 0 if assumed).
  void decide_stage(ContextStage stage, std::uint64_t line);
  ContextStage scalable_stage() const;  // of a new scalable context; kLegacy while undecided
  std::deque<Pending> pending_;
  std::uint64_t position_line_ = 0;
  QemuImportStats stats_;
  // Trace-point names seen so far; the keys view the keys of stats_.used / stats_.skipped.
  std::unordered_map<std::string_view, NameEntry> names_;
  // In front of names_: a direct-mapped cache indexed by a hash taken while the name is scanned.
  struct NameSlot {
    std::string_view name;
    const NameEntry* entry = nullptr;
  };
  NameSlot name_cache_[64];
  std::uint64_t time_ns_ = 0;
  bool have_first_time_ = false;
  std::uint64_t first_time_us_ = 0;
  bool translation_enabled_ = true;                     // until a vtd_dmar_enable line says otherwise
  std::unordered_map<std::uint16_t, Binding> learned_;  // from context-cache lines
  std::unordered_map<std::uint16_t, Binding> emitted_;  // last context event per source
  // What the emitted map events left in the tables: (domain, iova base) -> size, host base.
  // Non-overlapping ranges; grows with the distinct pages the log touches, not its length.
  std::map<std::pair<std::uint16_t, std::uint64_t>, Mapping> mappings_;
  std::vector<std::map<std::pair<std::uint16_t, std::uint64_t>, Mapping>::iterator> stale_;  // reused
  // Scalable mode (see the table above).
  bool scalable_ = false;
  ScalableDomains domains_;
  std::uint64_t undecided_held_ = 0;  // undecided invalidations in pending_
  QemuFlts flts_ = QemuFlts::kAuto;
  bool sm_translated_ = false;  // a translation in scalable mode: the next IOTLB flush tells the stage
  bool stage_decided_ = false;
};

// The oldest QEMU release whose trace the log's lines show ("10.2", "10.1", "10.0"), or "" when
// nothing in it is newer than 7.2 (vtd_reset_exit and p-iotlb lines came with 10.0, the ISO time
// with 10.1, PASID-cache lines with 10.2).
std::string qemu_release_shown(const QemuImportStats& stats);

// True if one of the first lines of `head` is a QEMU trace line of a vtd_ trace point.
bool looks_like_qemu_log(const std::string& head);

}  // namespace vtdsim::trace
