// TableBuilder: the tables it writes decode to what was asked (spec 9.1-9.6, 9.8), and bad
// arguments are refused with an exception that names the problem.
#include "vtdsim/core/table_builder.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "vtdsim/spec/context_entry.hpp"
#include "vtdsim/spec/pasid_entry.hpp"
#include "vtdsim/spec/root_entry.hpp"
#include "vtdsim/spec/scalable_context_entry.hpp"
#include "vtdsim/spec/sl_paging_entry.hpp"

using namespace vtdsim;
using core::TableBuilder;
using core::TableFormat;

namespace {

const SourceId kDev = SourceId::from_bdf(2, 5, 1);
const DomainId kDom(7);

std::uint64_t rd(const mem::SparseMemory& m, std::uint64_t addr) {
  std::uint64_t v = 0;
  EXPECT_TRUE(m.read64(addr, v));
  return v;
}

// Runs `f` and returns the exception message (empty if nothing was thrown).
template <class F>
std::string thrown(F f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(TableBuilder, LegacyContextDecodesToDomainTable) {
  mem::SparseMemory m;
  TableBuilder t(m, 0x10000, 0x100000);
  EXPECT_EQ(t.root_table(), 0x10000u);
  EXPECT_EQ(t.rtaddr(), 0x10000u);  // TTM = 00b
  t.create_domain(kDom, 3);
  t.set_context(kDev, kDom, core::LegacyContextOptions{true, true});
  const spec::RootEntry root{rd(m, t.root_entry_address(2)), rd(m, t.root_entry_address(2) + 8)};
  ASSERT_TRUE(root.present());
  EXPECT_FALSE(root.has_reserved_bits(46));
  const spec::ContextEntry ctx{rd(m, t.context_entry_address(kDev)), rd(m, t.context_entry_address(kDev) + 8)};
  EXPECT_EQ(t.context_entry_address(kDev), root.context_table() + kDev.devfn() * 16);
  EXPECT_TRUE(ctx.present());
  EXPECT_TRUE(ctx.fault_processing_disabled());
  EXPECT_EQ(ctx.translation_type(), spec::ContextTranslationType::kDeviceTlb);
  EXPECT_EQ(ctx.slptptr(), t.domain_table(kDom));
  EXPECT_EQ(ctx.address_width(), 1u);  // 39-bit, 3 levels
  EXPECT_EQ(ctx.domain_id(), 7u);
  EXPECT_FALSE(ctx.has_reserved_bits(46));
}

TEST(TableBuilder, MapBuildsLevelsAndLeaves) {
  mem::SparseMemory m;
  TableBuilder t(m, 0x10000, 0x100000);
  t.create_domain(kDom, 4);
  const std::uint64_t before = t.pages_allocated();
  t.map(kDom, Iova(0x40000000), HostAddr(0x80000000), 0x3000, Perms{true, false});
  EXPECT_EQ(t.pages_allocated(), before + 3);  // PDPT, PD, PT
  for (std::uint64_t i = 0; i < 3; ++i) {
    const spec::SlPagingEntry pte{rd(m, t.paging_entry_address(kDom, Iova(0x40000000 + i * 0x1000), 1))};
    EXPECT_TRUE(pte.readable());
    EXPECT_FALSE(pte.writable());
    EXPECT_EQ(pte.address(), 0x80000000 + i * 0x1000);
  }
  const spec::SlPagingEntry pde{rd(m, t.paging_entry_address(kDom, Iova(0x40000000), 2))};
  EXPECT_TRUE(pde.readable() && pde.writable());
  EXPECT_FALSE(pde.page_size());
  t.map(kDom, Iova(0x40200000), HostAddr(0x80200000), kPageSize2M, Perms{true, true}, kPageSize2M);
  const spec::SlPagingEntry big{rd(m, t.paging_entry_address(kDom, Iova(0x40200000), 2))};
  EXPECT_TRUE(big.page_size());
  EXPECT_EQ(big.address(2), 0x80200000u);
  EXPECT_EQ(t.pages_allocated(), before + 3);  // the 2 MiB page needs no new table
}

TEST(TableBuilder, UnmapClearsLeavesAndSkipsHoles) {
  mem::SparseMemory m;
  TableBuilder t(m, 0x10000, 0x100000);
  t.create_domain(kDom, 4);
  t.map(kDom, Iova(0x1000), HostAddr(0x1000), 0x2000, Perms{true, true});
  t.map(kDom, Iova(0x400000), HostAddr(0x400000), kPageSize2M, Perms{true, true}, kPageSize2M);
  EXPECT_EQ(t.unmap(kDom, Iova(0), 0x800000), 3u);
  EXPECT_FALSE(spec::SlPagingEntry{rd(m, t.paging_entry_address(kDom, Iova(0x1000), 1))}.present());
  EXPECT_FALSE(spec::SlPagingEntry{rd(m, t.paging_entry_address(kDom, Iova(0x400000), 2))}.present());
  EXPECT_EQ(t.unmap(kDom, Iova(0x1000), 0x1000), 0u);
  // Mapping again after unmap works.
  t.map(kDom, Iova(0x1000), HostAddr(0x5000), 0x1000, Perms{true, true});
}

TEST(TableBuilder, ScalableContextAndPasidEntriesDecode) {
  mem::SparseMemory m;
  TableBuilder t(m, 0x10000, 0x100000, TableFormat::kScalable);
  EXPECT_EQ(t.rtaddr(), 0x10000u | (1u << 10));  // TTM = 01b
  t.create_domain(kDom, 4);
  core::ScalableContextOptions o;
  o.rid_pasid = 0x41;
  o.pdts = 1;
  o.device_tlb = true;
  t.set_scalable_context(kDev, o);
  t.set_pasid_entry(kDev, Pasid(0x41), TableBuilder::PasidMode::kSecondLevel, kDom);
  const std::uint64_t c = t.context_entry_address(kDev);
  const spec::ScalableContextEntry ctx{{rd(m, c), rd(m, c + 8), rd(m, c + 16), rd(m, c + 24)}};
  EXPECT_TRUE(ctx.present());
  EXPECT_TRUE(ctx.device_tlb_enabled());
  EXPECT_TRUE(ctx.pasid_enabled());
  EXPECT_EQ(ctx.rid_pasid(), 0x41u);
  EXPECT_EQ(ctx.pasid_dir_entries(), 256u);
  EXPECT_FALSE(ctx.has_reserved_bits(46));
  const spec::PasidDirEntry dir{rd(m, t.pasid_dir_entry_address(kDev, Pasid(0x41)))};
  EXPECT_EQ(t.pasid_dir_entry_address(kDev, Pasid(0x41)), ctx.pasid_dir_pointer() + 8);
  ASSERT_TRUE(dir.present());
  const std::uint64_t p = t.pasid_entry_address(kDev, Pasid(0x41));
  EXPECT_EQ(p, dir.pasid_table() + 1 * 64);
  spec::PasidTableEntry pe;
  for (unsigned i = 0; i < 8; ++i) pe.q[i] = rd(m, p + 8 * i);
  EXPECT_TRUE(pe.present());
  EXPECT_EQ(pe.translation_type(), spec::PasidTranslationType::kSecondLevel);
  EXPECT_EQ(pe.slptptr(), t.domain_table(kDom));
  EXPECT_EQ(pe.address_width(), 2u);
  EXPECT_EQ(pe.domain_id(), 7u);
  t.clear_pasid_entry(kDev, Pasid(0x41));
  EXPECT_EQ(rd(m, p), 0u);
}

TEST(TableBuilder, RefusesBadArguments) {
  mem::SparseMemory m;
  TableBuilder t(m, 0x10000, 0x100000);
  t.create_domain(kDom, 3);
  const Perms rw{true, true};
  EXPECT_NE(thrown([&] { t.map(kDom, Iova(0x1001), HostAddr(0x1000), 0x1000, rw); }).find("iova 0x1001"),
            std::string::npos);
  EXPECT_NE(thrown([&] { t.map(kDom, Iova(0x1000), HostAddr(0x1800), 0x1000, rw); }).find("host address 0x1800"),
            std::string::npos);
  EXPECT_NE(thrown([&] { t.map(kDom, Iova(0), HostAddr(0), 0x1800, rw); }).find("size"), std::string::npos);
  EXPECT_NE(
      thrown([&] { t.map(kDom, Iova(0x200000), HostAddr(0x1000), kPageSize2M, rw, kPageSize2M); }).find("host address"),
      std::string::npos);
  EXPECT_NE(thrown([&] { t.map(kDom, Iova(0), HostAddr(0), 0x1000, rw, 0x4000); }).find("page size"),
            std::string::npos);
  EXPECT_NE(thrown([&] { t.map(kDom, Iova(0), HostAddr(0), 0x1000, Perms{}); }).find("permission"), std::string::npos);
  EXPECT_NE(thrown([&] { t.map(kDom, Iova(1ull << 39), HostAddr(0), 0x1000, rw); }).find("39-bit"), std::string::npos);
  EXPECT_NE(thrown([&] { t.map(kDom, Iova(0), HostAddr(1ull << 46), 0x1000, rw); }).find("host address width"),
            std::string::npos);
  EXPECT_NE(thrown([&] { t.map(DomainId(99), Iova(0), HostAddr(0), 0x1000, rw); }).find("unknown domain 99"),
            std::string::npos);
  EXPECT_NE(thrown([&] { t.create_domain(kDom, 4); }).find("already exists"), std::string::npos);
  EXPECT_NE(thrown([&] { t.create_domain(DomainId(3), 6); }).find("levels"), std::string::npos);
  EXPECT_NE(thrown([&] { t.set_scalable_context(kDev); }).find("scalable-format builder"), std::string::npos);
  EXPECT_NE(thrown([&] { t.context_entry_address(kDev); }).find("no context table"), std::string::npos);
  EXPECT_NE(thrown([&] { t.unmap(kDom, Iova(0x10), 0x1000); }).find("4 KiB aligned"), std::string::npos);
  EXPECT_NE(thrown([] {
              mem::SparseMemory small(1 << 20);
              TableBuilder b(small, 0xff000, 0x2000);
            }).find("not inside host memory"),
            std::string::npos);
  EXPECT_NE(thrown([] {
              mem::SparseMemory mm;
              TableBuilder b(mm, 0x10100, 0x2000);
            }).find("multiples of 4 KiB"),
            std::string::npos);
}

TEST(TableBuilder, RefusesOverlappingMappingsAndSplittingSuperpages) {
  mem::SparseMemory m;
  TableBuilder t(m, 0x10000, 0x100000);
  t.create_domain(kDom, 4);
  const Perms rw{true, true};
  t.map(kDom, Iova(0x1000), HostAddr(0x1000), 0x1000, rw);
  EXPECT_NE(thrown([&] { t.map(kDom, Iova(0x1000), HostAddr(0x8000), 0x1000, rw); }).find("already mapped"),
            std::string::npos);
  t.map(kDom, Iova(0x400000), HostAddr(0x400000), kPageSize2M, rw, kPageSize2M);
  EXPECT_NE(thrown([&] { t.map(kDom, Iova(0x401000), HostAddr(0x8000), 0x1000, rw); }).find("already mapped"),
            std::string::npos);
  EXPECT_NE(thrown([&] { t.unmap(kDom, Iova(0x400000), 0x1000); }).find("split"), std::string::npos);
  // A range whose last page collides is refused before its first page is written.
  EXPECT_NE(thrown([&] { t.map(kDom, Iova(0x0), HostAddr(0x8000), 0x2000, rw); }).find("0x1000"), std::string::npos);
  EXPECT_FALSE(spec::SlPagingEntry{rd(m, t.paging_entry_address(kDom, Iova(0x0), 1))}.present());
  // The refused calls changed nothing: the 2 MiB page is still there.
  EXPECT_TRUE(spec::SlPagingEntry{rd(m, t.paging_entry_address(kDom, Iova(0x400000), 2))}.page_size());
}

TEST(TableBuilder, RegionExhaustionIsAClearError) {
  mem::SparseMemory m;
  TableBuilder t(m, 0x10000, 0x3000);  // root + 2 pages
  t.create_domain(kDom, 4);            // PML4
  const std::string msg = thrown([&] { t.map(kDom, Iova(0), HostAddr(0), 0x1000, Perms{true, true}); });
  EXPECT_NE(msg.find("exhausted"), std::string::npos) << msg;
}
