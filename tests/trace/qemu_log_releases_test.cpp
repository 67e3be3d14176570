// What the importer reads from newer QEMU releases and from scalable-mode logs, on hand-written
// lines with known answers: the QEMU 10.1+ ISO-8601 prefix, the raw vtd_inv_desc descriptors of
// QEMU 10.0+, and the scalable-mode domain learning. (The real logs: qemu_recorded_logs_test.cpp.)
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/trace_test_util.hpp"
#include "vtdsim/trace/compressed_input.hpp"
#include "vtdsim/trace/qemu_log_importer.hpp"
#include "vtdsim/trace/qemu_log_prefix.hpp"
#include "vtdsim/trace/trace_error.hpp"

using namespace vtdsim;
using namespace vtdsim::trace;
using core::InvalidationGranularity;
using core::InvalidationTarget;
using vtdsim::testutil::TempFile;

namespace {

std::vector<TraceEvent> import(const std::string& text, QemuImportStats* stats = nullptr) {
  TempFile f(".log");
  f.write(text);
  QemuLogImporter importer(f.path());
  std::vector<TraceEvent> events;
  while (auto e = importer.next()) events.push_back(*e);
  if (stats) *stats = importer.stats();
  return events;
}

std::vector<TraceEvent> of_kind(const std::vector<TraceEvent>& events, EventKind kind) {
  std::vector<TraceEvent> out;
  for (const auto& e : events)
    if (e.kind == kind) out.push_back(e);
  return out;
}

// "PID@S.US:name" -> "ISO name", as QEMU 10.1 writes the same line (util/log.c qemu_log).
std::string to_iso(const std::string& pid_text) {
  std::string out;
  std::size_t pos = 0;
  while (pos < pid_text.size()) {
    std::size_t end = pid_text.find('\n', pos);
    const std::string line = pid_text.substr(pos, end - pos);
    pos = end == std::string::npos ? pid_text.size() : end + 1;
    const std::size_t at = line.find('@'), colon = line.find(':');
    const std::string us = line.substr(at + 1, colon - at - 1);  // SECONDS.MICROS
    const std::uint64_t secs = std::stoull(us.substr(0, us.find('.')));
    const std::string frac = us.substr(us.find('.') + 1);
    char iso[64];
    std::snprintf(iso, sizeof iso, "2025-07-21T18:%02llu:%02lluZ", static_cast<unsigned long long>(secs / 60 % 60),
                  static_cast<unsigned long long>(secs % 60));
    std::string stamp(iso);
    if (frac != "000000") stamp.insert(stamp.size() - 1, "." + frac);  // GLib drops a zero fraction
    out += stamp + " " + line.substr(colon + 1) + "\n";
  }
  return out;
}

const std::string kLegacyLines =
    "7@100.000000:vtd_iotlb_cc_update IOTLB context update bus 0x0 devfn 0x18 high 0x502 low 0x28d9001 gen 0 -> gen 1\n"
    "7@100.000250:vtd_dmar_translate dev 00:03.00 iova 0xffffb000 -> gpa 0x29e0000 mask 0xfff\n"
    "7@101.500000:vtd_inv_desc_iotlb_pages iotlb invalidate domain 0x5 addr 0xffffb000 mask 0x0\n"
    "7@102.000001:vtd_dmar_translate dev 00:03.00 iova 0xffffb000 -> gpa 0x29e0000 mask 0xfff\n";

}  // namespace

