// Constants of the virtio 1.x specification used by the devices and the driver. Section numbers
// refer to "Virtual I/O Device (VIRTIO) Version 1.2" (same numbering in 1.3 unless noted).
#pragma once
#include <cstdint>

namespace vtdsim::virtio {

// 2.1 Device Status Field.
inline constexpr std::uint8_t kStatusAcknowledge = 1;
inline constexpr std::uint8_t kStatusDriver = 2;
inline constexpr std::uint8_t kStatusDriverOk = 4;
inline constexpr std::uint8_t kStatusFeaturesOk = 8;
inline constexpr std::uint8_t kStatusNeedsReset = 64;
inline constexpr std::uint8_t kStatusFailed = 128;

// 6 Reserved Feature Bits (device-independent).
inline constexpr unsigned kFIndirectDesc = 28;    // VIRTIO_F_INDIRECT_DESC (2.7.5.3)
inline constexpr unsigned kFEventIdx = 29;        // VIRTIO_F_EVENT_IDX (2.7.7, 2.7.10)
inline constexpr unsigned kFVersion1 = 32;        // VIRTIO_F_VERSION_1
inline constexpr unsigned kFAccessPlatform = 33;  // VIRTIO_F_ACCESS_PLATFORM
inline constexpr unsigned kFRingPacked = 34;      // VIRTIO_F_RING_PACKED (not offered)
// VIRTIO_F_IOMMU_PASSTHROUGH is NOT in virtio 1.2/1.3: it is modelled as a proposal (see
// docs/sysc-platform.md). No bit is assigned by the spec; the model uses this configurable default.
inline constexpr unsigned kFIommuPassthroughDefault = 42;

constexpr std::uint64_t feature_bit(unsigned bit) { return 1ull << bit; }

// 4.1.4.3 Common configuration structure layout (virtio_pci_common_cfg), offsets in bytes.
namespace common_cfg {
inline constexpr std::uint32_t kDeviceFeatureSelect = 0x00;  // le32 RW
inline constexpr std::uint32_t kDeviceFeature = 0x04;        // le32 RO
inline constexpr std::uint32_t kDriverFeatureSelect = 0x08;  // le32 RW
inline constexpr std::uint32_t kDriverFeature = 0x0c;        // le32 RW
inline constexpr std::uint32_t kConfigMsixVector = 0x10;     // le16 RW
inline constexpr std::uint32_t kNumQueues = 0x12;            // le16 RO
inline constexpr std::uint32_t kDeviceStatus = 0x14;         // u8 RW
inline constexpr std::uint32_t kConfigGeneration = 0x15;     // u8 RO
inline constexpr std::uint32_t kQueueSelect = 0x16;          // le16 RW
inline constexpr std::uint32_t kQueueSize = 0x18;            // le16 RW
inline constexpr std::uint32_t kQueueMsixVector = 0x1a;      // le16 RW
inline constexpr std::uint32_t kQueueEnable = 0x1c;          // le16 RW
inline constexpr std::uint32_t kQueueNotifyOff = 0x1e;       // le16 RO
inline constexpr std::uint32_t kQueueDesc = 0x20;            // le64 RW
inline constexpr std::uint32_t kQueueDriver = 0x28;          // le64 RW
inline constexpr std::uint32_t kQueueDevice = 0x30;          // le64 RW
inline constexpr std::uint32_t kSize = 0x38;
}  // namespace common_cfg

// BAR0 layout of the modelled virtio-pci function. The PCI capabilities that point at these
// structures (4.1.4 Virtio Structure PCI Capabilities) are not modelled: driver and device agree
// on this fixed layout, which is the layout QEMU uses for its modern BAR.
namespace bar {
inline constexpr std::uint64_t kCommonCfg = 0x0000;
inline constexpr std::uint64_t kIsr = 0x1000;        // 4.1.4.5 ISR status capability
inline constexpr std::uint64_t kDeviceCfg = 0x2000;  // 4.1.4.6 device-specific configuration
inline constexpr std::uint64_t kNotify = 0x3000;     // 4.1.4.4 notification structure
inline constexpr std::uint32_t kNotifyOffMultiplier = 4;
inline constexpr std::uint64_t kSize = 0x4000;
}  // namespace bar

// 4.1.4.5: ISR bits.
inline constexpr std::uint8_t kIsrQueue = 1;
inline constexpr std::uint8_t kIsrConfig = 2;

// 2.7.5 The Virtqueue Descriptor Table: struct virtq_desc { le64 addr; le32 len; le16 flags; le16 next; }.
inline constexpr std::uint16_t kDescFNext = 1;
inline constexpr std::uint16_t kDescFWrite = 2;
inline constexpr std::uint16_t kDescFIndirect = 4;
inline constexpr std::uint32_t kDescSize = 16;
// 2.7.6 avail ring: le16 flags; le16 idx; le16 ring[N]; le16 used_event (EVENT_IDX).
inline constexpr std::uint16_t kAvailFNoInterrupt = 1;
// 2.7.8 used ring: le16 flags; le16 idx; struct { le32 id; le32 len; } ring[N]; le16 avail_event.
inline constexpr std::uint16_t kUsedFNoNotify = 1;
inline constexpr std::uint32_t kUsedElemSize = 8;

// 2.7.4 queue part sizes and alignment (desc 16, avail 2, used 4).
constexpr std::uint64_t desc_table_bytes(unsigned n) { return 16ull * n; }
constexpr std::uint64_t avail_ring_bytes(unsigned n) { return 6ull + 2ull * n; }
constexpr std::uint64_t used_ring_bytes(unsigned n) { return 6ull + 8ull * n; }

// 2.7.10: notification suppression with EVENT_IDX.
constexpr bool vring_need_event(std::uint16_t event_idx, std::uint16_t new_idx, std::uint16_t old_idx) {
  return static_cast<std::uint16_t>(new_idx - event_idx - 1) < static_cast<std::uint16_t>(new_idx - old_idx);
}

// 5.1 Network device.
namespace net {
inline constexpr std::uint16_t kDeviceId = 1;  // 5 Device Types: network card
inline constexpr unsigned kFMac = 5;           // VIRTIO_NET_F_MAC
inline constexpr unsigned kFMtu = 3;           // VIRTIO_NET_F_MTU
inline constexpr unsigned kRxQueue = 0;        // 5.1.2 receiveq1
inline constexpr unsigned kTxQueue = 1;        // 5.1.2 transmitq1
// 5.1.6 struct virtio_net_hdr (with VERSION_1 num_buffers is always present): 12 bytes.
inline constexpr std::uint32_t kHdrSize = 12;
inline constexpr std::uint32_t kHdrNumBuffersOffset = 10;
}  // namespace net

// 5.2 Block device.
namespace blk {
inline constexpr std::uint16_t kDeviceId = 2;
inline constexpr unsigned kFBlkSize = 6;           // VIRTIO_BLK_F_BLK_SIZE
inline constexpr std::uint32_t kSectorSize = 512;  // 5.2.6: sectors are 512 bytes
// 5.2.6 struct virtio_blk_req header: le32 type; le32 reserved; le64 sector.
inline constexpr std::uint32_t kHeaderSize = 16;
inline constexpr std::uint32_t kTypeIn = 0;
inline constexpr std::uint32_t kTypeOut = 1;
inline constexpr std::uint8_t kStatusOk = 0;
inline constexpr std::uint8_t kStatusIoErr = 1;
inline constexpr std::uint8_t kStatusUnsupp = 2;
}  // namespace blk

}  // namespace vtdsim::virtio
