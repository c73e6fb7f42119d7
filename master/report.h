// Report: the combined end-of-run report and its PASS/FAIL verdict, from the merged label
// statistics. Per request label: count, failures, rate, mean, median (upper, as the
// original), p90, p99, max, and the share of samples over each threshold limit; then the
// workers; then the verdict with every reason. Verdict rules are CalendarServer's (section
// 6.5): a label fails when its failed share exceeds failCutoff or its share over a limit
// exceeds the allowance of its thresholds row (strict >). Stateless.
#ifndef LOADSIM_MASTER_REPORT_H_
#define LOADSIM_MASTER_REPORT_H_

#include <string>
#include <vector>

#include "loadsim/v1/run_spec.pb.h"
#include "absl/status/statusor.h"
#include "master/coordinator.h"
#include "master/server_stats.h"
#include "worker/recorder.h"

namespace loadsim {

struct Verdict {
  std::vector<std::string> failures;  // empty: PASS
  bool pass() const { return failures.empty(); }
};

// The reasons a run fails, in label order.
Verdict Judge(const v1::RunSpec& spec, const LabelMap& totals,
              const std::vector<WorkerStatus>& workers);

// `server_stats`: the stats socket's answer, or why there is none; nullptr when disabled.
std::string FormatReport(const v1::RunSpec& spec, const LabelMap& totals,
                         const std::vector<WorkerStatus>& workers, double runtime_s,
                         const Verdict& verdict,
                         const absl::StatusOr<ServerStats>* server_stats = nullptr);

}  // namespace loadsim

#endif  // LOADSIM_MASTER_REPORT_H_
