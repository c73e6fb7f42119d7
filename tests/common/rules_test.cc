#include "common/rules.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace loadsim {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Optional;

// A parsed rule as thresholds.json would give it (min_samples defaulted, origin line 14).
v1::RuleSpec Rule(absl::string_view label, absl::string_view expr, int64_t min_samples = -1,
                  double abort_after = 0) {
  v1::RuleSpec r;
  absl::Status st = ParseRuleExpr(expr, &r);
  EXPECT_TRUE(st.ok()) << st;
  r.set_label(std::string(label));
  r.set_min_samples(min_samples < 0 ? DefaultMinSamples(r) : static_cast<uint64_t>(min_samples));
  r.set_abort_after_seconds(abort_after);
  r.mutable_origin()->set_file("/etc/loadsim/thresholds.json");
  r.mutable_origin()->set_line(14);
  return r;
}

// `n` samples of `ms` milliseconds, the first `failed` of them failed.
LabelRecorder Samples(absl::string_view label, int n, uint64_t ms, int failed = 0) {
  LabelRecorder s{std::string(label)};
  for (int i = 0; i < n; ++i) s.Record(ms * 1000, i >= failed, i < failed ? "500" : "");
  return s;
}

google::protobuf::RepeatedPtrField<v1::RuleSpec> Rules(std::vector<v1::RuleSpec> rules) {
  google::protobuf::RepeatedPtrField<v1::RuleSpec> out;
  for (v1::RuleSpec& r : rules) *out.Add() = std::move(r);
  return out;
}

// The recorders by label.
RuleLabelMap Map(std::vector<LabelRecorder> recorders) {
  RuleLabelMap out;
  for (LabelRecorder& r : recorders) out.emplace(r.label(), std::move(r));
  return out;
}

bool NotLag(absl::string_view label) { return label.rfind("lag{", 0) != 0; }

// Feeds `stats` at 10 s steps from `from` to `to` and expects no abort.
void ExpectNoAbort(AbortWatch& watch, const RuleLabelMap& stats, double from, double to) {
  for (double t = from; t <= to; t += 10) EXPECT_EQ(watch.Update(stats, t), std::nullopt) << t;
}

TEST(ParseRuleExprTest, OperatorsAndSpacing) {
  for (const char* op : {"<", "<=", ">", ">="}) {
    v1::RuleSpec r;
    ASSERT_TRUE(ParseRuleExpr(absl::StrCat("p90", op, "250ms"), &r).ok()) << op;
    EXPECT_EQ(r.op(), op);
    EXPECT_DOUBLE_EQ(r.quantile(), 0.9);
    EXPECT_DOUBLE_EQ(r.bound(), 0.25);
    EXPECT_EQ(r.expr(), absl::StrCat("p90", op, "250ms"));
  }
}

TEST(ParseRuleExprTest, MetricNames) {
  EXPECT_EQ(RuleMetricName(Rule("*", "p99.9 < 1s")), "p99.9");
  EXPECT_EQ(RuleMetricName(Rule("*", "p50 < 1s")), "p50");
  EXPECT_EQ(RuleMetricName(Rule("*", "p0.5 < 1s")), "p0.5");
  EXPECT_EQ(RuleMetricName(Rule("*", "mean < 1s")), "mean");
  EXPECT_EQ(RuleMetricName(Rule("*", "failed < 1%")), "failed");
  EXPECT_EQ(RuleMetricName(Rule("*", "rate > 3/5min")), "rate");
  EXPECT_DOUBLE_EQ(Rule("*", "rate > 3/5min").bound(), 0.01);
  EXPECT_EQ(RuleMetricName(Rule("*", "count >= 0")), "count");
}

TEST(ParseRuleExprTest, DefaultMinSamples) {
  EXPECT_EQ(DefaultMinSamples(Rule("*", "p99 < 1s")), kDefaultRuleMinSamples);
  EXPECT_EQ(DefaultMinSamples(Rule("*", "failed < 1%")), kDefaultRuleMinSamples);
  EXPECT_EQ(DefaultMinSamples(Rule("*", "max < 1s")), kDefaultRuleMinSamples);
  EXPECT_EQ(DefaultMinSamples(Rule("*", "count > 1")), 0u);
  EXPECT_EQ(DefaultMinSamples(Rule("*", "rate > 1")), 0u);
}

