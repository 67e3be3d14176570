// Where the root complex sends a device's DMA (platform description; no SystemC needed to name it).
#pragma once
#include <cstdint>

namespace vtdsim::sysc {

enum class DmaRoute : std::uint8_t {
  kIommu,   // through the remapping unit
  kDirect,  // straight to memory: bus address = host address
  kAuto,    // through the IOMMU iff the request says access_platform (virtio device models)
};
const char* to_string(DmaRoute route);

}  // namespace vtdsim::sysc
