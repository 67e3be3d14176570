#include "vtdsim/config/unit_config.hpp"

namespace vtdsim::config {

const char* to_string(ReplacementPolicy policy) {
  switch (policy) {
    case ReplacementPolicy::kLru: return "lru";
    case ReplacementPolicy::kPlru: return "plru";
    case ReplacementPolicy::kFifo: return "fifo";
    case ReplacementPolicy::kRandom: return "random";
  }
  return "unknown";
}

const char* to_string(IotlbOrganization organization) {
  switch (organization) {
    case IotlbOrganization::kShared: return "shared";
    case IotlbOrganization::kPerSize: return "per_size";
    case IotlbOrganization::kQemu: return "qemu";
  }
  return "unknown";
}

const char* to_string(QemuPasidIotlb behaviour) {
  switch (behaviour) {
    case QemuPasidIotlb::kIgnore: return "ignore";
    case QemuPasidIotlb::kV10: return "qemu-10.0";
  }
  return "unknown";
}

}  // namespace vtdsim::config