TEST(RuleOriginTextTest, BaseNameAndLine) {
  EXPECT_EQ(RuleOriginText(Rule("*", "p99 < 1s")), "(rule thresholds.json:14)");
  v1::RuleSpec r = Rule("*", "p99 < 1s");
  r.mutable_origin()->set_file("t.json");
  EXPECT_EQ(RuleOriginText(r), "(rule t.json:14)");
  r.clear_origin();
  EXPECT_EQ(RuleOriginText(r), "(rule \"p99 < 1s\")");
}

TEST(EvaluateRuleTest, QuantileFailsWithTheOriginalsStyle) {
  LabelRecorder s = Samples("PUT{event}", 100, 734);
  RuleOutcome o = EvaluateRule(Rule("PUT{event}", "p99 < 500ms"), s, 60);
  EXPECT_TRUE(o.judged);
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.samples, 100u);
  EXPECT_NEAR(o.observed, 0.734, 0.734 / 64);  // histogram bucket midpoint
  EXPECT_DOUBLE_EQ(o.bound, 0.5);
  EXPECT_EQ(o.message, absl::StrFormat("PUT{event} p99 %.4g s is not < 0.5 s (rule "
                                       "thresholds.json:14)",
                                       o.observed));
}

TEST(EvaluateRuleTest, QuantilePasses) {
  // 98 fast samples and 2 slow ones: rank floor(0.97 * 100) is fast, floor(0.99 * 100) slow.
  LabelRecorder s{"GET{event}"};
  for (int i = 0; i < 98; ++i) s.Record(10'000, true);
  s.Record(2'000'000, true);
  s.Record(2'000'000, true);
  RuleOutcome p97 = EvaluateRule(Rule("GET{event}", "p97 < 100ms"), s, 1);
  EXPECT_TRUE(p97.passed);
  // 10 ms is reported as its histogram bucket's midpoint (within 1/64).
  EXPECT_EQ(p97.message, "GET{event} p97 0.01005 s < 0.1 s (rule thresholds.json:14)");
  RuleOutcome p99 = EvaluateRule(Rule("GET{event}", "p99 < 100ms"), s, 1);
  EXPECT_FALSE(p99.passed);
  EXPECT_EQ(p99.message, "GET{event} p99 2 s is not < 0.1 s (rule thresholds.json:14)");
}

TEST(EvaluateRuleTest, Operators) {
  LabelRecorder s = Samples("x", 30, 200);  // max is exactly 0.2 s
  EXPECT_FALSE(EvaluateRule(Rule("x", "max < 200ms"), s, 1).passed);
  EXPECT_TRUE(EvaluateRule(Rule("x", "max <= 200ms"), s, 1).passed);
  EXPECT_FALSE(EvaluateRule(Rule("x", "max > 200ms"), s, 1).passed);
  EXPECT_TRUE(EvaluateRule(Rule("x", "max >= 200ms"), s, 1).passed);
  EXPECT_TRUE(EvaluateRule(Rule("x", "max > 199ms"), s, 1).passed);
}

TEST(EvaluateRuleTest, MeanAndMax) {
  LabelRecorder s{"x"};
  for (int i = 0; i < 10; ++i) s.Record(100'000, true);
  for (int i = 0; i < 10; ++i) s.Record(300'000, true);
  RuleOutcome mean = EvaluateRule(Rule("x", "mean < 150ms"), s, 1);
  EXPECT_DOUBLE_EQ(mean.observed, 0.2);
  EXPECT_EQ(mean.message, "x mean 0.2 s is not < 0.15 s (rule thresholds.json:14)");
  RuleOutcome max = EvaluateRule(Rule("x", "max < 1s"), s, 1);
  EXPECT_DOUBLE_EQ(max.observed, 0.3);
  EXPECT_TRUE(max.passed);
}

TEST(EvaluateRuleTest, FailedShare) {
  LabelRecorder s = Samples("DELETE{event}", 40, 10, 1);  // 2.5 % failed
  RuleOutcome o = EvaluateRule(Rule("DELETE{event}", "failed < 1%"), s, 1);
  EXPECT_DOUBLE_EQ(o.observed, 0.025);
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.message, "DELETE{event} failed 2.5% is not < 1% (rule thresholds.json:14)");
  EXPECT_TRUE(EvaluateRule(Rule("DELETE{event}", "failed < 0.03"), s, 1).passed);
}

TEST(EvaluateRuleTest, RateUsesTheRunTime) {
  LabelRecorder s = Samples("poll", 50, 10);
  RuleOutcome o = EvaluateRule(Rule("poll", "rate >= 1/sec"), s, 100);
  EXPECT_DOUBLE_EQ(o.observed, 0.5);
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.message, "poll rate 0.5/s is not >= 1/s (rule thresholds.json:14)");
  EXPECT_TRUE(EvaluateRule(Rule("poll", "rate >= 1/sec"), s, 50).passed);
  EXPECT_EQ(EvaluateRule(Rule("poll", "rate >= 1/sec"), s, 0).observed, 0);
}

TEST(EvaluateRuleTest, Count) {
  LabelRecorder s = Samples("create", 7, 10);
  RuleOutcome o = EvaluateRule(Rule("create", "count >= 10"), s, 1);
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.message, "create count 7 is not >= 10 (rule thresholds.json:14)");
  // Count rules need no samples by default: zero samples is a count too.
  RuleOutcome none = EvaluateRule(Rule("create", "count > 0"), LabelRecorder("create"), 1);
  EXPECT_TRUE(none.judged);
  EXPECT_FALSE(none.passed);
}

