#include "common/histogram.h"

#include <algorithm>
#include <cmath>

#include "absl/numeric/bits.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace loadsim {

int Histogram::BucketOf(uint64_t value) {
  if (value > kMaxValue) value = kMaxValue;
  if (value < 128) return static_cast<int>(value);
  int exponent = 63 - absl::countl_zero(value);  // >= 7
  int shift = exponent - 6;
  uint64_t mantissa = value >> shift;  // in [64, 127]
  return 128 + (exponent - 7) * 64 + static_cast<int>(mantissa - 64);
}

uint64_t Histogram::BucketLow(int index) {
  if (index < 128) return static_cast<uint64_t>(index);
  int exponent = 7 + (index - 128) / 64;
  uint64_t mantissa = 64 + static_cast<uint64_t>((index - 128) % 64);
  return mantissa << (exponent - 6);
}

uint64_t Histogram::BucketHigh(int index) {
  if (index < 128) return static_cast<uint64_t>(index);
  int exponent = 7 + (index - 128) / 64;
  return BucketLow(index) + (uint64_t{1} << (exponent - 6)) - 1;
}

void Histogram::Record(uint64_t value, uint64_t times) {
  counts_[BucketOf(value)] += times;
  total_ += times;
}

void Histogram::Merge(const Histogram& other) {
  for (int i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
  total_ += other.total_;
}

uint64_t Histogram::ValueAtQuantile(double q) const {
  if (total_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  uint64_t rank = static_cast<uint64_t>(std::floor(q * static_cast<double>(total_)));
  if (rank >= total_) rank = total_ - 1;
  uint64_t seen = 0;
  for (int i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen > rank) return BucketLow(i) + (BucketHigh(i) - BucketLow(i)) / 2;
  }
  return BucketHigh(kBucketCount - 1);
}

v1::Histogram Histogram::ToProto() const {
  v1::Histogram out;
  for (int i = 0; i < kBucketCount; ++i) {
    if (counts_[i] == 0) continue;
    out.add_index(static_cast<uint32_t>(i));
    out.add_count(counts_[i]);
  }
  return out;
}

absl::StatusOr<Histogram> Histogram::FromProto(const v1::Histogram& proto) {
  if (proto.index_size() != proto.count_size()) {
    return absl::InvalidArgumentError("histogram: index and count lengths differ");
  }
  Histogram h;
  for (int i = 0; i < proto.index_size(); ++i) {
    if (proto.index(i) >= static_cast<uint32_t>(kBucketCount)) {
      return absl::InvalidArgumentError(absl::StrCat("histogram: bucket ", proto.index(i),
                                                     " out of range"));
    }
    h.counts_[proto.index(i)] += proto.count(i);
    h.total_ += proto.count(i);
  }
  return h;
}

absl::Status Histogram::MergeProto(const v1::Histogram& proto) {
  if (proto.index_size() != proto.count_size()) {
    return absl::InvalidArgumentError("histogram: index and count lengths differ");
  }
  for (int i = 0; i < proto.index_size(); ++i) {
    if (proto.index(i) >= static_cast<uint32_t>(kBucketCount)) {
      return absl::InvalidArgumentError(absl::StrCat("histogram: bucket ", proto.index(i),
                                                     " out of range"));
    }
  }
  for (int i = 0; i < proto.index_size(); ++i) {
    counts_[proto.index(i)] += proto.count(i);
    total_ += proto.count(i);
  }
  return absl::OkStatus();
}

bool Histogram::operator==(const Histogram& other) const {
  return total_ == other.total_ && counts_ == other.counts_;
}

LabelRecorder::LabelRecorder(std::string label, std::vector<uint64_t> limits_us)
    : label_(std::move(label)),
      limits_us_(std::move(limits_us)),
      over_limit_(limits_us_.size(), 0) {}

void LabelRecorder::Record(uint64_t duration_us, bool success, absl::string_view failure_reason) {
  ++count_;
  sum_us_ += duration_us;
  sum_sq_us_ += static_cast<unsigned __int128>(duration_us) * duration_us;
  min_us_ = std::min(min_us_, duration_us);
  max_us_ = std::max(max_us_, duration_us);
  histogram_.Record(duration_us);
  for (size_t i = 0; i < limits_us_.size() && duration_us > limits_us_[i]; ++i) {
    ++over_limit_[i];
  }
  if (success) {
    ++success_count_;
    success_sum_us_ += duration_us;
  } else {
    ++failures_;
    ++reasons_[failure_reason.empty() ? std::string("failed") : std::string(failure_reason)];
  }
}

absl::Status LabelRecorder::Merge(const LabelRecorder& other) {
  if (other.label_ != label_ || other.limits_us_ != limits_us_) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot merge statistics of '", other.label_, "' into '", label_,
                     "': labels or limits differ"));
  }
  count_ += other.count_;
  failures_ += other.failures_;
  sum_us_ += other.sum_us_;
  sum_sq_us_ += other.sum_sq_us_;
  success_count_ += other.success_count_;
  success_sum_us_ += other.success_sum_us_;
  min_us_ = std::min(min_us_, other.min_us_);
  max_us_ = std::max(max_us_, other.max_us_);
  histogram_.Merge(other.histogram_);
  for (size_t i = 0; i < over_limit_.size(); ++i) over_limit_[i] += other.over_limit_[i];
  for (const auto& [reason, n] : other.reasons_) reasons_[reason] += n;
  return absl::OkStatus();
}

