#include "master/phase_controller.h"

#include <map>

#include "gtest/gtest.h"

namespace loadsim {
namespace {

v1::PhaseSpec Phase(const std::string& name, double duration, uint64_t xactions, double lf_beg = 1,
                    double lf_end = 1, bool sync = true) {
  v1::PhaseSpec p;
  p.set_name(name);
  p.mutable_goal()->set_duration_seconds(duration);
  p.mutable_goal()->set_xactions(xactions);
  p.mutable_goal()->set_errors_min_sample(1000);
  p.set_load_factor_beg(lf_beg);
  p.set_load_factor_end(lf_end);
  p.set_populus_factor_beg(1);
  p.set_populus_factor_end(1);
  p.set_log_stats(true);
  p.set_synchronize(sync);
  return p;
}

// Per-worker counts the test sets; merged = sum.
struct FakeCounts {
  std::map<std::pair<int, int>, PhaseCount> by;  // (phase, worker)
  PhaseController::Counts fn() {
    return [this](int phase, int worker) {
      PhaseCount c;
      for (const auto& [key, v] : by) {
        if (key.first != phase || (worker >= 0 && key.second != worker)) continue;
        c.xactions += v.xactions;
        c.errors += v.errors;
      }
      return c;
    };
  }
};

TEST(PhaseControllerTest, NoPhasesIsOneRunPhaseOfTheRuntime) {
  PhaseController pc({}, 30, {10, 10}, false);
  EXPECT_TRUE(pc.Begin(0.5).empty());  // workers need no factors
  FakeCounts counts;
  EXPECT_TRUE(pc.Tick(29.9, counts.fn()).empty());
  EXPECT_FALSE(pc.done());
  pc.Tick(30.0, counts.fn());
  EXPECT_TRUE(pc.done());
  ASSERT_EQ(pc.records().size(), 1u);
  EXPECT_EQ(pc.phases()[0].name(), "run");
  EXPECT_EQ(pc.records()[0].ended_by, "duration");
}

TEST(PhaseControllerTest, XactionsGoalUsesMergedCountsOfAllWorkers) {
  PhaseController pc({Phase("warm", 0, 300), Phase("hot", 5, 0)}, 0, {5, 5, 5}, true);
  ASSERT_EQ(pc.Begin(0).size(), 1u);
  FakeCounts counts;
  counts.by[{0, 0}] = {100, 0};
  counts.by[{0, 1}] = {100, 0};
  counts.by[{0, 2}] = {99, 0};  // 299 merged: not yet
  EXPECT_TRUE(pc.Tick(1, counts.fn()).empty());
  counts.by[{0, 2}] = {100, 0};  // 300
  std::vector<PhaseController::Send> sends = pc.Tick(2, counts.fn());
  ASSERT_EQ(sends.size(), 1u);
  EXPECT_EQ(sends[0].worker, -1);
  EXPECT_EQ(sends[0].change.phase_index(), 1);
  EXPECT_EQ(pc.TakeEndedPhases(), std::vector<int>{0});
  EXPECT_EQ(pc.records()[0].ended_by, "xactions");
  pc.Tick(6.9, counts.fn());
  EXPECT_FALSE(pc.done());
  pc.Tick(7.0, counts.fn());
  EXPECT_TRUE(pc.done());
  EXPECT_DOUBLE_EQ(pc.records()[1].start_s, 2);
  EXPECT_DOUBLE_EQ(pc.records()[1].end_s, 7);
}

TEST(PhaseControllerTest, UnsynchronizedPhaseEndsPerWorkerOnItsShare) {
  PhaseController pc({Phase("a", 0, 200, 1, 1, false), Phase("b", 10, 0)}, 0, {10, 30}, true);
  pc.Begin(0);
  FakeCounts counts;
  counts.by[{0, 0}] = {50, 0};  // worker 0's share is 50 of 200
  std::vector<PhaseController::Send> sends = pc.Tick(1, counts.fn());
  ASSERT_EQ(sends.size(), 1u);
  EXPECT_EQ(sends[0].worker, 0);
  EXPECT_EQ(pc.PositionOf(0), 1);
  EXPECT_EQ(pc.PositionOf(1), 0);
  EXPECT_TRUE(pc.TakeEndedPhases().empty());  // worker 1 is still in it
  counts.by[{0, 1}] = {150, 0};
  pc.Tick(2, counts.fn());
  EXPECT_EQ(pc.PositionOf(1), 1);
  EXPECT_EQ(pc.TakeEndedPhases(), std::vector<int>{0});
}

TEST(PhaseControllerTest, ErrorsGoalEndsTheRun) {
  v1::PhaseSpec p = Phase("p", 100, 0);
  p.mutable_goal()->set_errors(0.1);
  p.mutable_goal()->set_errors_min_sample(100);
  PhaseController pc({p}, 0, {1}, true);
  pc.Begin(0);
  FakeCounts counts;
  counts.by[{0, 0}] = {50, 10};  // 17% but below the minimum sample
  pc.Tick(1, counts.fn());
  EXPECT_FALSE(pc.done());
  counts.by[{0, 0}] = {90, 11};
  pc.Tick(2, counts.fn());
  EXPECT_TRUE(pc.done());
  EXPECT_TRUE(pc.errors_goal_reached());
  EXPECT_NE(pc.errors_message().find("errors goal"), std::string::npos);
  EXPECT_EQ(pc.records()[0].ended_by, "errors");
}

TEST(PhaseControllerTest, DurationRampIsOneSlopeShiftedByTheLead) {
  PhaseController pc({Phase("ramp", 10, 0, 0.0, 2.0)}, 0, {4}, true);
  std::vector<PhaseController::Send> sends = pc.Begin(0.5);
  ASSERT_EQ(sends.size(), 1u);
  const v1::PhaseChange& c = sends[0].change;
  EXPECT_DOUBLE_EQ(c.load_slope_per_s(), 0.2);
  EXPECT_DOUBLE_EQ(c.load_factor(), -0.1);  // clamped to lo = 0 until the start
  EXPECT_DOUBLE_EQ(c.load_lo(), 0.0);
  EXPECT_DOUBLE_EQ(c.load_hi(), 2.0);
  EXPECT_EQ(c.total_users(), 4u);
}

TEST(PhaseControllerTest, XactionsRampIsResentWithTheMeasuredSlope) {
  PhaseController pc({Phase("ramp", 0, 1000, 1.0, 2.0)}, 0, {1, 1}, true);
  pc.Begin(0);
  FakeCounts counts;
  counts.by[{0, 0}] = {100, 0};
  counts.by[{0, 1}] = {100, 0};
  std::vector<PhaseController::Send> sends = pc.Tick(1.0, counts.fn());
  ASSERT_EQ(sends.size(), 1u);
  EXPECT_DOUBLE_EQ(sends[0].change.load_factor(), 1.2);       // 200 of 1000 done
  EXPECT_DOUBLE_EQ(sends[0].change.load_slope_per_s(), 0.2);  // 200/s of 1000, x (2 - 1)
  EXPECT_TRUE(pc.Tick(1.5, counts.fn()).empty());             // at most once a second
}

}  // namespace
}  // namespace loadsim
