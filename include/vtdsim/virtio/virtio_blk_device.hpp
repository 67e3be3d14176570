// virtio-blk (virtio 1.2 section 5.2): one request queue. Each request is a chain of the
// device-readable header (struct virtio_blk_req: le32 type, le32 reserved, le64 sector), the data
// buffers (device-writable for VIRTIO_BLK_T_IN, device-readable for VIRTIO_BLK_T_OUT) and a
// one-byte device-writable status (5.2.6). Every part is moved by DMA. Storage: a latency plus a
// bandwidth term; read data is a pattern of the sector number (byte i of sector s = (s + i) & 0xff).
#pragma once
#include <cstdint>
#include <vector>

#include "vtdsim/virtio/virtio_pci_device.hpp"

namespace vtdsim::virtio {

struct BlkDeviceCounters {
  std::uint64_t reads = 0, writes = 0, read_bytes = 0, write_bytes = 0, errors = 0, unsupported = 0;
};

class VirtioBlkDevice : public VirtioPciDevice {
 public:
  SC_HAS_PROCESS(VirtioBlkDevice);
  VirtioBlkDevice(sc_core::sc_module_name name, const VirtioPciConfig& pci, const BlkDeviceConfig& blk);

  const BlkDeviceCounters& blk_counters() const { return counters_; }
  sysc::DmaPortCounters dma_counters() const override { return dma_.counters(); }

 private:
  std::uint64_t read_device_config(std::uint32_t offset, unsigned size) override;
  void on_features_ok() override { configure_port(dma_); }
  void request_thread();
  bool serve(DescChain& chain, std::uint32_t& written);

  BlkDeviceConfig blk_;
  BlkDeviceCounters counters_;
  tlm_utils::tlm_quantumkeeper keeper_;
  sysc::DmaPort dma_;
  DescChain chain_;
  std::vector<unsigned char> buf_;
};

}  // namespace vtdsim::virtio