double LabelRecorder::MeanUs() const {
  return count_ ? static_cast<double>(sum_us_) / static_cast<double>(count_) : 0;
}

double LabelRecorder::SuccessMeanUs() const {
  return success_count_ ? static_cast<double>(success_sum_us_) / success_count_ : 0;
}

double LabelRecorder::StddevUs() const {
  if (count_ == 0) return 0;
  double n = static_cast<double>(count_);
  double mean = static_cast<double>(sum_us_) / n;
  double variance = static_cast<double>(sum_sq_us_) / n - mean * mean;
  return variance > 0 ? std::sqrt(variance) : 0;
}

uint64_t LabelRecorder::ValueAtQuantileUs(double q) const {
  if (count_ == 0) return 0;
  return std::clamp(histogram_.ValueAtQuantile(q), min_us_, max_us_);
}

v1::LabelStats LabelRecorder::ToProto() const {
  v1::LabelStats out;
  out.set_label(label_);
  out.set_count(count_);
  out.set_failures(failures_);
  out.set_sum_us(sum_us_);
  out.set_sum_sq_us_hi(static_cast<uint64_t>(sum_sq_us_ >> 64));
  out.set_sum_sq_us_lo(static_cast<uint64_t>(sum_sq_us_));
  out.set_min_us(min_us());
  out.set_max_us(max_us_);
  *out.mutable_histogram() = histogram_.ToProto();
  out.set_success_sum_us(success_sum_us_);
  out.set_success_count(success_count_);
  for (uint64_t l : limits_us_) out.add_limits_us(l);
  for (uint64_t o : over_limit_) out.add_over_limit(o);
  for (const auto& [reason, n] : reasons_) (*out.mutable_failure_reasons())[reason] = n;
  return out;
}

absl::StatusOr<LabelRecorder> LabelRecorder::FromProto(const v1::LabelStats& proto) {
  if (proto.limits_us_size() != proto.over_limit_size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("statistics of '", proto.label(), "': limits and counts lengths differ"));
  }
  absl::StatusOr<Histogram> h = Histogram::FromProto(proto.histogram());
  if (!h.ok()) return h.status();
  LabelRecorder r(proto.label(),
                  std::vector<uint64_t>(proto.limits_us().begin(), proto.limits_us().end()));
  r.count_ = proto.count();
  r.failures_ = proto.failures();
  r.sum_us_ = proto.sum_us();
  r.sum_sq_us_ = (static_cast<unsigned __int128>(proto.sum_sq_us_hi()) << 64) | proto.sum_sq_us_lo();
  r.success_count_ = proto.success_count();
  r.success_sum_us_ = proto.success_sum_us();
  r.min_us_ = proto.count() ? proto.min_us() : UINT64_MAX;
  r.max_us_ = proto.max_us();
  r.histogram_ = *std::move(h);
  r.over_limit_.assign(proto.over_limit().begin(), proto.over_limit().end());
  for (const auto& [reason, n] : proto.failure_reasons()) r.reasons_[reason] = n;
  return r;
}

absl::Status LabelRecorder::MergeProto(const v1::LabelStats& proto) {
  if (proto.label() != label_ || proto.limits_us_size() != static_cast<int>(limits_us_.size()) ||
      proto.over_limit_size() != proto.limits_us_size()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot merge statistics of '", proto.label(),
                                                   "' into '", label_, "'"));
  }
  for (int i = 0; i < proto.limits_us_size(); ++i) {
    if (proto.limits_us(i) != limits_us_[i]) {
      return absl::InvalidArgumentError(absl::StrCat("statistics of '", proto.label(),
                                                     "': threshold limits differ"));
    }
  }
  absl::Status h = histogram_.MergeProto(proto.histogram());
  if (!h.ok()) return h;
  count_ += proto.count();
  failures_ += proto.failures();
  sum_us_ += proto.sum_us();
  sum_sq_us_ += (static_cast<unsigned __int128>(proto.sum_sq_us_hi()) << 64) | proto.sum_sq_us_lo();
  success_count_ += proto.success_count();
  success_sum_us_ += proto.success_sum_us();
  if (proto.count() > 0) min_us_ = std::min(min_us_, proto.min_us());
  max_us_ = std::max(max_us_, proto.max_us());
  for (int i = 0; i < proto.over_limit_size(); ++i) over_limit_[i] += proto.over_limit(i);
  for (const auto& [reason, n] : proto.failure_reasons()) reasons_[reason] += n;
  return absl::OkStatus();
}

bool LabelRecorder::operator==(const LabelRecorder& other) const {
  return label_ == other.label_ && limits_us_ == other.limits_us_ &&
         over_limit_ == other.over_limit_ && count_ == other.count_ &&
         failures_ == other.failures_ && sum_us_ == other.sum_us_ &&
         sum_sq_us_ == other.sum_sq_us_ && success_count_ == other.success_count_ &&
         success_sum_us_ == other.success_sum_us_ && min_us_ == other.min_us_ &&
         max_us_ == other.max_us_ && histogram_ == other.histogram_ && reasons_ == other.reasons_;
}

}  // namespace loadsim