TEST(EvaluateRuleTest, TooFewSamplesIsNotJudged) {
  LabelRecorder s = Samples("PUT{event}", 12, 5000);
  RuleOutcome o = EvaluateRule(Rule("PUT{event}", "p99 < 500ms"), s, 1);
  EXPECT_FALSE(o.judged);
  EXPECT_TRUE(o.passed);
  EXPECT_EQ(o.message, "PUT{event} p99: not enough samples (12 of 20), not judged (rule "
                       "thresholds.json:14)");
  // The same samples fail once min_samples allows it.
  EXPECT_FALSE(EvaluateRule(Rule("PUT{event}", "p99 < 500ms", 12), s, 1).passed);
  EXPECT_TRUE(EvaluateRule(Rule("PUT{event}", "p99 < 500ms", 13), s, 1).passed);
}

TEST(EvaluateRulesTest, StarJudgesEachSelectedLabel) {
  const RuleLabelMap labels = Map({Samples("GET{event}", 30, 50), Samples("PUT{event}", 30, 900),
                                   Samples("lag{robot}", 30, 5000)});
  std::vector<RuleOutcome> out =
      EvaluateRules(Rules({Rule("*", "p99 < 500ms")}), labels, 10, NotLag);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].label, "GET{event}");
  EXPECT_TRUE(out[0].passed);
  EXPECT_EQ(out[1].label, "PUT{event}");
  EXPECT_FALSE(out[1].passed);
}

TEST(EvaluateRulesTest, NamedRulesInRuleOrderAndAbsentLabels) {
  const RuleLabelMap labels = Map({Samples("GET{event}", 30, 50)});
  std::vector<RuleOutcome> out = EvaluateRules(
      Rules({Rule("PUT{event}", "p99 < 500ms"), Rule("GET{event}", "mean < 10ms"),
             Rule("PUT{event}", "count >= 1")}),
      labels, 10, NotLag);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].label, "PUT{event}");
  EXPECT_FALSE(out[0].judged);
  EXPECT_THAT(out[0].message, HasSubstr("not enough samples (0 of 20)"));
  EXPECT_EQ(out[1].label, "GET{event}");
  EXPECT_FALSE(out[1].passed);
  EXPECT_EQ(out[2].label, "PUT{event}");
  EXPECT_FALSE(out[2].passed);
  EXPECT_THAT(EvaluateRules(Rules({}), labels, 10, NotLag), IsEmpty());
}

TEST(ToVerdictRuleTest, CopiesTheOutcome) {
  LabelRecorder s = Samples("x", 40, 10, 4);
  v1::VerdictRule v = ToVerdictRule(EvaluateRule(Rule("x", "failed <= 5%"), s, 1));
  EXPECT_EQ(v.kind(), "rule");
  EXPECT_EQ(v.label(), "x");
  EXPECT_FALSE(v.passed());
  EXPECT_DOUBLE_EQ(v.observed(), 0.1);
  EXPECT_DOUBLE_EQ(v.limit(), 0.05);
  EXPECT_EQ(v.message(), "x failed 10% is not <= 5% (rule thresholds.json:14)");
}

TEST(AbortWatchTest, OnlyRulesWithAbortAfterAreWatched) {
  AbortWatch none(Rules({Rule("*", "p99 < 1ms")}), NotLag);
  EXPECT_TRUE(none.empty());
  const RuleLabelMap slow = Map({Samples("x", 100, 900)});
  ExpectNoAbort(none, slow, 10, 100);
  EXPECT_FALSE(none.fired());
}

