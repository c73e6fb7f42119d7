// Standalone run: a worker's load without a master, for development and benchmarks
// (`loadsim-worker --standalone`). It runs every user of the configuration on `threads`
// event loops (user n on thread n mod threads), follows the arrival policy, stops at the
// runtime, lets in-flight requests finish (up to a grace), and returns the merged statistics.
// Only Robot clients run here until the calendar clients exist.
#ifndef LOADSIM_WORKER_STANDALONE_H_
#define LOADSIM_WORKER_STANDALONE_H_

#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/status/statusor.h"
#include "common/config.h"
#include "worker/recorder.h"

namespace loadsim {

struct StandaloneOptions {
  int threads = 1;
  double runtime_s = 10;
  double drain_grace_s = 5;
};

struct StandaloneResult {
  LabelMap labels;
  double runtime_s = 0;  // the load period (rates are per second of it)
  double elapsed_s = 0;  // from the first user's start to the end of the drain
  double cpu_s = 0;      // process user + system CPU over the run
  uint64_t users = 0;
};

absl::StatusOr<StandaloneResult> RunStandalone(const LoadedConfig& config,
                                               const StandaloneOptions& options);

// A table: label, count, failures, rate, mean, p50, p90, p99, max, then failure reasons.
std::string FormatStandaloneReport(const StandaloneResult& result);

}  // namespace loadsim

#endif  // LOADSIM_WORKER_STANDALONE_H_
