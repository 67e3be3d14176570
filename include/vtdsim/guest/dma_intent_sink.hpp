// Where the guest's DMA layer says what it intends a device to reach: the bus range it handed out
// and the host address behind it. The platform's DMA monitor implements it and checks every DMA
// against it (platform/dma_monitor.hpp).
#pragma once
#include <cstdint>

#include "vtdsim/spec/types.hpp"

namespace vtdsim::guest {

class DmaIntentSink {
 public:
  virtual ~DmaIntentSink() = default;
  // The device may access [bus, bus + size) and should reach host + offset.
  virtual void add_intent(SourceId source, std::uint64_t bus, std::uint64_t size, std::uint64_t host) = 0;
  virtual void remove_intent(SourceId source, std::uint64_t bus) = 0;
};

}  // namespace vtdsim::guest
