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

void Recorder::AddFailureSample(v1::FailureSample sample) {
  if (!WantsFailureSample()) return;
  ++samples_kept_;
  samples_.push_back(std::move(sample));
}

std::vector<v1::FailureSample> Recorder::TakeFailureSamples() {
  std::vector<v1::FailureSample> out;
  out.swap(samples_);
  return out;
}

v1::FailureSample MakeFailureSample(absl::string_view user, absl::string_view label,
                                    absl::string_view method, absl::string_view url, int status,
                                    absl::string_view reason, absl::string_view body,
                                    int64_t at_ns) {
  v1::FailureSample s;
  s.set_user(std::string(user));
  s.set_label(std::string(label));
  s.set_method(std::string(method));
  s.set_url(std::string(url));
  s.set_status(status);
  s.set_reason(std::string(reason));
  std::string excerpt;
  for (char c : body.substr(0, 200)) {
    excerpt += (c >= 32 && c < 127) ? c : ' ';
  }
  s.set_body_excerpt(excerpt);
  s.set_at_seconds(static_cast<double>(at_ns) / 1e9);
  return s;
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
