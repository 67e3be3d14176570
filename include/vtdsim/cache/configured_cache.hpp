// Builds one cache from its configured geometry, or none when the cache is disabled; a geometry
// the cache refuses names the configuration key (caches.<name>) in the error.
#pragma once
#include <optional>
#include <stdexcept>
#include <string>

#include "vtdsim/config/unit_config.hpp"

namespace vtdsim::cache {

template <class Cache>
std::optional<Cache> make_configured_cache(const config::CacheGeometry& g, const char* name) {
  if (!g.enabled) return std::nullopt;
  try {
    return Cache(g);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("caches.") + name + ": " + e.what());
  }
}

}  // namespace vtdsim::cache
