#include "worker/factor_curve.h"

#include <cmath>
#include <cstdint>

#include "common/random.h"
#include "gtest/gtest.h"

namespace loadsim {
namespace {

constexpr int64_t kS = 1000000000;

TEST(FactorCurveTest, DefaultIsOneHundredPercent) {
  FactorCurve c;
  EXPECT_DOUBLE_EQ(c.At(123 * kS), 1.0);
  EXPECT_EQ(c.Advance(5 * kS, 2.0), 7 * kS);
}

TEST(FactorCurveTest, FlatPhaseDividesTheGap) {
  FactorCurve c = FactorCurve::Constant(2.0);  // 200%: an Eventer every 60 s acts every 30 s
  EXPECT_EQ(c.Advance(0, 60.0), 30 * kS);
  EXPECT_EQ(FactorCurve::Constant(0).Advance(0, 1.0), FactorCurve::kNever);
}

TEST(FactorCurveTest, RampIsClampedAndIntegrated) {
  // 0.5 -> 1.5 over 10 s, starting at t = 0.
  FactorCurve c(0, 0.5, 0.1, 0.5, 1.5);
  EXPECT_DOUBLE_EQ(c.At(-5 * kS), 0.5);
  EXPECT_DOUBLE_EQ(c.At(5 * kS), 1.0);
  EXPECT_DOUBLE_EQ(c.At(20 * kS), 1.5);
  // Integral over [0, 10] = 10; then 1.5 per second.
  EXPECT_NEAR(c.Advance(0, 10.0) / 1e9, 10.0, 1e-6);
  EXPECT_NEAR(c.Advance(0, 13.0) / 1e9, 12.0, 1e-6);
  // Integral over [0, T] = 0.5 T + 0.05 T^2 = 3.75 -> T = 5.
  EXPECT_NEAR(c.Advance(0, 3.75) / 1e9, 5.0, 1e-6);
}

TEST(FactorCurveTest, FallingRampToZeroNeverFinishes) {
  FactorCurve c(0, 1.0, -0.5, 0.0, 1.0);  // 1 -> 0 over 2 s: integral 1
  EXPECT_NEAR(c.Advance(0, 0.75) / 1e9, 1.0, 1e-6);
  EXPECT_EQ(c.Advance(0, 1.5), FactorCurve::kNever);
}

TEST(FactorCurveTest, FirstTimeFindsCrossings) {
  FactorCurve c(0, 0.0, 0.25, 0.0, 1.0);  // 0 -> 1 over 4 s
  EXPECT_NEAR(c.FirstTime(0, 0.5, false) / 1e9, 2.0, 1e-5);
  EXPECT_GE(c.At(c.FirstTime(0, 0.5, false)), 0.5);
  EXPECT_EQ(c.FirstTime(3 * kS, 0.5, false), 3 * kS);
  EXPECT_EQ(c.FirstTime(0, 1.5, false), FactorCurve::kNever);
  EXPECT_EQ(c.FirstTime(0, 0.5, true), 0);
  EXPECT_EQ(c.FirstTime(3 * kS, 0.5, true), FactorCurve::kNever);
}

// Time rescaling of Poisson gaps gives a non-homogeneous Poisson process: the number of
// arrivals in [0, T] has mean integral(rate * f) and variance equal to the mean.
TEST(FactorCurveTest, RescaledPoissonFollowsTheRamp) {
  const double rate = 200;               // per second at 100%
  FactorCurve c(0, 0.0, 0.2, 0.0, 1.0);  // 0 -> 1 over 5 s, then flat
  RandomStream rng(42);
  int counts[10] = {0};
  int64_t t = 0;
  for (int i = 0; i < 100000; ++i) {
    t = c.Advance(t, -std::log(1.0 - rng.Uniform01()) / rate);
    if (t >= 10 * kS) break;
    ++counts[t / kS];
  }
  for (int s = 0; s < 10; ++s) {
    double mean = s < 5 ? rate * 0.2 * (s + 0.5) : rate;  // integral of f over [s, s+1]
    double tolerance = 5 * std::sqrt(mean);               // 5 standard deviations
    EXPECT_NEAR(counts[s], mean, tolerance) << "second " << s;
  }
}

}  // namespace
}  // namespace loadsim