TEST(AbortWatchTest, FiresWhenBreachedContinuouslyForAbortAfter) {
  AbortWatch watch(Rules({Rule("*", "p99 < 500ms", -1, 30)}), NotLag);
  EXPECT_FALSE(watch.empty());
  const RuleLabelMap slow = Map({Samples("PUT{event}", 100, 900)});
  EXPECT_EQ(watch.Update(slow, 10), std::nullopt);  // breached since 10 s
  EXPECT_EQ(watch.Update(slow, 20), std::nullopt);
  EXPECT_EQ(watch.Update(slow, 30), std::nullopt);  // 20 s < 30 s
  std::optional<std::string> msg = watch.Update(slow, 40);
  ASSERT_TRUE(msg.has_value());
  EXPECT_THAT(*msg, testing::StartsWith("Aborted: PUT{event} p99 0.9"));
  EXPECT_THAT(*msg, HasSubstr("s is not < 0.5 s (rule thresholds.json:14) for 30 s "
                              "(abort_after 30s)"));
  EXPECT_TRUE(watch.fired());
  EXPECT_EQ(watch.Update(slow, 50), std::nullopt);  // fires once
}

TEST(AbortWatchTest, RecoveryRestartsTheClock) {
  AbortWatch watch(Rules({Rule("x", "failed < 10%", 0, 20)}), NotLag);
  const RuleLabelMap bad = Map({Samples("x", 10, 1, 5)});
  const RuleLabelMap good = Map({Samples("x", 100, 1, 5)});
  EXPECT_EQ(watch.Update(bad, 10), std::nullopt);
  EXPECT_EQ(watch.Update(bad, 20), std::nullopt);
  EXPECT_EQ(watch.Update(good, 25), std::nullopt);  // recovered: the breach ends
  EXPECT_EQ(watch.Update(bad, 30), std::nullopt);   // a new breach from 30 s
  EXPECT_EQ(watch.Update(bad, 40), std::nullopt);
  EXPECT_THAT(watch.Update(bad, 50), Optional(HasSubstr("x failed 50% is not < 10%")));
}

TEST(AbortWatchTest, NotEnoughSamplesIsNotABreach) {
  AbortWatch watch(Rules({Rule("x", "p99 < 1ms", 50, 5)}), NotLag);
  const RuleLabelMap few = Map({Samples("x", 10, 100)});
  ExpectNoAbort(watch, few, 10, 100);
  const RuleLabelMap many = Map({Samples("x", 50, 100)});
  EXPECT_EQ(watch.Update(many, 110), std::nullopt);
  EXPECT_THAT(watch.Update(many, 115), Optional(HasSubstr("for 5 s (abort_after 5s)")));
}

TEST(AbortWatchTest, StarRuleTracksLabelsSeparately) {
  // Two labels alternate between breached and fine: neither is breached for 20 s.
  AbortWatch watch(Rules({Rule("*", "max < 100ms", 0, 20)}), NotLag);
  const RuleLabelMap a_slow = Map({Samples("a", 1, 500), Samples("b", 1, 1)});
  const RuleLabelMap b_slow = Map({Samples("a", 1, 1), Samples("b", 1, 500)});
  for (double t = 10; t <= 100; t += 20) {
    EXPECT_EQ(watch.Update(a_slow, t), std::nullopt) << t;
    EXPECT_EQ(watch.Update(b_slow, t + 10), std::nullopt) << t;
  }
  // Scheduling labels are not judged by "*".
  const RuleLabelMap lag = Map({Samples("lag{robot}", 1, 500)});
  ExpectNoAbort(watch, lag, 200, 300);
  EXPECT_FALSE(watch.fired());
}

TEST(AbortWatchTest, RateUsesElapsedTime) {
  AbortWatch watch(Rules({Rule("x", "rate >= 2/sec", -1, 10)}), NotLag);
  const RuleLabelMap stats = Map({Samples("x", 20, 1)});
  EXPECT_EQ(watch.Update(stats, 10), std::nullopt);  // 2/s: fine
  EXPECT_EQ(watch.Update(stats, 20), std::nullopt);  // 1/s: breached from 20 s
  EXPECT_THAT(watch.Update(stats, 30), Optional(HasSubstr("x rate 0.6667/s is not >= 2/s")));
}

}  // namespace
}  // namespace loadsim
