// Console reporter that also keeps one number per benchmark, so that a benchmark's main() can print
// ratios against a baseline measured in the same run: the mean aggregate when
// --benchmark_repetitions is given (also with --benchmark_report_aggregates_only), else the mean
// over the plain runs. The number is the CPU time per iteration in ns, or a named counter such
// as "items_per_second".
#pragma once
#include <benchmark/benchmark.h>

#include <map>
#include <string>
#include <vector>

namespace vtdsim::bench {

class MeanReporter : public benchmark::ConsoleReporter {
 public:
  // counter empty: CPU time per iteration; else that user counter.
  explicit MeanReporter(std::string counter = "") : counter_(std::move(counter)) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      if (r.error_occurred) continue;
      double v = r.GetAdjustedCPUTime();
      if (!counter_.empty()) {
        auto it = r.counters.find(counter_);
        if (it == r.counters.end()) continue;
        v = it->second.value;
      }
      const std::string name = r.run_name.function_name;
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name == "mean") {
        mean_[name] = v;
        from_aggregate_[name] = true;
      } else if (r.run_type == Run::RT_Iteration && !from_aggregate_[name]) {
        sum_[name] += v;
        mean_[name] = sum_[name] / ++count_[name];
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }

  // The benchmark's number, or nullptr if it did not run (filtered out, or failed).
  const double* value(const std::string& name) const {
    auto it = mean_.find(name);
    return it == mean_.end() ? nullptr : &it->second;
  }

 private:
  std::string counter_;
  std::map<std::string, double> mean_, sum_;
  std::map<std::string, int> count_;
  std::map<std::string, bool> from_aggregate_;
};

}  // namespace vtdsim::bench
