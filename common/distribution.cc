#include "common/distribution.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace loadsim {
namespace {

constexpr double kTwoPow53 = 9007199254740992.0;
constexpr double kPi = 3.14159265358979323846;
// Offsets of date-time distributions stay below this (so civil-time arithmetic and int64
// seconds never overflow): about 100 years.
constexpr double kMaxOffsetSeconds = 100.0 * 365 * 86400;

absl::Status Invalid(absl::string_view what, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(what, ": ", message));
}

std::string Label(const v1::Distribution& d) {
  return d.text().empty() ? "distribution" : absl::StrCat("distribution ", d.text());
}

bool Finite(double v) { return std::isfinite(v); }

}  // namespace

const char* ValueKindLabel(v1::ValueKind kind) {
  switch (kind) {
    case v1::VALUE_KIND_NUMBER:
      return "number";
    case v1::VALUE_KIND_TIME:
      return "time";
    case v1::VALUE_KIND_SIZE:
      return "size";
    case v1::VALUE_KIND_DATETIME:
      return "date-time";
    case v1::VALUE_KIND_RRULE:
      return "recurrence rule";
    default:
      return "unspecified";
  }
}

namespace {

double NormalPdf(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2.0 * kPi); }

// Redraws `draw` until `accept` holds, at most kMaxRejectionTries times; `fallback` after that.
template <typename Draw, typename Accept>
double DrawUntil(Draw draw, Accept accept, double fallback) {
  for (int i = 0; i < kMaxRejectionTries; ++i) {
    const double x = draw();
    if (accept(x)) return x;
  }
  return fallback;
}

}  // namespace

double NormalCdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// ---------------------------------------------------------------------------------------------
// NumberSampler

