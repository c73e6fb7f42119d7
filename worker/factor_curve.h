// FactorCurve: one Polygraph transition factor (load or populus) as a function of time:
// f(t) = clamp(value + slope_per_s * (t - t0), lo, hi). The master sends the curve of the
// current phase (a duration ramp is one curve; an xactions ramp is re-sent every interval).
//
// Advance() turns an open-loop schedule into a non-homogeneous one by time rescaling: a gap g
// drawn at 100% load ends where the integral of f from the previous due time reaches g. For
// Poisson gaps this is exactly a non-homogeneous Poisson process with rate f(t) * rate (not
// Polygraph's uniform [0, 2 * mean / f] ramp gaps); on a flat phase it is g / f.
// A value type; not thread-safe.
#ifndef LOADSIM_WORKER_FACTOR_CURVE_H_
#define LOADSIM_WORKER_FACTOR_CURVE_H_

#include <cstdint>
#include <limits>

namespace loadsim {

class FactorCurve {
 public:
  static constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

  // Constant 1.0 (100%).
  FactorCurve() = default;
  FactorCurve(int64_t t0_ns, double value, double slope_per_s, double lo, double hi);
  static FactorCurve Constant(double value) { return FactorCurve(0, value, 0, value, value); }

  double At(int64_t t_ns) const;
  bool constant() const { return slope_ == 0 || lo_ == hi_; }
  // The earliest t >= from_ns where the integral of f over [from_ns, t] reaches
  // `units` (factor x seconds); kNever if f stays 0 too long.
  int64_t Advance(int64_t from_ns, double units) const;
  // The earliest t >= from_ns where f(t) >= level (rising) or f(t) < level (falling = true);
  // from_ns if it already holds; kNever if it never will.
  int64_t FirstTime(int64_t from_ns, double level, bool falling) const;

 private:
  int64_t t0_ns_ = 0;
  double value_ = 1.0;
  double slope_ = 0;  // per second
  double lo_ = 1.0;
  double hi_ = 1.0;
};

}  // namespace loadsim

#endif  // LOADSIM_WORKER_FACTOR_CURVE_H_
