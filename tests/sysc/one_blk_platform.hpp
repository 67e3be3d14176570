// A platform with one virtio-blk device reading 16 blocks of 4 KiB, one at a time, for the tests
// that count what the guest does per operation (platform_test, linux_guest_test).
#pragma once

namespace vtdsim::test {

inline constexpr const char* kOneBlk = R"(
platform:
  devices:
    - {name: blk0, type: virtio-blk, bdf: "00:02.0", translated: true, in_dmar_scope: true}
workload:
  duration_us: 2000
  devices:
    blk0: {kind: blk_read_seq, block_size: 4096, queue_depth: 1, count: 16}
)";

}  // namespace vtdsim::test