absl::StatusOr<NumberSampler> NumberSampler::Create(const v1::Distribution& d) {
  const std::string what = Label(d);
  if (d.kind() != v1::VALUE_KIND_NUMBER && d.kind() != v1::VALUE_KIND_TIME &&
      d.kind() != v1::VALUE_KIND_SIZE) {
    return Invalid(
        what, absl::StrCat("a ", ValueKindLabel(d.kind()), " distribution cannot produce numbers"));
  }
  NumberSampler s;
  s.kind_ = d.kind();
  switch (d.shape_case()) {
    case v1::Distribution::kConstant:
      s.shape_ = Shape::kConstant;
      s.a_ = d.constant().value();
      if (!Finite(s.a_)) return Invalid(what, "the value must be finite");
      break;
    case v1::Distribution::kUniform:
      s.shape_ = Shape::kUniform;
      s.a_ = d.uniform().lo();
      s.b_ = d.uniform().hi();
      if (!Finite(s.a_) || !Finite(s.b_) || !Finite(s.b_ - s.a_)) {
        return Invalid(what, "lo and hi must be finite");
      }
      if (s.b_ < s.a_) return Invalid(what, "hi must be >= lo");
      break;
    case v1::Distribution::kUniformInteger:
      s.shape_ = Shape::kUniformInteger;
      s.int_a_ = d.uniform_integer().min();
      s.int_b_ = d.uniform_integer().max();
      if (s.int_b_ <= s.int_a_) return Invalid(what, "max (exclusive) must be > min");
      break;
    case v1::Distribution::kUniformDiscrete:
      s.shape_ = Shape::kUniformDiscrete;
      s.values_.assign(d.uniform_discrete().values().begin(), d.uniform_discrete().values().end());
      s.randomize_ = d.uniform_discrete().randomize();
      if (s.values_.empty()) return Invalid(what, "values must not be empty");
      for (double v : s.values_) {
        if (!Finite(v)) return Invalid(what, "values must be finite");
      }
      break;
    case v1::Distribution::kExponential:
      s.shape_ = Shape::kExponential;
      s.a_ = d.exponential().mean();
      if (!Finite(s.a_) || !(s.a_ > 0)) return Invalid(what, "the mean must be > 0");
      break;
    case v1::Distribution::kNormal:
      s.shape_ = Shape::kNormal;
      s.a_ = d.normal().mean();
      s.b_ = d.normal().sd();
      s.non_negative_ = d.normal().non_negative();
      if (!Finite(s.a_) || !Finite(s.b_)) return Invalid(what, "mean and sd must be finite");
      if (s.b_ < 0) return Invalid(what, "sd must be >= 0");
      if (s.non_negative_) {
        const double p = s.b_ == 0 ? (s.a_ >= 0 ? 1.0 : 0.0) : NormalCdf(s.a_ / s.b_);
        if (p < kMinAcceptProbability) {
          return Invalid(what, "non-negative draws are too rare (below 1%); raise the mean");
        }
      }
      break;
    case v1::Distribution::kLognormal: {
      s.shape_ = Shape::kLogNormal;
      s.a_ = d.lognormal().mu();
      s.b_ = d.lognormal().sigma();
      s.maximum_ = d.lognormal().maximum();
      if (!Finite(s.a_) || !Finite(s.b_)) return Invalid(what, "mu and sigma must be finite");
      if (s.b_ < 0) return Invalid(what, "sigma must be >= 0");
      // The polar method never returns |z| > 12.01 (from the 2^-53 grid of its uniforms), so
      // this keeps every draw below e^700.
      if (!Finite(s.a_ + 13 * s.b_) || s.a_ + 13 * s.b_ > 700) {
        return Invalid(what, "mu + 13 sigma must stay below 700 (samples would overflow)");
      }
      if (!Finite(s.maximum_) || s.maximum_ < 0) {
        return Invalid(what, "maximum must be finite and >= 0 (0: none)");
      }
      if (s.maximum_ > 0) {
        const double log_max = std::log(s.maximum_);
        const double p =
            s.b_ == 0 ? (s.a_ <= log_max ? 1.0 : 0.0) : NormalCdf((log_max - s.a_) / s.b_);
        if (p < kMinAcceptProbability) {
          return Invalid(what, "samples below the maximum are too rare (below 1%)");
        }
      }
      break;
    }
    case v1::Distribution::kZipf:
      s.shape_ = Shape::kZipf;
      s.int_a_ = d.zipf().n();
      if (s.int_a_ < 1 || static_cast<double>(s.int_a_) >= kTwoPow53) {
        return Invalid(what, "n must be >= 1 and below 2^53");
      }
      break;
    case v1::Distribution::kSequential:
      s.shape_ = Shape::kSequential;
      s.int_a_ = d.sequential().start();
      if (std::fabs(static_cast<double>(s.int_a_)) >= kTwoPow53) {
        return Invalid(what, "start must be within +/-2^53");
      }
      break;
    default:
      return Invalid(what, "not a numeric distribution shape");
  }
  for (double v : {s.a_, s.b_, s.maximum_}) {
    if (s.shape_ != Shape::kLogNormal && std::fabs(v) > kMaxParameterMagnitude) {
      return Invalid(what, "parameters beyond +/-1e15 are not supported (draws could overflow)");
    }
  }
  if (s.shape_ == Shape::kLogNormal && s.maximum_ > kMaxParameterMagnitude) {
    return Invalid(what, "maximum beyond 1e15 is not supported");
  }
  for (double v : s.values_) {
    if (std::fabs(v) > kMaxParameterMagnitude) {
      return Invalid(what, "values beyond +/-1e15 are not supported");
    }
  }
  return s;
}

void NumberSampler::Refill(RandomStream& rng) {
  pool_ = values_;
  if (!randomize_) return;  // handed out from the back: reverse listed order
  // Fisher-Yates.
  for (size_t i = pool_.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(rng.UniformInt(0, static_cast<int64_t>(i)));
    std::swap(pool_[i - 1], pool_[j]);
  }
}

double NumberSampler::Sample(RandomStream& rng) {
  switch (shape_) {
    case Shape::kConstant:
      return a_;
    case Shape::kUniform:
      return a_ + (b_ - a_) * rng.Uniform01();
    case Shape::kUniformInteger:
      return static_cast<double>(rng.UniformInt(int_a_, int_b_));
    case Shape::kUniformDiscrete: {
      if (pool_.empty()) Refill(rng);
      const double v = pool_.back();
      pool_.pop_back();
      return v;
    }
    case Shape::kExponential:
      return -a_ * std::log(rng.UniformOpen01());
    case Shape::kNormal: {
      auto draw = [&] { return a_ + b_ * rng.Normal(); };
      if (!non_negative_) return draw();
      return DrawUntil(
          draw, [](double x) { return x >= 0; }, 0.0);
    }
    case Shape::kLogNormal: {
      auto draw = [&] { return std::exp(a_ + b_ * rng.Normal()); };
      if (maximum_ <= 0) return draw();
      return DrawUntil(
          draw, [&](double x) { return x <= maximum_; }, maximum_);
    }
    case Shape::kZipf: {
      const double n = static_cast<double>(int_a_);
      const double k = std::floor(std::pow(n + 1.0, rng.Uniform01()));
      return std::min(std::max(k, 1.0), n);  // rounding in pow can touch n + 1
    }
    case Shape::kSequential:
      return static_cast<double>(int_a_++);
  }
  return 0;
}

