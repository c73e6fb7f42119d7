#include "worker/recorder.h"

#include <cmath>

#include "absl/strings/match.h"

namespace loadsim {

Recorder::Recorder(v1::ThresholdTable thresholds) : thresholds_(std::move(thresholds)) {
  for (double limit : thresholds_.limits_seconds()) {
    limits_us_.push_back(static_cast<uint64_t>(std::llround(limit * 1e6)));
  }
}

LabelRecorder& Recorder::For(absl::string_view label) {
  auto it = labels_.find(label);
  if (it == labels_.end()) {
    it = labels_.emplace(std::string(label), LabelRecorder(std::string(label), limits_us_)).first;
  }
  return it->second;
}

void Recorder::Record(absl::string_view label, int64_t duration_ns, bool success,
                      absl::string_view failure_reason) {
  uint64_t us = duration_ns > 0 ? static_cast<uint64_t>((duration_ns + 500) / 1000) : 0;
  For(label).Record(us, success, failure_reason);
}

bool IsSchedulingLabel(absl::string_view label) {
  return absl::StartsWith(label, "lag{") || absl::StartsWith(label, "blocked{");
}

LabelMap Recorder::TakeDelta() {
  LabelMap out;
  out.swap(labels_);
  return out;
}

void MergeInto(LabelMap& into, const LabelMap& from) {
  for (const auto& [label, stats] : from) {
    auto it = into.find(label);
    if (it == into.end()) {
      into.emplace(label, stats);
    } else {
      absl::Status s = it->second.Merge(stats);
      (void)s;  // same label and same table limits by construction
    }
  }
}

}  // namespace loadsim
