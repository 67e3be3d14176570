#include "vtdsim/study/sweep_grid.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "vtdsim/config/config_loader.hpp"

namespace vtdsim::study {

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

std::uint32_t parse_u32(const std::string& text, const std::string& what) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos || text.size() > 9)
    throw std::invalid_argument(what + ": expected a positive number, got \"" + text + "\"");
  return static_cast<std::uint32_t>(std::stoul(text));
}

}  // namespace

std::string full_config_key(const std::string& key) {
  const std::string first = key.substr(0, key.find('.'));
  const auto& sections = config::kTopLevelSections;
  if (std::find(sections.begin(), sections.end(), first) != sections.end()) return key;
  return "iommu." + key;
}

GridAxis parse_grid_axis(const std::string& spec) {
  const auto eq = spec.find('=');
  if (eq == std::string::npos) throw std::invalid_argument("--grid \"" + spec + "\": expected KEY=V1,V2,...");
  const std::string key = trim(spec.substr(0, eq));
  if (key.empty() || key.front() == '.' || key.back() == '.' || key.find("..") != std::string::npos ||
      key.find_first_of(" \t,=") != std::string::npos)
    throw std::invalid_argument("--grid \"" + spec + "\": bad key \"" + key + "\"");
  GridAxis axis{full_config_key(key), {}};
  const std::string list = spec.substr(eq + 1);
  std::size_t start = 0;
  while (true) {
    const auto comma = list.find(',', start);
    const std::string value = trim(list.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (value.empty()) throw std::invalid_argument("--grid \"" + spec + "\": empty value");
    if (std::find(axis.values.begin(), axis.values.end(), value) != axis.values.end())
      throw std::invalid_argument("--grid \"" + spec + "\": value \"" + value + "\" given twice");
    axis.values.push_back(value);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return axis;
}

std::vector<GridAxis> parse_grid(const std::vector<std::string>& specs) {
  std::vector<GridAxis> axes;
  for (const auto& spec : specs) {
    GridAxis axis = parse_grid_axis(spec);
    for (const auto& other : axes)
      if (other.key == axis.key) throw std::invalid_argument("--grid: key \"" + axis.key + "\" given twice");
    axes.push_back(std::move(axis));
  }
  if (grid_size(axes) > (1ull << 32)) throw std::invalid_argument("--grid: more than 2^32 points");
  return axes;
}

std::uint64_t grid_size(const std::vector<GridAxis>& axes) {
  std::uint64_t n = 1;
  for (const auto& axis : axes) {
    if (axis.values.empty()) return 0;
    if (n > std::numeric_limits<std::uint64_t>::max() / axis.values.size())
      return std::numeric_limits<std::uint64_t>::max();
    n *= axis.values.size();
  }
  return n;
}

std::vector<std::string> grid_point(const std::vector<GridAxis>& axes, std::uint64_t index) {
  if (index >= grid_size(axes)) throw std::out_of_range("grid point index out of range");
  std::vector<std::string> values(axes.size());
  for (std::size_t i = axes.size(); i-- > 0;) {
    const auto n = axes[i].values.size();
    values[i] = axes[i].values[index % n];
    index /= n;
  }
  return values;
}

std::vector<std::string> grid_assignments(const std::vector<GridAxis>& axes, std::uint64_t index) {
  const auto values = grid_point(axes, index);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < axes.size(); ++i) out.push_back(axes[i].key + "=" + values[i]);
  return out;
}

Shard parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  if (slash == std::string::npos) throw std::invalid_argument("--shard \"" + text + "\": expected K/N");
  Shard s{parse_u32(text.substr(0, slash), "--shard K"), parse_u32(text.substr(slash + 1), "--shard N")};
  if (s.count == 0 || s.index == 0 || s.index > s.count)
    throw std::invalid_argument("--shard \"" + text + "\": need 1 <= K <= N");
  return s;
}

std::vector<std::uint64_t> shard_points(std::uint64_t grid_size, Shard shard) {
  std::vector<std::uint64_t> points;
  for (std::uint64_t i = shard.index - 1; i < grid_size; i += shard.count) points.push_back(i);
  return points;
}

}  // namespace vtdsim::study
