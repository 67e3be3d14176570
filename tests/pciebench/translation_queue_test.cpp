// The root complex's translation stage shared by both pcie-bench engines: slots, order kept
// for posted writes and (when configured) reads; hand-computed times.
#include <gtest/gtest.h>

#include "vtdsim/pciebench/translation_queue.hpp"

namespace vtdsim::pciebench {
namespace {

TEST(TranslationQueue, WithoutSlotsRequestsStartOnArrival) {
  TranslationQueue q(0, false);
  EXPECT_EQ(q.enter(10), 10);
  EXPECT_EQ(q.leave(300, false), 300);  // a miss
  EXPECT_EQ(q.enter(11), 11);
  EXPECT_EQ(q.leave(14, false), 14);  // a hit passes it (reads out of order)
}

TEST(TranslationQueue, InOrderReadsAndPostedWritesWaitForTheOneBefore) {
  TranslationQueue q(0, true);
  q.enter(10);
  EXPECT_EQ(q.leave(300, false), 300);
  q.enter(11);
  EXPECT_EQ(q.leave(14, false), 300);  // the hit leaves with the miss ahead of it
  TranslationQueue w(0, false);
  w.enter(10);
  EXPECT_EQ(w.leave(300, true), 300);
  w.enter(11);
  EXPECT_EQ(w.leave(14, true), 300);  // posted writes keep order whatever the configuration
}

TEST(TranslationQueue, ARequestWaitsForASlot) {
  // 2 slots, in order: a miss (leaves at 300), a hit behind it (leaves at 300 too), then a third
  // request arriving at 12 finds both slots taken and starts when the first leaves.
  TranslationQueue q(2, true);
  EXPECT_EQ(q.enter(10), 10);
  EXPECT_EQ(q.leave(300, false), 300);
  EXPECT_EQ(q.enter(11), 11);
  EXPECT_EQ(q.leave(14, false), 300);
  EXPECT_EQ(q.enter(12), 300);
  EXPECT_EQ(q.leave(303, false), 303);
  EXPECT_EQ(q.enter(500), 500);  // a slot freed at 300 long before
  // Out of order: the earliest to leave frees the slot.
  TranslationQueue o(1, false);
  o.enter(0);
  o.leave(50, false);
  EXPECT_EQ(o.enter(1), 50);
}

}  // namespace
}  // namespace vtdsim::pciebench