double NumberSampler::Mean() const {
  switch (shape_) {
    case Shape::kConstant:
      return a_;
    case Shape::kUniform:
      return 0.5 * (a_ + b_);
    case Shape::kUniformInteger:
      return 0.5 * (static_cast<double>(int_a_) + static_cast<double>(int_b_) - 1.0);
    case Shape::kUniformDiscrete: {
      double sum = 0;
      for (double v : values_) sum += v;
      return sum / static_cast<double>(values_.size());
    }
    case Shape::kExponential:
      return a_;
    case Shape::kNormal: {
      if (!non_negative_ || b_ == 0) return a_;
      // Normal truncated to [0, inf): mean + sd * pdf(alpha) / (1 - cdf(alpha)), alpha = -mean/sd.
      const double alpha = -a_ / b_;
      return a_ + b_ * NormalPdf(alpha) / NormalCdf(-alpha);
    }
    case Shape::kLogNormal: {
      const double full = std::exp(a_ + 0.5 * b_ * b_);
      if (maximum_ <= 0 || b_ == 0) return full;
      // Lognormal truncated to (0, M]:
      // E[X | X <= M] = exp(mu + sigma^2/2) * cdf((ln M - mu - sigma^2)/sigma)
      //                                      / cdf((ln M - mu)/sigma).
      const double z = (std::log(maximum_) - a_) / b_;
      return full * NormalCdf(z - b_) / NormalCdf(z);
    }
    case Shape::kZipf: {
      // sum_k k * log((k+1)/k) telescopes to n log(n+1) - log(n!).
      const double n = static_cast<double>(int_a_);
      const double l = std::log(n + 1.0);
      return (n * l - std::lgamma(n + 1.0)) / l;
    }
    case Shape::kSequential:
      return std::numeric_limits<double>::quiet_NaN();
  }
  return std::numeric_limits<double>::quiet_NaN();
}

// ---------------------------------------------------------------------------------------------
// DateTimeSampler

absl::StatusOr<DateTimeSampler> DateTimeSampler::Create(const v1::Distribution& d) {
  const std::string what = Label(d);
  if (d.kind() != v1::VALUE_KIND_DATETIME) {
    return Invalid(what, absl::StrCat("a ", ValueKindLabel(d.kind()),
                                      " distribution cannot produce date-times"));
  }
  DateTimeSampler s;
  if (d.has_near_future()) {
    s.mu_ = d.near_future().mu();
    s.sigma_ = d.near_future().sigma();
    if (!Finite(s.mu_) || !Finite(s.sigma_) || s.sigma_ < 0) {
      return Invalid(what, "mu must be finite and sigma finite and >= 0");
    }
    if (s.mu_ + 6 * s.sigma_ > std::log(kMaxOffsetSeconds)) {
      return Invalid(what, "offsets would exceed 100 years (mu + 6 sigma too large)");
    }
    return s;
  }
  if (!d.has_work()) return Invalid(what, "not a date-time distribution shape");
  const v1::WorkShape& w = d.work();
  s.work_ = true;
  for (int day : w.days_of_week()) {
    if (day < 0 || day > 6) return Invalid(what, "days of week must be 0 (Sunday) to 6");
    if (!s.days_[day]) ++s.day_count_;
    s.days_[day] = true;
  }
  if (s.day_count_ == 0) return Invalid(what, "at least one day of the week is needed");
  s.begin_hour_ = w.begin_hour();
  s.end_hour_ = w.end_hour();
  if (s.begin_hour_ < 0 || s.end_hour_ > 24 || s.begin_hour_ >= s.end_hour_) {
    return Invalid(what, "hours must satisfy 0 <= begin_hour < end_hour <= 24");
  }
  s.tzname_ = w.tzname().empty() ? "UTC" : w.tzname();
  if (!absl::LoadTimeZone(s.tzname_, &s.zone_)) {
    return Invalid(what, absl::StrCat("unknown time zone '", s.tzname_, "'"));
  }
  s.mu_ = w.offset_mean_seconds();
  s.sigma_ = w.offset_sd_seconds();
  if (!Finite(s.mu_) || !Finite(s.sigma_) || s.mu_ < 0 || s.sigma_ < 0 ||
      s.mu_ + 10 * s.sigma_ > kMaxOffsetSeconds) {
    return Invalid(what, "offset mean and sd must be >= 0 and stay below 100 years");
  }
  return s;
}

