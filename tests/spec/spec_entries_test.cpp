// Spec entry decoders (VT-d spec 9.1-9.6, 9.8): raw bit patterns with known field values.
#include <gtest/gtest.h>

#include "vtdsim/spec/context_entry.hpp"
#include "vtdsim/spec/fault_reason.hpp"
#include "vtdsim/spec/pasid_entry.hpp"
#include "vtdsim/spec/root_entry.hpp"
#include "vtdsim/spec/scalable_context_entry.hpp"
#include "vtdsim/spec/sl_paging_entry.hpp"

using namespace vtdsim::spec;

TEST(SpecEntries, RootEntryFieldsAndReservedBits) {
  const RootEntry e{0x0000'0012'3456'7001ull, 0};
  EXPECT_TRUE(e.present());
  EXPECT_EQ(e.context_table(), 0x12'3456'7000ull);
  EXPECT_FALSE(e.has_reserved_bits(46));
  EXPECT_TRUE((RootEntry{0x1003, 0}.has_reserved_bits(46)));            // bit 1
  EXPECT_TRUE((RootEntry{(1ull << 46) | 1, 0}.has_reserved_bits(46)));  // above HAW
  EXPECT_FALSE((RootEntry{(1ull << 46) | 1, 0}.has_reserved_bits(48)));
  EXPECT_TRUE((RootEntry{0x1001, 1}.has_reserved_bits(46)));  // upper qword
  EXPECT_EQ(RootEntry::offset(0x12), 0x120u);
}

TEST(SpecEntries, ScalableRootEntryHalves) {
  const ScalableRootEntry e = ScalableRootEntry::make(0x5000, true, 0x9000, false);
  EXPECT_TRUE(e.present_for(0x7f));
  EXPECT_FALSE(e.present_for(0x80));
  EXPECT_EQ(e.context_table_for(0x10), 0x5000u);
  EXPECT_EQ(e.context_table_for(0xff), 0x9000u);
  const ScalableRootEntry bad{0x5001, 0x9001 | (1ull << 5)};
  EXPECT_FALSE(bad.has_reserved_bits_for(0x00, 46));
  EXPECT_TRUE(bad.has_reserved_bits_for(0x80, 46));
}

TEST(SpecEntries, LegacyContextEntryFields) {
  // P, FPD, TT=10b, SLPTPTR 0xabc000; AW=010b, DID 0x1234.
  const ContextEntry e{0xabc000 | 0x1 | 0x2 | (2u << 2), 0x2 | (0x1234ull << 8)};
  EXPECT_TRUE(e.present());
  EXPECT_TRUE(e.fault_processing_disabled());
  EXPECT_EQ(e.translation_type(), ContextTranslationType::kPassThrough);
  EXPECT_EQ(e.slptptr(), 0xabc000u);
  EXPECT_EQ(e.address_width(), 2u);
  EXPECT_EQ(e.domain_id(), 0x1234u);
  EXPECT_FALSE(e.has_reserved_bits(46));
  EXPECT_TRUE((ContextEntry{0x1 | (1u << 4), 0}.has_reserved_bits(46)));
  EXPECT_TRUE((ContextEntry{0x1, 1ull << 7}.has_reserved_bits(46)));     // bit 71
  EXPECT_TRUE((ContextEntry{0x1, 1ull << 24}.has_reserved_bits(46)));    // bit 88
  EXPECT_FALSE((ContextEntry{0x1, 0xfull << 3}.has_reserved_bits(46)));  // bits 70:67 ignored
  // SLPTPTR above HAW is reserved unless the context is pass-through (pointer ignored).
  EXPECT_TRUE((ContextEntry{(1ull << 50) | 0x1, 0}.has_reserved_bits(46)));
  EXPECT_FALSE((ContextEntry{(1ull << 50) | 0x1 | (2u << 2), 0}.has_reserved_bits(46)));
  EXPECT_EQ(paging_levels_from_aw(1), 3u);
  EXPECT_EQ(paging_levels_from_aw(3), 5u);
  EXPECT_EQ(paging_levels_from_aw(0), 0u);
  EXPECT_EQ(paging_levels_from_aw(4), 0u);
  EXPECT_TRUE(sagaw_supports(0b0110, 2));
  EXPECT_FALSE(sagaw_supports(0b0110, 3));
}

TEST(SpecEntries, ScalableContextEntryFields) {
  ScalableContextEntry e;
  e.q[0] = 0x77000 | 0x1 | 0x4 | 0x8 | (3u << 9);
  e.q[1] = 0x12345 | (1u << 20);
  EXPECT_TRUE(e.present());
  EXPECT_FALSE(e.fault_processing_disabled());
  EXPECT_TRUE(e.device_tlb_enabled());
  EXPECT_TRUE(e.pasid_enabled());
  EXPECT_EQ(e.pasid_dir_size(), 3u);
  EXPECT_EQ(e.pasid_dir_entries(), 1024u);
  EXPECT_EQ(e.pasid_dir_pointer(), 0x77000u);
  EXPECT_EQ(e.rid_pasid(), 0x12345u);
  EXPECT_TRUE(e.rid_priv());
  EXPECT_FALSE(e.has_reserved_bits(46));
  e.q[2] = 1;
  EXPECT_TRUE(e.has_reserved_bits(46));
  EXPECT_EQ(ScalableContextEntry::offset(0x85), 5u * 32);
}

TEST(SpecEntries, PasidEntriesFields) {
  EXPECT_EQ(pasid_dir_index(0x12345), 0x48du);
  EXPECT_EQ(pasid_table_index(0x12345), 0x05u);
  const PasidDirEntry d{0x44000 | 0x3};
  EXPECT_TRUE(d.present());
  EXPECT_TRUE(d.fault_processing_disabled());
  EXPECT_EQ(d.pasid_table(), 0x44000u);
  EXPECT_TRUE((PasidDirEntry{0x44000 | 0x5}.has_reserved_bits(46)));
  const PasidTableEntry p = PasidTableEntry::make(PasidTranslationType::kSecondLevel, 0x88000, 2, 0x42, true);
  EXPECT_EQ(p.q[0], 0x88000u | 0x1 | 0x2 | (2u << 2) | (2u << 6));
  EXPECT_EQ(p.translation_type(), PasidTranslationType::kSecondLevel);
  EXPECT_EQ(p.address_width(), 2u);
  EXPECT_EQ(p.domain_id(), 0x42u);
  EXPECT_FALSE(p.has_reserved_bits(46));
  PasidTableEntry r = p;
  r.q[1] |= 1ull << 16;
  EXPECT_TRUE(r.has_reserved_bits(46));
}

TEST(SpecEntries, SecondLevelEntryReservedBitsDependOnLevelAndLeaf) {
  const SlReservedOptions o{46, false, false};
  const SlPagingEntry table = SlPagingEntry::make_table(0x123000);
  EXPECT_TRUE(table.present());
  EXPECT_FALSE(table.page_size());
  EXPECT_EQ(table.address(), 0x123000u);
  for (unsigned level = 2; level <= 5; ++level) EXPECT_FALSE(table.has_reserved_bits(level, false, o));
  EXPECT_TRUE((SlPagingEntry{table.raw | (1ull << 7)}.has_reserved_bits(4, false, o)));    // PS in PML4E
  EXPECT_TRUE((SlPagingEntry{table.raw | (1ull << 11)}.has_reserved_bits(3, false, o)));   // bit 11 non-leaf
  EXPECT_TRUE((SlPagingEntry{table.raw | (1ull << 47)}.has_reserved_bits(2, false, o)));   // above HAW
  EXPECT_FALSE((SlPagingEntry{table.raw | (1ull << 55)}.has_reserved_bits(2, false, o)));  // ignored
  const SlPagingEntry page2m = SlPagingEntry::make_page(0x40200000, 2, true, false);
  EXPECT_TRUE(page2m.page_size());
  EXPECT_EQ(page2m.address(2), 0x40200000u);
  EXPECT_FALSE(page2m.has_reserved_bits(2, true, o));
  EXPECT_TRUE((SlPagingEntry{page2m.raw | 0x1000}.has_reserved_bits(2, true, o)));  // bit 12 of a 2M page
  const SlPagingEntry pte = SlPagingEntry::make_page(0x5000, 1, true, true);
  EXPECT_TRUE((SlPagingEntry{pte.raw | (1ull << 11)}.has_reserved_bits(1, true, o)));
  EXPECT_FALSE((SlPagingEntry{pte.raw | (1ull << 11)}.has_reserved_bits(1, true, SlReservedOptions{46, true, false})));
  EXPECT_TRUE((SlPagingEntry{pte.raw | (1ull << 62)}.has_reserved_bits(1, true, o)));
  EXPECT_FALSE((SlPagingEntry{pte.raw | (1ull << 62)}.has_reserved_bits(1, true, SlReservedOptions{46, false, true})));
  EXPECT_FALSE((SlPagingEntry{0x5000}.present()));
  EXPECT_EQ(SlPagingEntry::index(0x12345678, 2), 0x91u);
  EXPECT_EQ(SlPagingEntry::index(0x12345678, 1), 0x145u);
  EXPECT_TRUE(sllps_allows(0b01, 2));
  EXPECT_FALSE(sllps_allows(0b01, 3));
  EXPECT_FALSE(sllps_allows(0b11, 4));
}

TEST(SpecEntries, ScalableFaultCodesHaveTheSpecValuesAndNames) {
  EXPECT_EQ(static_cast<int>(FaultReason::kSmRootNotPresent), 0x39);
  EXPECT_EQ(static_cast<int>(FaultReason::kSmContextNotPresent), 0x41);
  EXPECT_EQ(static_cast<int>(FaultReason::kSmPageRequestDisabled), 0x47);
  EXPECT_EQ(static_cast<int>(FaultReason::kSmPasidDirNotPresent), 0x51);
  EXPECT_EQ(static_cast<int>(FaultReason::kSmPasidEntryInvalid), 0x5b);
  EXPECT_EQ(static_cast<int>(FaultReason::kSmSlNotPresent), 0x79);
  EXPECT_EQ(static_cast<int>(FaultReason::kSmReadDenied), 0x86);
  EXPECT_STREQ(fault_reason_name(FaultReason::kSmSlReserved), "sm_sl_reserved");
  EXPECT_STREQ(fault_reason_name(FaultReason::kSmLegacyRequestWithPasid), "sm_legacy_request_with_pasid");
}
