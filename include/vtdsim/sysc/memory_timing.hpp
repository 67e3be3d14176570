// The memory module's timing parameters (SystemC-free: configuration loading includes it).
#pragma once

namespace vtdsim::sysc {

struct MemoryTiming {
  double latency_ns = 60.0;      // fixed access latency
  double bandwidth_gbps = 25.6;  // GB/s; 0 = unlimited. Adds size / bandwidth per access.
  bool allow_dmi = false;        // grant DMI (used only for untranslated traffic paths)
};

}  // namespace vtdsim::sysc
