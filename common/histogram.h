// Histogram and LabelRecorder: mergeable latency statistics for one request or operation label.
//
// Histogram is a log-linear histogram of microsecond values (values < 128 exact, then 64
// buckets per power of two: relative bucket width <= 1/64, quantiles reported at the bucket
// midpoint, so within ~0.8%). LabelRecorder adds exact counts, failures, exact sums (128-bit
// sum of squares), min/max, per-limit exceedance counts (counted when recorded, so `>3 sec`
// report columns are exact) and failure reasons. Merging two recorders gives exactly what one
// recorder fed both sample streams would hold. Not thread-safe: one per label per thread,
// merged at interval boundaries.
#ifndef LOADSIM_COMMON_HISTOGRAM_H_
#define LOADSIM_COMMON_HISTOGRAM_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "loadsim/v1/stats.pb.h"

namespace loadsim {

class Histogram {
 public:
  // Largest recordable value (about 73 minutes); larger values are clamped to it.
  static constexpr uint64_t kMaxValue = (uint64_t{1} << 32) - 1;
  static constexpr int kBucketCount = 128 + 25 * 64;

  static int BucketOf(uint64_t value);
  // Smallest and largest value that fall in a bucket.
  static uint64_t BucketLow(int index);
  static uint64_t BucketHigh(int index);

  void Record(uint64_t value, uint64_t times = 1);
  void Merge(const Histogram& other);
  uint64_t total() const { return total_; }
  uint64_t count_at(int index) const { return counts_[index]; }

  // The value of the sample of 0-based rank floor(q * n) in sorted order (q = 0.5 gives the
  // upper median, as CalendarServer's median), reported as its bucket's midpoint. 0 if empty.
  uint64_t ValueAtQuantile(double q) const;

  v1::Histogram ToProto() const;
  static absl::StatusOr<Histogram> FromProto(const v1::Histogram& proto);
  // Adds a serialized histogram without building a dense one first.
  absl::Status MergeProto(const v1::Histogram& proto);
  bool operator==(const Histogram& other) const;

 private:
  std::vector<uint64_t> counts_ = std::vector<uint64_t>(kBucketCount, 0);
  uint64_t total_ = 0;
};

class LabelRecorder {
 public:
  // `limits_us`: the threshold limits of this label, increasing.
  explicit LabelRecorder(std::string label, std::vector<uint64_t> limits_us = {});

  void Record(uint64_t duration_us, bool success, absl::string_view failure_reason = "");
  // REQUIRES: same label and limits (InvalidArgument otherwise).
  absl::Status Merge(const LabelRecorder& other);

  const std::string& label() const { return label_; }
  uint64_t count() const { return count_; }
  uint64_t failures() const { return failures_; }
  uint64_t min_us() const { return count_ ? min_us_ : 0; }
  uint64_t max_us() const { return max_us_; }
  double MeanUs() const;
  double SuccessMeanUs() const;
  // Population standard deviation (divide by n), as CalendarServer's report.
  double StddevUs() const;
  uint64_t ValueAtQuantileUs(double q) const;
  const std::vector<uint64_t>& limits_us() const { return limits_us_; }
  const std::vector<uint64_t>& over_limit() const { return over_limit_; }
  const std::map<std::string, uint64_t>& failure_reasons() const { return reasons_; }
  const Histogram& histogram() const { return histogram_; }

  v1::LabelStats ToProto() const;
  static absl::StatusOr<LabelRecorder> FromProto(const v1::LabelStats& proto);
  // Merge(FromProto(proto)) without the intermediate copy (the master's hot path).
  // REQUIRES: same label and limits (InvalidArgument otherwise; nothing is changed then).
  absl::Status MergeProto(const v1::LabelStats& proto);
  bool operator==(const LabelRecorder& other) const;

 private:
  std::string label_;
  std::vector<uint64_t> limits_us_;
  std::vector<uint64_t> over_limit_;
  uint64_t count_ = 0;
  uint64_t failures_ = 0;
  uint64_t sum_us_ = 0;
  unsigned __int128 sum_sq_us_ = 0;
  uint64_t success_count_ = 0;
  uint64_t success_sum_us_ = 0;
  uint64_t min_us_ = UINT64_MAX;
  uint64_t max_us_ = 0;
  Histogram histogram_;
  std::map<std::string, uint64_t> reasons_;
};

}  // namespace loadsim

#endif  // LOADSIM_COMMON_HISTOGRAM_H_
