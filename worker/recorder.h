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
#include "loadsim/v1/results.pb.h"
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

  // Failure samples (request, status, body excerpt): the first kMaxFailureSamples of this
  // recorder's life are kept; callers check WantsFailureSample() before building one, so
  // the hot path copies nothing once enough are kept. at_seconds holds the monotonic time.
  static constexpr int kMaxFailureSamples = 5;
  bool WantsFailureSample() const { return samples_kept_ < kMaxFailureSamples; }
  void AddFailureSample(v1::FailureSample sample);
  std::vector<v1::FailureSample> TakeFailureSamples();
  const LabelMap& current() const { return labels_; }

 private:
  LabelRecorder& For(absl::string_view label);

  v1::ThresholdTable thresholds_;
  std::vector<uint64_t> limits_us_;  // same for every label: the table's limits
  LabelMap labels_;
  int samples_kept_ = 0;
  std::vector<v1::FailureSample> samples_;
};

// A failure sample of a finished request: the body cut to 200 bytes, printable ASCII only.
v1::FailureSample MakeFailureSample(absl::string_view user, absl::string_view label,
                                    absl::string_view method, absl::string_view url, int status,
                                    absl::string_view reason, absl::string_view body,
                                    int64_t at_ns);

// True for the generator's own measurement lines ("lag{...}": due -> sent, "blocked{...}":
// waiting for a free connection), which are neither requests nor operations: they are not
// counted as requests and not judged by the verdict.
bool IsSchedulingLabel(absl::string_view label);

// Adds every label of `from` into `into`.
void MergeInto(LabelMap& into, const LabelMap& from);

}  // namespace loadsim

#endif  // LOADSIM_WORKER_RECORDER_H_