TEST(QemuLogPrefix, EachReleasesForm) {
  QemuLinePrefix p;
  ASSERT_TRUE(parse_qemu_prefix("5723@1796155379.113950:vtd_x 1", p));
  EXPECT_EQ(p.kind, QemuPrefix::kPidTime);
  EXPECT_EQ(p.micros, 1796155379113950ull);
  EXPECT_EQ(p.rest, 23u);
  ASSERT_TRUE(parse_qemu_prefix("2025-07-21T18:43:28.089797Z vtd_x 1", p));
  EXPECT_EQ(p.kind, QemuPrefix::kIsoTime);
  EXPECT_EQ(p.micros, 1753123408ull * 1000000 + 89797);  // date -u -d 2025-07-21T18:43:28Z +%s
  EXPECT_EQ(p.rest, 28u);
  ASSERT_TRUE(parse_qemu_prefix("2025-07-21T18:43:28Z vtd_x", p));  // GLib leaves out a zero fraction
  EXPECT_EQ(p.micros, 1753123408ull * 1000000);
  ASSERT_TRUE(parse_qemu_prefix("2025-07-21T20:43:28.5+02:00 vtd_x", p));
  EXPECT_EQ(p.micros, 1753123408ull * 1000000 + 500000);
  ASSERT_TRUE(parse_qemu_prefix("2024-02-29T00:00:00Z vtd_x", p));  // a leap day
  EXPECT_EQ(p.micros, 1709164800ull * 1000000);
  ASSERT_TRUE(parse_qemu_prefix("vtd_x 1", p));
  EXPECT_EQ(p.kind, QemuPrefix::kNone);
  EXPECT_EQ(p.rest, 0u);
  EXPECT_FALSE(parse_qemu_prefix("2025-13-21T18:43:28Z vtd_x", p));  // month 13
  EXPECT_FALSE(parse_qemu_prefix("2025-07-21T18:43:28.Z vtd_x", p));
  EXPECT_FALSE(parse_qemu_prefix("2025-07-21T18:43:28 vtd_x", p));  // no zone
  EXPECT_FALSE(parse_qemu_prefix("2025-07-21T18:43:28Zvtd_x", p));  // no space
}

// Cause 5 of the QEMU-logs issue: QEMU 10.1 with -msg timestamp=on. The same lines with either
// prefix give the same events at the same relative times.
TEST(QemuLogReleases, IsoPrefixedLinesGiveTheSameEvents) {
  QemuImportStats iso_stats;
  const auto pid = import(kLegacyLines);
  const auto iso = import(to_iso(kLegacyLines), &iso_stats);
  ASSERT_EQ(pid.size(), iso.size());
  ASSERT_EQ(pid.size(), 5u);  // context, map, dma, inv, dma (the same mapping)
  for (std::size_t i = 0; i < pid.size(); ++i) {
    EXPECT_EQ(pid[i].kind, iso[i].kind) << i;
    EXPECT_EQ(pid[i].time_ns, iso[i].time_ns) << i;
    EXPECT_EQ(pid[i].iova, iso[i].iova) << i;
  }
  EXPECT_EQ(iso.back().time_ns, 2000001000u);  // 2.000001 s after the first line
  EXPECT_EQ(iso_stats.iso_prefix_lines, 4u);
  EXPECT_EQ(qemu_release_shown(iso_stats), "10.1");
  EXPECT_TRUE(looks_like_qemu_log(to_iso(kLegacyLines)));
}

