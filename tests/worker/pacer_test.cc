#include "worker/pacer.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace loadsim {
namespace {

// Moments of n gaps with a fixed seed; no clocks involved.
struct Moments {
  double mean_ms;
  double cv;
};
Moments Measure(Pacer& pacer, int n) {
  RandomStream rng(11);
  double sum = 0, sum_sq = 0;
  for (int i = 0; i < n; ++i) {
    double g = pacer.NextGapNs(rng) / 1e6;
    sum += g;
    sum_sq += g * g;
  }
  double mean = sum / n;
  return {mean, std::sqrt(sum_sq / n - mean * mean) / mean};
}

TEST(PacerTest, PoissonGapsAreExponential) {
  Pacer p = Pacer::Poisson(1000);
  ASSERT_TRUE(p.open_loop());
  const int n = 200000;
  Moments m = Measure(p, n);
  // Exponential: mean 1 ms, sd 1 ms; the mean's standard error is 1/sqrt(n) ms. 5 SE.
  EXPECT_NEAR(m.mean_ms, 1.0, 5.0 / std::sqrt(n));
  EXPECT_NEAR(m.cv, 1.0, 0.02);
}

TEST(PacerTest, InterArrivalDistributionAndBestEffort) {
  v1::RobotParams params;
  v1::Distribution* d = params.mutable_req_inter_arrival();
  d->set_kind(v1::VALUE_KIND_TIME);
  d->mutable_uniform()->set_lo(0.01);
  d->mutable_uniform()->set_hi(0.03);
  absl::StatusOr<Pacer> p = Pacer::ForRobot(params);
  ASSERT_TRUE(p.ok()) << p.status();
  const int n = 100000;
  Moments m = Measure(*p, n);
  // Uniform [10, 30) ms: mean 20 ms, sd 20/sqrt(12) = 5.77 ms.
  EXPECT_NEAR(m.mean_ms, 20.0, 5 * 5.77 / std::sqrt(n));
  EXPECT_NEAR(m.cv, 5.77 / 20, 0.01);
  v1::RobotParams rate;
  rate.set_req_rate(50);
  EXPECT_TRUE(Pacer::ForRobot(rate)->open_loop());
  EXPECT_FALSE(Pacer::ForRobot(v1::RobotParams())->open_loop());  // best effort
}

}  // namespace
}  // namespace loadsim
