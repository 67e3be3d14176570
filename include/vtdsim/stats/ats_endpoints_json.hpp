// JSON of the device side of ATS (core::AtsEndpoints): per device (key "bb:dd.f") the device
// TLB's counters (lookups, hits, misses, fills, evictions, invalidated, entries held) and the
// ATS traffic (dma, translation_requests, translated_requests, permission_refetches,
// translation_faults, translated_faults, invalidation_requests), plus "total" (sums of the
// same counters over the devices) and "devices_enabled".
#pragma once
#include <nlohmann/json.hpp>

#include "vtdsim/core/ats_endpoints.hpp"

namespace vtdsim::stats {

nlohmann::json to_json(const core::AtsEndpoints& endpoints);

}  // namespace vtdsim::stats