// Cause 4: QEMU 10.0 logs PASID-based IOTLB invalidations only as "vtd_inv_desc ... type p-iotlb
// high QW1 low QW0". P_IOTLB_INV_DSC (spec 6.5.2.4): QW0 type 6 [3:0], G [5:4], DID [31:16],
// PASID [51:32]; QW1 AM [5:0], IH [6], ADDR [63:12].
TEST(QemuLogReleases, RawDescriptorsAreDecoded) {
  QemuImportStats s;
  const auto events = of_kind(
      import("vtd_inv_desc invalidate desc type p-iotlb high 0x0 low 0x60026\n"
             "vtd_inv_desc invalidate desc type p-iotlb high 0xffffb041 low 0x700040036\n"
             "vtd_inv_desc invalidate desc type pasid-cache high 0x0 low 0x40007\n"  // PC (6.5.2.2): G 00b DSI, did 4
             "vtd_inv_desc invalidate desc type p-iotlb high 0x0 low 0x40006\n"      // G = 00b: reserved
             "vtd_inv_desc invalidate desc type iotlb high 0x0 low 0x20012\n"        // has its own line
             "vtd_inv_desc invalidate desc type wait high 0x0 low 0x25\n"
             "vtd_inv_desc invalidate desc type page group response high 0x0 low 0x9\n"
             "vtd_inv_desc invalidate desc type frobnicate high 0x0 low 0x1f\n",
             &s),
      EventKind::kInvalidate);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].invalidation.target, InvalidationTarget::kPasidIotlb);
  EXPECT_EQ(events[0].invalidation.granularity, InvalidationGranularity::kPasid);
  EXPECT_EQ(events[0].invalidation.domain, DomainId(6));
  EXPECT_EQ(events[0].invalidation.pasid, Pasid(0));
  EXPECT_EQ(events[1].invalidation.granularity, InvalidationGranularity::kPage);
  EXPECT_EQ(events[1].invalidation.domain, DomainId(4));
  EXPECT_EQ(events[1].invalidation.pasid, Pasid(7));
  EXPECT_EQ(events[1].invalidation.addr, Iova(0xffffa000));  // AM 1: aligned to 2 pages
  EXPECT_EQ(events[1].invalidation.address_mask, 1u);
  EXPECT_TRUE(events[1].invalidation.invalidation_hint);
  EXPECT_EQ(events[2].invalidation.target, InvalidationTarget::kPasidCache);
  EXPECT_EQ(events[2].invalidation.granularity, InvalidationGranularity::kDomain);
  EXPECT_EQ(events[2].invalidation.domain, DomainId(4));
  EXPECT_EQ(s.pasid_iotlb_pasid, 1u);
  EXPECT_EQ(s.pasid_iotlb_page, 1u);
  EXPECT_EQ(s.pasid_cache, 1u);
  EXPECT_EQ(s.rejected_descriptors, 1u);
  ASSERT_EQ(s.undecoded_descriptors.size(), 1u);
  EXPECT_EQ(s.undecoded_descriptors.at("frobnicate"), 1u);
  EXPECT_EQ(qemu_release_shown(s), "10.2");
  EXPECT_THROW(import("vtd_inv_desc invalidate desc type p-iotlb high 0x0\n"), TraceError);
}

// Cause 2: a scalable-mode context entry has no domain-id. Linux's attach with caching mode names
// it: the device's context-cache invalidation, then the new domain's domain-selective flush.
TEST(QemuLogReleases, ScalableModeLearnsTheDomainFromTheAttachSequence) {
  QemuImportStats s;
  const auto events = import(
      "vtd_reg_dmar_root addr 0x1917000 scalable 1\n"
      "vtd_inv_desc_cc_devices context invalidate devices sid 0x10 fmask 0x0\n"
      "vtd_inv_desc_iotlb_domain iotlb invalidate whole domain 0x4\n"
      "vtd_iotlb_cc_update IOTLB context update bus 0x0 devfn 0x10 high 0x0 low 0x24d6401 gen 0 -> gen 1\n"
      "vtd_dmar_translate dev 00:02.00 iova 0xffffe000 -> gpa 0x2000000 mask 0xfff\n"
      "vtd_inv_desc_iotlb_pages iotlb invalidate domain 0x4 addr 0xffffe000 mask 0x0\n",
      &s);
  const auto contexts = of_kind(events, EventKind::kContext);
  ASSERT_EQ(contexts.size(), 1u);
  EXPECT_EQ(contexts[0].source, SourceId::from_bdf(0, 2, 0));
  EXPECT_EQ(contexts[0].domain, DomainId(4));
  EXPECT_EQ(contexts[0].levels, 4u);  // not in a scalable-mode context entry
  EXPECT_EQ(of_kind(events, EventKind::kInvalidate).back().invalidation.domain, DomainId(4));
  EXPECT_TRUE(s.scalable_mode);
  EXPECT_EQ(s.sm_domains_from_attach, 1u);
  EXPECT_TRUE(s.sm_domains_inferred.empty());
  // The legacy decode of the same context line would give DID 0: the scalable one must not.
  EXPECT_EQ(s.nonzero_rid_pasid, 0u);
}

