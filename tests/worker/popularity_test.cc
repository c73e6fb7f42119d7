// ObjectPicker, SessionClock and the launch window (worker/popularity): the revisit share,
// popUnif and popZipf inside a window, the hot set, the working-set cap and freeze, busy/idle
// periods. Statistical checks use fixed seeds, bounded samples and tolerances of 5 standard
// deviations of the estimator (binomial counts), so a correct implementation fails with
// probability below 1e-5 per check and a wrong one is caught.
#include "worker/popularity.h"

#include <cmath>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace loadsim {
namespace {

using ::testing::HasSubstr;

// |observed - n p| within 5 binomial standard deviations.
void ExpectBinomial(uint64_t observed, uint64_t n, double p, const std::string& what) {
  const double mean = static_cast<double>(n) * p;
  const double sd = std::sqrt(static_cast<double>(n) * p * (1 - p));
  EXPECT_LE(std::fabs(static_cast<double>(observed) - mean), 5 * sd + 1e-9)
      << what << ": observed " << observed << " of " << n << ", expected " << mean << " (sd "
      << sd << ")";
}

v1::RobotParams Params(double recurrence, const std::string& distr, double skew = 0) {
  v1::RobotParams p;
  p.set_recurrence(recurrence);
  p.mutable_pop_model()->set_pop_distr(distr);
  p.mutable_pop_model()->set_zipf_skew(skew);
  p.mutable_pop_model()->set_hot_set_frac(1.0);
  return p;
}

ObjectPicker MakePicker(const v1::RobotParams& params, uint64_t seed = 1) {
  RandomStream rng(seed);
  absl::StatusOr<ObjectPicker> p = ObjectPicker::Create(params, rng);
  EXPECT_TRUE(p.ok()) << p.status();
  return *std::move(p);
}

TEST(ObjectPickerTest, RevisitShareIsTheRecurrence) {
  for (double recurrence : {0.2, 0.55, 0.9}) {
    ObjectPicker picker = MakePicker(Params(recurrence, "popUnif"));
    RandomStream rng(42);
    constexpr uint64_t kN = 20000;
    uint64_t revisits = 0;
    for (uint64_t i = 0; i < kN; ++i) {
      ObjectPicker::Pick pick = picker.Next(rng, 0);
      if (i == 0) { EXPECT_FALSE(pick.revisit) << "nothing to revisit yet"; }
      if (pick.revisit) {
        ++revisits;
        EXPECT_GE(pick.id, 1u);
        EXPECT_LE(pick.id, picker.created());
      } else {
        EXPECT_EQ(pick.id, picker.created());  // new objects are numbered in order
      }
    }
    ExpectBinomial(revisits, kN - 1, recurrence, "revisits");
    EXPECT_EQ(picker.created(), kN - revisits);
  }
}

TEST(ObjectPickerTest, ZeroRecurrenceAlwaysAsksForNewObjects) {
  ObjectPicker picker = MakePicker(Params(0, "popUnif"));
  RandomStream rng(1);
  for (uint64_t i = 1; i <= 100; ++i) EXPECT_EQ(picker.Next(rng, 0).id, i);
}

TEST(ObjectPickerTest, PopUnifIsUniformInTheWindow) {
  v1::PopModel model;
  model.set_pop_distr("popUnif");
  constexpr uint64_t kWindow = 20;
  constexpr uint64_t kN = 40000;
  std::vector<uint64_t> counts(kWindow, 0);
  RandomStream rng(7);
  for (uint64_t i = 0; i < kN; ++i) {
    const uint64_t pos = ObjectPicker::PickInWindow(model, kWindow, rng);
    ASSERT_LT(pos, kWindow);
    ++counts[pos];
  }
  for (uint64_t k = 0; k < kWindow; ++k) {
    ExpectBinomial(counts[k], kN, 1.0 / kWindow, "position " + std::to_string(k));
  }
}

// P(floor((W+1)^(U^s)) <= k) = (ln(k+1) / ln(W+1))^(1/s); position = W - k from the oldest.
double ZipfCdf(double k, double window, double skew) {
  return std::pow(std::log(k + 1) / std::log(window + 1), 1.0 / skew);
}

TEST(ObjectPickerTest, PopZipfFavoursTheNewestAsPolygraphDoes) {
  constexpr uint64_t kWindow = 100;
  constexpr uint64_t kN = 40000;
  for (double skew : {1.0, 0.6, 2.0}) {
    v1::PopModel model;
    model.set_pop_distr("popZipf");
    model.set_zipf_skew(skew);
    std::vector<uint64_t> by_k(kWindow + 1, 0);  // by k = W - position
    RandomStream rng(11);
    for (uint64_t i = 0; i < kN; ++i) {
      const uint64_t pos = ObjectPicker::PickInWindow(model, kWindow, rng);
      ASSERT_LT(pos, kWindow);
      ++by_k[kWindow - pos];
    }
    // Buckets of k: {1}, {2}, {3}, [4, 10], [11, 100].
    const std::vector<std::pair<uint64_t, uint64_t>> buckets = {
        {1, 1}, {2, 2}, {3, 3}, {4, 10}, {11, 100}};
    for (const auto& [lo, hi] : buckets) {
      uint64_t observed = 0;
      for (uint64_t k = lo; k <= hi; ++k) observed += by_k[k];
      const double p = ZipfCdf(static_cast<double>(hi), kWindow, skew) -
                       ZipfCdf(static_cast<double>(lo - 1), kWindow, skew);
      ExpectBinomial(observed, kN, p,
                     "skew " + std::to_string(skew) + " k in [" + std::to_string(lo) + ", " +
                         std::to_string(hi) + "]");
    }
  }
  // skew 1 is zipf(W): P(k) = log((k+1)/k) / log(W+1), so the newest object gets 15%.
  EXPECT_NEAR(ZipfCdf(1, kWindow, 1), std::log(2.0) / std::log(101.0), 1e-12);
}

TEST(ObjectPickerTest, HotSetTakesItsShareAtAFixedPlace) {
  v1::RobotParams params = Params(0.5, "popUnif");
  params.mutable_pop_model()->set_hot_set_frac(0.05);
  params.mutable_pop_model()->set_hot_set_prob(0.3);
  params.set_working_set_cap(1000);
  ObjectPicker picker = MakePicker(params, 5);
  RandomStream rng(9);
  while (picker.created() < 1000) picker.Next(rng, 0);  // fill the working set
  ASSERT_EQ(picker.working_set_size(), 1000u);
  const uint64_t start = picker.HotSetStart(1000);
  ASSERT_EQ(picker.HotSetSize(1000), 50u);
  ASSERT_LE(start + 50, 1000u);
  constexpr uint64_t kN = 40000;
  uint64_t revisits = 0, flagged_hot = 0, in_hot_range = 0;
  for (uint64_t i = 0; i < kN; ++i) {
    ObjectPicker::Pick pick = picker.Next(rng, 0);
    if (!pick.revisit) continue;
    ++revisits;
    ASSERT_LT(pick.offset, 1000u);
    EXPECT_EQ(pick.id, picker.created() - 1000 + 1 + pick.offset);
    const bool in_range = pick.offset >= start && pick.offset < start + 50;
    in_hot_range += in_range;
    if (pick.hot) {
      ++flagged_hot;
      EXPECT_TRUE(in_range);
    }
  }
  ExpectBinomial(flagged_hot, revisits, 0.3, "hot picks");
  // Hot picks, plus the cold picks that land in the hot range by chance.
  ExpectBinomial(in_hot_range, revisits, 0.3 + 0.7 * 0.05, "picks in the hot range");
}

TEST(ObjectPickerTest, WorkingSetCapBoundsRevisits) {
  v1::RobotParams params = Params(0.8, "popZipf", 0.6);
  params.set_working_set_cap(25);
  ObjectPicker picker = MakePicker(params);
  RandomStream rng(3);
  for (int i = 0; i < 5000; ++i) {
    ObjectPicker::Pick pick = picker.Next(rng, 0);
    EXPECT_LE(picker.working_set_size(), 25u);
    if (pick.revisit && picker.created() > 25) { EXPECT_GT(pick.id, picker.created() - 25); }
  }
}

TEST(ObjectPickerTest, WorkingSetLengthFreezesTheSizeWhileTheWindowSlides) {
  v1::RobotParams params = Params(0.5, "popUnif");
  params.set_working_set_length_seconds(10);
  ObjectPicker picker = MakePicker(params);
  RandomStream rng(4);
  double t = 0;
  for (; t < 10; t += 0.01) {
    picker.Next(rng, t);
    EXPECT_EQ(picker.working_set_size(), picker.created());  // unlimited before the freeze
  }
  const uint64_t before = picker.created();
  picker.Next(rng, t);  // the first pick at 10 s freezes the size
  const uint64_t frozen = picker.working_set_size();
  EXPECT_EQ(frozen, before);
  for (int i = 0; i < 2000; ++i) {
    ObjectPicker::Pick pick = picker.Next(rng, t += 0.01);
    EXPECT_EQ(picker.working_set_size(), std::min(frozen, picker.created()));
    if (pick.revisit) { EXPECT_GT(pick.id, picker.created() - frozen); }
  }
  EXPECT_GT(picker.created(), frozen + 500);  // new objects kept coming
}

TEST(ObjectPickerTest, CreateRejectsUnusableModels) {
  RandomStream rng(1);
  v1::RobotParams bad = Params(0.5, "popGauss");
  EXPECT_THAT(ObjectPicker::Create(bad, rng).status().message(), HasSubstr("popGauss"));
  bad = Params(0.5, "popZipf", 0);
  EXPECT_THAT(ObjectPicker::Create(bad, rng).status().message(), HasSubstr("skew"));
  bad = Params(1.5, "popUnif");
  EXPECT_FALSE(ObjectPicker::Create(bad, rng).ok());
}

v1::Distribution Const(double seconds) {
  v1::Distribution d;
  d.set_kind(v1::VALUE_KIND_TIME);
  d.mutable_constant()->set_value(seconds);
  return d;
}

v1::Distribution Uniform(double lo, double hi) {
  v1::Distribution d;
  d.set_kind(v1::VALUE_KIND_TIME);
  d.mutable_uniform()->set_lo(lo);
  d.mutable_uniform()->set_hi(hi);
  return d;
}

constexpr int64_t kSec = 1000000000;

TEST(SessionClockTest, ConstantPeriodsAlternateFromTheStart) {
  v1::SessionSpec spec;
  *spec.mutable_busy_period() = Const(10);
  *spec.mutable_idle_period_duration() = Const(5);
  absl::StatusOr<SessionClock> clock = SessionClock::Create(spec, 100 * kSec);
  ASSERT_TRUE(clock.ok()) << clock.status();
  RandomStream rng(1);
  // busy [100, 110), idle [110, 115), busy [115, 125), idle [125, 130), busy [130, 140),
  // idle [140, 145), busy [145, 155), idle [155, 160), ...
  EXPECT_EQ(clock->NextBusy(103 * kSec, rng), 103 * kSec);
  EXPECT_EQ(clock->NextBusy(110 * kSec, rng), 115 * kSec);
  EXPECT_EQ(clock->NextBusy(112 * kSec, rng), 115 * kSec);
  EXPECT_EQ(clock->NextBusy(115 * kSec, rng), 115 * kSec);
  EXPECT_EQ(clock->NextBusy(124 * kSec, rng), 124 * kSec);
  EXPECT_EQ(clock->NextBusy(141 * kSec, rng), 145 * kSec);  // skips whole periods
  EXPECT_EQ(clock->NextBusy(146 * kSec, rng), 146 * kSec);
  EXPECT_EQ(clock->NextBusy(156 * kSec, rng), 160 * kSec);
}

TEST(SessionClockTest, IdleShareMatchesTheMeans) {
  // busy unif(0, 4s) (mean 2 s, sd 1.155 s), idle unif(0, 2s) (mean 1 s, sd 0.577 s).
  v1::SessionSpec spec;
  *spec.mutable_busy_period() = Uniform(0, 4);
  *spec.mutable_idle_period_duration() = Uniform(0, 2);
  absl::StatusOr<SessionClock> clock = SessionClock::Create(spec, 0);
  ASSERT_TRUE(clock.ok());
  RandomStream rng(8);
  // Probe every 10 ms over 30000 s: about 10000 busy/idle cycles.
  constexpr int64_t kStep = kSec / 100;
  constexpr int64_t kHorizon = 30000 * kSec;
  int64_t idle_probes = 0, probes = 0;
  for (int64_t t = 0; t < kHorizon; t += kStep) {
    const int64_t busy = clock->NextBusy(t, rng);
    EXPECT_GE(busy, t);
    idle_probes += busy > t;
    ++probes;
  }
  const double share = static_cast<double>(idle_probes) / static_cast<double>(probes);
  // The idle share is total idle / total time; over n = 10000 cycles the totals have sds
  // sqrt(n) * 0.577 s and sqrt(n) * 1.155 s, i.e. at most about 0.6% of the share each.
  const double cycles = static_cast<double>(kHorizon) / kSec / 3.0;
  const double tolerance = 5 * std::sqrt(cycles) * (0.577 + 1.155) / (cycles * 3.0);
  EXPECT_NEAR(share, 1.0 / 3.0, tolerance);
}

TEST(SessionClockTest, ZeroDrawsCannotStallTheClock) {
  v1::SessionSpec spec;
  *spec.mutable_busy_period() = Const(0);
  *spec.mutable_idle_period_duration() = Const(0);
  absl::StatusOr<SessionClock> clock = SessionClock::Create(spec, 0);
  ASSERT_TRUE(clock.ok());
  RandomStream rng(1);
  const int64_t t = 3600 * kSec;  // far beyond the per-call period bound
  EXPECT_GE(clock->NextBusy(t, rng), t);
  EXPECT_LE(clock->NextBusy(t, rng) - t, kSec);
}

TEST(LaunchDelayTest, UniformInsideTheWindow) {
  RandomStream rng(2);
  constexpr int kN = 20000;
  double sum = 0;
  for (int i = 0; i < kN; ++i) {
    const int64_t d = LaunchDelayNs(30, rng);
    ASSERT_GE(d, 0);
    ASSERT_LT(d, 30 * kSec);
    sum += static_cast<double>(d) / kSec;
  }
  // Mean 15 s; sd of the mean 30 / sqrt(12 n).
  EXPECT_NEAR(sum / kN, 15, 5 * 30 / std::sqrt(12.0 * kN));
  EXPECT_EQ(LaunchDelayNs(0, rng), 0);
}

TEST(ObjectUrlTest, SubstitutesOrAppendsTheId) {
  EXPECT_EQ(ObjectUrl("http://h:80/obj/{id}.html", 42), "http://h:80/obj/42.html");
  EXPECT_EQ(ObjectUrl("http://h/{id}/{id}", 7), "http://h/7/7");
  EXPECT_EQ(ObjectUrl("http://h/1k.html", 3), "http://h/1k.html?id=3");
  EXPECT_EQ(ObjectUrl("http://h/q?x=1", 3), "http://h/q?x=1&id=3");
}

}  // namespace
}  // namespace loadsim