absl::Time DateTimeSampler::Sample(RandomStream& rng, absl::Time now) {
  if (work_) return SampleWork(rng, now);
  const double seconds = std::floor(std::exp(mu_ + sigma_ * rng.Normal()));
  return now + absl::Seconds(seconds);
}

absl::Time DateTimeSampler::SampleWork(RandomStream& rng, absl::Time now) const {
  // Work seconds still to place, as CalendarServer's non-negative NormalDistribution.
  const double w =
      DrawUntil([&] { return mu_ + sigma_ * rng.Normal(); }, [](double x) { return x >= 0; }, 0.0);
  int64_t offset = static_cast<int64_t>(std::floor(w));

  // The cursor: now in local time, rounded up to a whole second, then to a quarter hour, so
  // that flooring the result to a quarter hour can never move it before now.
  const absl::TimeZone::CivilInfo info = zone_.At(now);
  absl::CivilSecond cursor = info.cs;
  if (info.subsecond > absl::ZeroDuration()) cursor += 1;
  absl::CivilMinute minute(cursor);
  if (absl::CivilSecond(minute) < cursor) minute += 1;
  if (minute.minute() % 15 != 0) minute += 15 - minute.minute() % 15;
  cursor = absl::CivilSecond(minute);

  const int64_t period = static_cast<int64_t>(end_hour_ - begin_hour_) * 3600;
  const int64_t week = period * day_count_;
  absl::CivilDay day(cursor);
  for (bool first = true;; first = false, day += 1) {
    if (!first && offset >= week) {
      // From the second day on every period is whole: skip whole weeks at once.
      const int64_t weeks = offset / week;
      day += 7 * weeks;
      offset -= weeks * week;
    }
    const int weekday = (static_cast<int>(absl::GetWeekday(day)) + 1) % 7;  // 0 = Sunday
    if (!days_[weekday]) continue;
    const absl::CivilSecond begin = absl::CivilSecond(day) + begin_hour_ * 3600;
    const absl::CivilSecond end = absl::CivilSecond(day) + end_hour_ * 3600;
    // The fix of CalendarServer's bug: count from max(now, period start), not period start.
    const absl::CivilSecond start = std::max(cursor, begin);
    if (start >= end) continue;
    const int64_t available = end - start;
    if (offset >= available) {
      offset -= available;
      continue;
    }
    absl::CivilMinute result(start + offset);
    result -= result.minute() % 15;
    const absl::TimeZone::TimeInfo t = zone_.At(absl::CivilSecond(result));
    // A repeated local time (clocks set back) maps to its first instant not before now; a
    // skipped one (clocks set forward) is shifted forward by the gap.
    if (t.kind == absl::TimeZone::TimeInfo::REPEATED && t.pre < now) return t.post;
    return t.pre;
  }
}

// ---------------------------------------------------------------------------------------------
// RecurrenceSampler

absl::StatusOr<RecurrenceSampler> RecurrenceSampler::Create(const v1::Distribution& d) {
  const std::string what = Label(d);
  if (d.kind() != v1::VALUE_KIND_RRULE) {
    return Invalid(what, absl::StrCat("a ", ValueKindLabel(d.kind()),
                                      " distribution cannot produce recurrence rules"));
  }
  if (!d.has_recurrence()) return Invalid(what, "not a recurrence distribution shape");
  RecurrenceSampler s;
  s.allow_ = d.recurrence().allow();
  if (!s.allow_) return s;
  std::vector<double> weights;
  for (const v1::RecurrenceRule& rule : d.recurrence().rules()) {
    s.names_.push_back(rule.name());
    s.rrules_.push_back(rule.rrule());
    weights.push_back(rule.weight());
  }
  absl::StatusOr<WeightedChoice> choice = WeightedChoice::Create(weights);
  if (!choice.ok()) {
    return Invalid(what, absl::StrCat("recurrence weights: ", choice.status().message()));
  }
  s.choice_ = *std::move(choice);
  return s;
}

const std::string& RecurrenceSampler::Sample(RandomStream& rng) const {
  static const std::string* const kNone = new std::string();
  if (!allow_) return *kNone;
  return rrules_[choice_->Pick(rng)];
}

double RecurrenceSampler::Probability(absl::string_view name) const {
  if (!allow_) return name == "none" ? 1.0 : 0.0;
  double p = 0;
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) p += choice_->Probability(i);
  }
  return p;
}

}  // namespace loadsim
