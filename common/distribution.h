// Samplers built from a validated v1::Distribution (see proto/loadsim/v1/run_spec.proto).
//
// One class per kind of result, so a caller cannot ask a recurrence for a number:
//   NumberSampler     NUMBER, TIME (seconds) and SIZE (bytes): constant, uniform,
//                     uniform_integer, uniform_discrete, exponential, normal, lognormal, zipf,
//                     sequential.
//   DateTimeSampler   DATETIME: near_future and work (working-hours start times).
//   RecurrenceSampler RRULE: a weighted choice of iCalendar recurrence rules.
// Create() checks the kind, the shape and the parameters (InvalidArgument otherwise) and never
// aborts; Sample() never fails. The deliberate differences from CalendarServer's stats.py are
// listed in docs/compat.md ("Distributions").
//
// Thread-safety: a sampler is a value; Sample() may change internal state (the discrete
// pool, the sequential counter), so each owner keeps its own copy and its own RandomStream.
#ifndef LOADSIM_COMMON_DISTRIBUTION_H_
#define LOADSIM_COMMON_DISTRIBUTION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/random.h"
#include "loadsim/v1/run_spec.pb.h"

namespace loadsim {

// Bounds on rejection sampling (non-negative normal, lognormal with a maximum). Configuration
// refuses parameters whose acceptance probability is below kMinAcceptProbability, so with at
// least 1% acceptance the chance of running out of tries is below 1e-40 per sample.
inline constexpr int kMaxRejectionTries = 10000;
inline constexpr double kMinAcceptProbability = 0.01;
// Numeric parameters (values, bounds, means, standard deviations, maxima) are limited to this
// magnitude in base units (about 31 million years, or a petabyte), so that no draw overflows.
inline constexpr double kMaxParameterMagnitude = 1e15;

// "number", "time", "size", "date-time", "recurrence rule" (for messages).
const char* ValueKindLabel(v1::ValueKind kind);

// Standard normal cumulative distribution function.
double NormalCdf(double x);

class NumberSampler {
 public:
  // InvalidArgument if the kind is not NUMBER/TIME/SIZE, the shape is not numeric, or a
  // parameter is out of range (e.g. sd < 0, max <= min, a magnitude above
  // kMaxParameterMagnitude, an acceptance probability below kMinAcceptProbability).
  static absl::StatusOr<NumberSampler> Create(const v1::Distribution& distribution);

  // One draw, in base units:
  //   constant          the value
  //   uniform           lo + (hi - lo) * U, on [lo, hi)
  //   uniform_integer   floor(min + (max - min) * U) computed exactly: an integer on [min, max)
  //   uniform_discrete  the next value of a pool drawn without replacement, refilled when empty
  //                     (shuffled; randomize false: reverse listed order)
  //   exponential       -mean * ln(U'), U' on (0, 1]
  //   normal            mean + sd * N(0,1); non_negative: redrawn until >= 0 (after
  //                     kMaxRejectionTries failures: 0)
  //   lognormal         exp(mu + sigma * N(0,1)); maximum > 0: redrawn until <= maximum
  //                     (after kMaxRejectionTries failures: maximum)
  //   zipf              floor((n + 1)^U), an integer on [1, n]
  //   sequential        start, start + 1, start + 2, ...
  double Sample(RandomStream& rng);

  // The exact mean of Sample() where it is finite and known (truncations included); NaN for
  // sequential.
  double Mean() const;

  v1::ValueKind kind() const { return kind_; }

 private:
  enum class Shape {
    kConstant,
    kUniform,
    kUniformInteger,
    kUniformDiscrete,
    kExponential,
    kNormal,
    kLogNormal,
    kZipf,
    kSequential
  };

  NumberSampler() = default;
  void Refill(RandomStream& rng);

  v1::ValueKind kind_ = v1::VALUE_KIND_NUMBER;
  Shape shape_ = Shape::kConstant;
  double a_ = 0;  // value, lo, mean or mu
  double b_ = 0;  // hi, sd or sigma
  double maximum_ = 0;
  bool non_negative_ = false;
  int64_t int_a_ = 0;           // min, n or the next sequential value
  int64_t int_b_ = 0;           // max
  std::vector<double> values_;  // uniform_discrete: as listed
  bool randomize_ = true;
  std::vector<double> pool_;  // uniform_discrete: what is left, handed out from the back
};

class DateTimeSampler {
 public:
  // InvalidArgument unless the kind is DATETIME and the shape near_future or work with valid
  // parameters (days 0..6, at least one; 0 <= begin_hour < end_hour <= 24; a loadable tzname;
  // finite, bounded offsets).
  static absl::StatusOr<DateTimeSampler> Create(const v1::Distribution& distribution);

  // near_future: now + floor(exp(mu + sigma * N(0,1))) seconds.
  // work: an offset of W work seconds, W = floor(N(offset_mean, offset_sd)) redrawn until
  // >= 0, counted through the work periods [begin_hour:00, end_hour:00) of the allowed days
  // starting at max(now, period start) rounded up to a quarter hour, then floored to a quarter
  // hour. The result is never before `now`, lies on an allowed day inside [begin_hour,
  // end_hour) local time, and has minutes that are a multiple of 15 and zero seconds. Periods
  // are measured in local (civil) time; on a daylight-saving change the local time is mapped
  // to the first instant not before `now`.
  absl::Time Sample(RandomStream& rng, absl::Time now);

  // The zone results are meant to be written in (UTC for near_future).
  const absl::TimeZone& zone() const { return zone_; }
  const std::string& tzname() const { return tzname_; }

 private:
  DateTimeSampler() = default;
  absl::Time SampleWork(RandomStream& rng, absl::Time now) const;

  bool work_ = false;
  double mu_ = 0;      // near_future: mu; work: offset mean (seconds)
  double sigma_ = 0;   // near_future: sigma; work: offset sd (seconds)
  bool days_[7] = {};  // 0 = Sunday
  int day_count_ = 0;
  int begin_hour_ = 0;
  int end_hour_ = 0;
  std::string tzname_ = "UTC";
  absl::TimeZone zone_ = absl::UTCTimeZone();
};

class RecurrenceSampler {
 public:
  // InvalidArgument unless the kind is RRULE and the shape recurrence; when allowed, the
  // weights must be finite, >= 0, and have a positive sum.
  static absl::StatusOr<RecurrenceSampler> Create(const v1::Distribution& distribution);

  // The chosen rule's RRULE value ("FREQ=DAILY;COUNT=14"); "" for "none" or when recurrence
  // is not allowed. Rule i is chosen with probability weight_i / sum(weights).
  const std::string& Sample(RandomStream& rng) const;

  // Probability of the rule named `name` ("none" when not allowed is 1).
  double Probability(absl::string_view name) const;

 private:
  RecurrenceSampler() = default;

  bool allow_ = false;
  std::vector<std::string> names_;
  std::vector<std::string> rrules_;
  std::optional<WeightedChoice> choice_;  // set when allowed
};

}  // namespace loadsim

#endif  // LOADSIM_COMMON_DISTRIBUTION_H_
