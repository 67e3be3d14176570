// Parameter grid of a sweep: axes "KEY=V1,V2,..." (KEY in --set syntax), their cartesian
// product in a fixed order, and deterministic shards of it (docs/studies.md).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace vtdsim::study {

struct GridAxis {
  std::string key;                  // full config key path, e.g. "iommu.iotlb.entries"
  std::vector<std::string> values;  // YAML scalars as given ("64", "full", "lru")
};

// A key as the user wrote it -> full config key: keys that do not start with a top-level section
// (config::kTopLevelSections) are taken as under "iommu." ("iotlb.ways" -> "iommu.iotlb.ways").
std::string full_config_key(const std::string& key);

// Parses "KEY=V1,V2,...": values are comma-separated, trimmed, non-empty and distinct.
// Throws std::invalid_argument with the reason.
GridAxis parse_grid_axis(const std::string& spec);
// Parses every spec; a key given twice is an error.
std::vector<GridAxis> parse_grid(const std::vector<std::string>& specs);

// Number of points (product of the axis sizes; 1 for no axes).
std::uint64_t grid_size(const std::vector<GridAxis>& axes);

// Point `index` of the cartesian product, in mixed radix with the LAST axis varying fastest:
// the value of each axis, in axis order.
std::vector<std::string> grid_point(const std::vector<GridAxis>& axes, std::uint64_t index);

// The "--set" assignments of point `index` ("iommu.iotlb.entries=64", ...).
std::vector<std::string> grid_assignments(const std::vector<GridAxis>& axes, std::uint64_t index);

// Slice K of N (1 <= K <= N) of a grid: the points whose index % N == K - 1. Round-robin slices
// balance the cost of neighbouring points; the N slices are disjoint and together the full grid.
struct Shard {
  std::uint32_t index = 1;  // K, 1-based
  std::uint32_t count = 1;  // N
};
Shard parse_shard(const std::string& text);  // "K/N"; throws std::invalid_argument
std::vector<std::uint64_t> shard_points(std::uint64_t grid_size, Shard shard);

}  // namespace vtdsim::study
