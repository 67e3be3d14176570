// Errors in configuration files and --set overrides: the message names the full key path
// ("iommu.iotlb.ways: must divide iommu.iotlb.entries (64), got 5").
#pragma once
#include <stdexcept>
#include <string>

namespace vtdsim::config {

class ConfigError : public std::runtime_error {
 public:
  ConfigError(const std::string& key_path, const std::string& reason)
      : std::runtime_error(key_path.empty() ? reason : key_path + ": " + reason),
        key_path_(key_path),
        reason_(reason) {}
  const std::string& key_path() const { return key_path_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string key_path_;
  std::string reason_;
};

}  // namespace vtdsim::config