// Without caching mode there is no attach sequence: each device gets a domain of its own, and the
// invalidations of unknown domain-ids vote (scalable_domains.hpp): a page-selective one for the
// device that used a page of its range shortly before (2 votes), a domain-wide one for the last
// device to translate (1). Three votes decide; the rest is decided at the end of the input. The
// events wait meanwhile, so the invalidations held back are rewritten too.
TEST(QemuLogReleases, ScalableModeInfersDomainsFromVotes) {
  QemuImportStats s;
  const auto events = import(
      "vtd_reg_dmar_root addr 0x1917000 scalable 1\n"
      "vtd_iotlb_cc_update IOTLB context update bus 0x0 devfn 0x10 high 0x0 low 0x24d6401 gen 0 -> gen 1\n"
      "vtd_dmar_translate dev 00:02.00 iova 0xffffe000 -> gpa 0x2000000 mask 0xfff\n"
      "vtd_iotlb_cc_update IOTLB context update bus 0x0 devfn 0x18 high 0x0 low 0x24d7401 gen 0 -> gen 1\n"
      "vtd_dmar_translate dev 00:03.00 iova 0xffffd000 -> gpa 0x3000000 mask 0xfff\n"
      "vtd_inv_desc_iotlb_pages iotlb invalidate domain 0x4 addr 0xffffe000 mask 0x0\n"  // 00:02.0: 2
      "vtd_inv_desc_iotlb_pages iotlb invalidate domain 0x4 addr 0xffffe000 mask 0x0\n"  // 00:02.0: 4, decided
      "vtd_inv_desc_iotlb_domain iotlb invalidate whole domain 0x5\n"                    // 00:03.0: 1
      "vtd_inv_desc_iotlb_domain iotlb invalidate whole domain 0x9\n",                   // 00:03.0: 1
      &s);
  const auto contexts = of_kind(events, EventKind::kContext);
  ASSERT_EQ(contexts.size(), 2u);
  const DomainId blk = contexts[0].domain, net = contexts[1].domain;
  EXPECT_EQ(blk, DomainId(0xfffe));
  EXPECT_EQ(net, DomainId(0xfffd));
  const auto invs = of_kind(events, EventKind::kInvalidate);
  ASSERT_EQ(invs.size(), 4u);
  EXPECT_EQ(invs[0].invalidation.domain, blk);  // held back, then rewritten
  EXPECT_EQ(invs[1].invalidation.domain, blk);
  EXPECT_EQ(invs[2].invalidation.domain, net);          // decided at the end: 1 vote against none
  EXPECT_EQ(invs[3].invalidation.domain, DomainId(9));  // 00:03.0 is taken: nobody left for 0x9
  ASSERT_EQ(s.sm_domains_inferred.size(), 2u);
  EXPECT_EQ(s.sm_domains_inferred[0], "00:02.0 -> 0x4 (line 7)");
  EXPECT_EQ(s.sm_domains_inferred[1], "00:03.0 -> 0x5 (line 9)");
  EXPECT_EQ(s.invalidations_of_unknown_domains, 1u);
}

// Linux 6.12 with caching mode: the new context is flushed with DID 0, and the PASID-entry set-up
// (a PASID-selective P_IOTLB of (DID, 0), logged by QEMU 10.0+) names the domains in attach order.
TEST(QemuLogReleases, ScalableModeLearnsTheDomainFromThePasidSetUp) {
  QemuImportStats s;
  const auto events = import(
      "vtd_reg_dmar_root addr 0x1853000 scalable 1\n"
      "vtd_inv_desc_cc_devices context invalidate devices sid 0x10 fmask 0x0\n"
      "vtd_inv_desc_iotlb_domain iotlb invalidate whole domain 0x0\n"
      "vtd_inv_desc_cc_devices context invalidate devices sid 0x18 fmask 0x0\n"
      "vtd_inv_desc_iotlb_domain iotlb invalidate whole domain 0x0\n"
      "vtd_inv_desc invalidate desc type p-iotlb high 0x0 low 0x40026\n"
      "vtd_inv_desc invalidate desc type p-iotlb high 0x0 low 0x50026\n"
      "vtd_iotlb_cc_update IOTLB context update bus 0x0 devfn 0x18 high 0x0 low 0x24d7401 gen 0 -> gen 1\n"
      "vtd_dmar_translate dev 00:03.00 iova 0xffffd000 -> gpa 0x3000000 mask 0xfff\n",
      &s);
  const auto contexts = of_kind(events, EventKind::kContext);
  ASSERT_EQ(contexts.size(), 1u);
  EXPECT_EQ(contexts[0].domain, DomainId(5));
  EXPECT_EQ(s.sm_domains_from_attach, 2u);
  EXPECT_TRUE(s.sm_domains_inferred.empty());
}
