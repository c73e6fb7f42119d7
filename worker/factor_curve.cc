#include "worker/factor_curve.h"

#include <algorithm>
#include <cmath>

namespace loadsim {
namespace {

int64_t ToNs(double seconds_from, int64_t base_ns) {
  double t = static_cast<double>(base_ns) + seconds_from * 1e9;
  if (!(t < 9.2e18)) return FactorCurve::kNever;
  return static_cast<int64_t>(std::ceil(t));
}

}  // namespace

FactorCurve::FactorCurve(int64_t t0_ns, double value, double slope_per_s, double lo, double hi)
    : t0_ns_(t0_ns),
      value_(value),
      slope_(slope_per_s),
      lo_(std::min(lo, hi)),
      hi_(std::max(lo, hi)) {}

double FactorCurve::At(int64_t t_ns) const {
  double v = value_ + slope_ * (static_cast<double>(t_ns - t0_ns_) / 1e9);
  return std::clamp(v, lo_, hi_);
}

int64_t FactorCurve::Advance(int64_t from_ns, double units) const {
  if (units <= 0) return from_ns;
  double f0 = At(from_ns);
  if (constant() || slope_ == 0) {
    return f0 > 0 ? ToNs(units / f0, from_ns) : kNever;
  }
  // Linear part until the clamp bound is reached, then constant at the bound.
  double bound = slope_ > 0 ? hi_ : lo_;
  double linear_s = std::max(0.0, (bound - f0) / slope_);
  double linear_area = f0 * linear_s + 0.5 * slope_ * linear_s * linear_s;
  if (units <= linear_area) {
    // slope/2 T^2 + f0 T - units = 0, the smallest positive root (stable form).
    double disc = f0 * f0 + 2 * slope_ * units;
    double t = 2 * units / (f0 + std::sqrt(std::max(0.0, disc)));
    return ToNs(t, from_ns);
  }
  if (bound <= 0) return kNever;
  return ToNs(linear_s + (units - linear_area) / bound, from_ns);
}

int64_t FactorCurve::FirstTime(int64_t from_ns, double level, bool falling) const {
  double f0 = At(from_ns);
  if (falling ? f0 < level : f0 >= level) return from_ns;
  if (constant()) return kNever;
  if (falling ? slope_ >= 0 || lo_ >= level : slope_ <= 0 || hi_ < level) return kNever;
  double t = (level - f0) / slope_;
  int64_t at = ToNs(t, from_ns);
  // Step past rounding so that the condition holds at the returned instant.
  while (at != kNever && !(falling ? At(at) < level : At(at) >= level)) at += 1000;
  return at;
}

}  // namespace loadsim
