// ResultsBuilder: turns what the coordinator and the phase controller collected into one
// v1::Results (results.proto), the single source of every view (text report, files, web
// admin). Run-wide facts come in a RunFacts; the builder adds the labels, phases, intervals,
// workers, server stats and failure samples, then the verdict and the exit status.
// Stateless functions.
#ifndef LOADSIM_MASTER_RESULTS_BUILDER_H_
#define LOADSIM_MASTER_RESULTS_BUILDER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "loadsim/v1/results.pb.h"
#include "master/coordinator.h"
#include "master/phase_controller.h"
#include "master/server_stats.h"

namespace loadsim {

struct RunFacts {
  const v1::RunSpec* spec = nullptr;
  int64_t start_unix_ms = 0;
  double planned_s = 0;
  double ran_s = 0;
  double stats_cycle_s = 5;
  std::string end_reason;
  bool incomplete = false;  // aborted, stopped by a signal before the end, or an errors goal
  std::vector<WorkerStatus> workers;
  LabelMap totals;
  std::map<int, LabelMap> phase_totals;
  std::vector<IntervalAgg> intervals;
  std::vector<v1::FailureSample> failure_samples;
  const PhaseController* phases = nullptr;
  // nullopt: server stats disabled.
  std::optional<absl::StatusOr<ServerStats>> server_stats;
};

// Everything but the verdict and exit status.
v1::Results CollectResults(const RunFacts& facts);
// Collects, judges, and sets run.exit_status: 3 incomplete, else 0 PASS / 1 FAIL.
v1::Results BuildResults(const RunFacts& facts);

}  // namespace loadsim

#endif  // LOADSIM_MASTER_RESULTS_BUILDER_H_
