// First-stage spec decoders: the PASID-table entry's first-stage fields (VT-d spec 9.6), the
// first-stage paging entry format (9.7) and the canonical-address rule (3.6), the new fault codes
// (7.1.3) and CAP.FS5LP (11.4.2).
#include <gtest/gtest.h>

#include "vtdsim/config/unit_config.hpp"
#include "vtdsim/spec/fault_reason.hpp"
#include "vtdsim/spec/fs_paging_entry.hpp"
#include "vtdsim/spec/pasid_entry.hpp"
#include "vtdsim/spec/registers.hpp"
#include "vtdsim/spec/scalable_context_entry.hpp"

using namespace vtdsim;

namespace {

TEST(SpecFirstStage, PasidEntryFieldsRoundTrip) {
  spec::PasidTableEntry::FirstStage f;
  f.fsptptr = 0x12'3456'7000ull;
  f.levels = 5;
  f.sre = true;
  f.wpe = true;
  f.eafe = true;
  const spec::PasidTableEntry e = spec::PasidTableEntry::make_first_stage(f, 0x77);
  EXPECT_EQ(e.translation_type(), spec::PasidTranslationType::kFirstLevel);
  EXPECT_EQ(e.fsptptr(), 0x12'3456'7000ull);
  EXPECT_EQ(e.fspm(), 1u);
  EXPECT_EQ(spec::fs_levels_from_fspm(e.fspm()), 5u);
  EXPECT_TRUE(e.supervisor_requests_enabled());
  EXPECT_FALSE(e.execute_requests_enabled());
  EXPECT_TRUE(e.write_protect_enabled());
  EXPECT_TRUE(e.extended_accessed_enabled());
  EXPECT_EQ(e.domain_id(), 0x77);
  // Bit positions of spec 9.6: SRE 128, FSPM 131:130, WPE 132, EAFE 135, FSPTPTR 191:140.
  EXPECT_EQ(e.q[2], 0x12'3456'7000ull | 1u | (1u << 2) | (1u << 4) | (1u << 7));
  EXPECT_FALSE(e.has_reserved_bits(46));
  const spec::PasidTableEntry n = spec::PasidTableEntry::make_nested(f, 0x88000, 2, 3);
  EXPECT_EQ(n.translation_type(), spec::PasidTranslationType::kNested);
  EXPECT_EQ(n.slptptr(), 0x88000u);
  EXPECT_EQ(n.fsptptr(), f.fsptptr);
}

TEST(SpecFirstStage, FsEntryEncoding) {
  spec::FsEntryFlags f;
  f.write = false;
  f.user = true;
  f.execute_disable = true;
  const spec::FsPagingEntry page = spec::FsPagingEntry::make_page(0x4000'0000, 3, f);
  EXPECT_EQ(page.raw, 0x4000'0000ull | 1u | 4u | (1u << 7) | (1ull << 63));
  EXPECT_EQ(page.address(3), 0x4000'0000u);
  EXPECT_FALSE(page.has_reserved_bits(3, true, 46));
  EXPECT_TRUE(spec::FsPagingEntry{page.raw | (1ull << 13)}.has_reserved_bits(3, true, 46));
  EXPECT_TRUE(spec::FsPagingEntry{page.raw | (1ull << 29)}.has_reserved_bits(3, true, 46));
  EXPECT_FALSE(spec::FsPagingEntry{page.raw | (1ull << 12)}.has_reserved_bits(3, true, 46));  // PAT
  EXPECT_TRUE(spec::FsPagingEntry{spec::FsPagingEntry::make_table(0x5000).raw | spec::FsPagingEntry::kPageSize}
                  .has_reserved_bits(4, false, 46));
  EXPECT_TRUE(spec::fs_canonical(0xffff'8000'0000'0000ull, 4));
  EXPECT_FALSE(spec::fs_canonical(0xfffe'8000'0000'0000ull, 4));
  EXPECT_TRUE(spec::fs_canonical(0x00ff'ffff'ffff'ffffull, 5));
  EXPECT_FALSE(spec::fs_canonical(0x00ff'ffff'ffff'ffffull, 4));
}

TEST(SpecFirstStage, FaultCodesAndNames) {
  using spec::FaultReason;
  EXPECT_EQ(static_cast<int>(FaultReason::kSmFsAccessError), 0x70);
  EXPECT_EQ(static_cast<int>(FaultReason::kSmFsNestedAdWriteDenied), 0x77);
  EXPECT_EQ(static_cast<int>(FaultReason::kSmFsNonCanonical), 0x80);
  EXPECT_EQ(static_cast<int>(FaultReason::kSmFsExecuteDenied), 0x82);
  EXPECT_EQ(static_cast<int>(FaultReason::kSmFsAdUpdateFailed), 0x91);
  EXPECT_STREQ(spec::fault_reason_name(FaultReason::kSmFsNotPresent), "sm_fs_not_present");
  EXPECT_STREQ(spec::fault_reason_name(FaultReason::kSmFsUserDenied), "sm_fs_user_denied");
}

TEST(SpecFirstStage, CapFs5lpAndRidPriv) {
  config::CapabilityConfig c;
  EXPECT_FALSE(spec::reg::cap::fl5lp(spec::reg::make_cap(c)));
  c.fl5lp = true;
  c.fl1gp = 1;
  EXPECT_TRUE(spec::reg::cap::fl5lp(spec::reg::make_cap(c)));
  EXPECT_TRUE(spec::reg::cap::fl1gp(spec::reg::make_cap(c)));
  spec::ScalableContextEntry::Fields f;
  f.rid_pasid = 0x45;
  f.rid_priv = true;
  const spec::ScalableContextEntry e = spec::ScalableContextEntry::make(f);
  EXPECT_EQ(e.rid_pasid(), 0x45u);
  EXPECT_TRUE(e.rid_priv());
  EXPECT_EQ(e.q[1], 0x45u | (1u << 20));
}

}  // namespace
