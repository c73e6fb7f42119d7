// Recorder: one thread's statistics, per request or operation label.
//
// Each worker thread owns one Recorder (no locks on the hot path). A label's threshold limits
// come from the run's thresholds table (requests section for request labels), so exceedance
// counts are exact. TakeDelta() cuts the interval: it returns what was recorded since the last
// cut, and deltas merge exactly (LabelRecorder::Merge). Not thread-safe.
#ifndef LOADSIM_WORKER_RECORDER_H_
#define LOADSIM_WORKER_RECORDER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/histogram.h"
#include "loadsim/v1/run_spec.pb.h"

namespace loadsim {

// Statistics per label, ordered by label.
using LabelMap = std::map<std::string, LabelRecorder, std::less<>>;

class Recorder {
 public:
  // `thresholds` gives each label's limits (rows fall back to "default"); may be empty.
  explicit Recorder(v1::ThresholdTable thresholds = {});

  void Record(absl::string_view label, int64_t duration_ns, bool success,
              absl::string_view failure_reason = "");

  // Everything recorded since the previous call, and a fresh start.
  LabelMap TakeDelta();
  const LabelMap& current() const { return labels_; }

 private:
  LabelRecorder& For(absl::string_view label);

  v1::ThresholdTable thresholds_;
  std::vector<uint64_t> limits_us_;  // same for every label: the table's limits
  LabelMap labels_;
};

// True for the generator's own measurement lines ("lag{...}": due -> sent, "blocked{...}":
// waiting for a free connection), which are neither requests nor operations: they are not
// counted as requests and not judged by the verdict.
bool IsSchedulingLabel(absl::string_view label);

// Adds every label of `from` into `into`.
void MergeInto(LabelMap& into, const LabelMap& from);

}  // namespace loadsim

#endif  // LOADSIM_WORKER_RECORDER_H_
