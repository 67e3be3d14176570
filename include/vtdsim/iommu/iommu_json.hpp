// The IOMMU subtree of every stats JSON (`vtdsim replay`, `vtdsim run`, sweeps): the one place it
// is assembled, each counter once, from the component that keeps it. docs/stats.md has the schema.
#pragma once
#include <nlohmann/json.hpp>

#include "vtdsim/iommu/iommu.hpp"

namespace vtdsim::iommu {

nlohmann::json to_json(const Iommu& iommu);

}  // namespace vtdsim::iommu
