#include "common/thresholds.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/testing_util.h"

namespace loadsim {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

using testing_util::DiagnosticMessages;

// Writes `content` to a file of the running test and returns its path.
std::string WriteTemp(absl::string_view content, absl::string_view name = "t.json") {
  return testing_util::WriteTestFile(absl::StrCat(testing_util::TestTempDir(), "/", name), content);
}

std::vector<double> Percent(const v1::ThresholdTable::Row& row) {
  return std::vector<double>(row.percent().begin(), row.percent().end());
}

std::vector<double> Limits(const v1::ThresholdTable& t) {
  return std::vector<double>(t.limits_seconds().begin(), t.limits_seconds().end());
}

// Writes `content`, runs `load` on it expecting failure, and returns the messages with the
// file's path replaced by "F".
template <typename Loader>
std::vector<std::string> LoadErrors(Loader load, absl::string_view content) {
  std::string path = WriteTemp(content);
  Diagnostics diags;
  EXPECT_FALSE(load(path, &diags).has_value());
  EXPECT_TRUE(diags.has_errors());
  std::vector<std::string> out;
  for (std::string m : DiagnosticMessages(diags)) {
    if (m.compare(0, path.size(), path) == 0) m = "F" + m.substr(path.size());
    out.push_back(m);
  }
  return out;
}

std::vector<std::string> ThresholdErrors(absl::string_view content) {
  return LoadErrors(LoadThresholds, content);
}

std::vector<std::string> BenchmarkErrors(absl::string_view content) {
  return LoadErrors(LoadBenchmarks, content);
}

constexpr char kLimits7[] = "[0.1, 0.5, 1, 3, 5, 10, 30]";

TEST(BuiltinThresholdsTest, Operations) {
  v1::ThresholdTable t = BuiltinOperationThresholds();
  EXPECT_THAT(Limits(t), ElementsAre(0.1, 0.5, 1, 3, 5, 10, 30));
  ASSERT_EQ(t.rows_size(), 1);
  EXPECT_EQ(t.rows(0).label(), "default");
  EXPECT_THAT(Percent(t.rows(0)), ElementsAre(100, 100, 100, 100, 100, 100, 100));
  EXPECT_EQ(t.source(), "built-in");
}

TEST(BuiltinThresholdsTest, Requests) {
  v1::ThresholdTable t = BuiltinRequestThresholds();
  EXPECT_THAT(Limits(t), ElementsAre(0.1, 0.5, 1, 3, 5, 10, 30));
  ASSERT_EQ(t.rows_size(), 1);
  EXPECT_THAT(Percent(t.rows(0)), ElementsAre(100, 100, 100, 5, 1, 0.5, 0));
  EXPECT_EQ(t.source(), "built-in");
}

TEST(LoadThresholdsTest, ReadsBothSections) {
  std::string path = WriteTemp(absl::StrCat(R"({
  "requests": {"limits": [1, 2], "thresholds": {"default": [100, 5], "GET{event}": [50, 0.5]}},
  "operations": {"limits": [0.5], "thresholds": {"default": [10], "invite": [20]}}
})"));
  Diagnostics diags;
  std::optional<v1::Thresholds> t = LoadThresholds(path, &diags);
  ASSERT_TRUE(t.has_value()) << diags.ToStatus();
  EXPECT_THAT(diags.entries(), IsEmpty());
  EXPECT_THAT(Limits(t->requests()), ElementsAre(1, 2));
  ASSERT_EQ(t->requests().rows_size(), 2);
  EXPECT_EQ(t->requests().rows(1).label(), "GET{event}");
  EXPECT_THAT(Percent(t->requests().rows(1)), ElementsAre(50, 0.5));
  EXPECT_EQ(t->requests().source(), path);
  EXPECT_THAT(Limits(t->operations()), ElementsAre(0.5));
  EXPECT_EQ(t->operations().rows(1).label(), "invite");
  EXPECT_EQ(t->operations().source(), path);
}

TEST(LoadThresholdsTest, AbsentSectionsAreBuiltIn) {
  std::string path = WriteTemp(R"({"requests": {"limits": [1], "thresholds": {"default": [7]}}})");
  Diagnostics diags;
  std::optional<v1::Thresholds> t = LoadThresholds(path, &diags);
  ASSERT_TRUE(t.has_value()) << diags.ToStatus();
  EXPECT_EQ(t->requests().source(), path);
  EXPECT_EQ(t->operations().source(), "built-in");
  EXPECT_THAT(Percent(t->operations().rows(0)), ElementsAre(100, 100, 100, 100, 100, 100, 100));

  std::string empty = WriteTemp("{}", "empty.json");
  Diagnostics diags2;
  t = LoadThresholds(empty, &diags2);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->requests().source(), "built-in");
  EXPECT_THAT(Percent(t->requests().rows(0)), ElementsAre(100, 100, 100, 5, 1, 0.5, 0));
}

TEST(LoadThresholdsTest, RowLengthMustMatchLimits) {
  EXPECT_THAT(ThresholdErrors(absl::StrCat("{\n \"requests\": {\n  \"limits\": ", kLimits7,
                                           ",\n  \"thresholds\": {\n"
                                           "   \"default\": [1, 1, 1, 1, 1, 1, 1],\n"
                                           "   \"GET{event}\":\n"
                                           "      [1, 1, 1, 1, 1, 1]\n"
                                           "}}}")),
              ElementsAre("F:7: requests.thresholds.GET{event}: has 6 values but limits has 7"));
}

TEST(LoadThresholdsTest, LimitsMustBePositive) {
  EXPECT_THAT(
      ThresholdErrors("{\"operations\": {\"limits\": [\n0,\n 1],\n"
                      " \"thresholds\": {\"default\": [1, 1]}}}"),
      ElementsAre("F:2: operations.limits[0]: limit 0 must be a positive number of seconds"));
}

TEST(LoadThresholdsTest, LimitsMustBeStrictlyIncreasing) {
  EXPECT_THAT(ThresholdErrors("{\"requests\": {\"limits\": [1,\n 3,\n 3],\n"
                              " \"thresholds\": {\"default\": [1, 1, 1]}}}"),
              ElementsAre("F:3: requests.limits[2]: limit 3 is not greater than the previous "
                          "limit 3 (limits must be strictly increasing)"));
}

TEST(LoadThresholdsTest, LimitsMustNotBeEmpty) {
  EXPECT_THAT(ThresholdErrors("{\"requests\": {\"limits\": [],\n"
                              " \"thresholds\": {\"default\": []}}}"),
              ElementsAre("F:1: requests.limits: must list at least one limit"));
}

TEST(LoadThresholdsTest, LimitsMustBeNumbers) {
  EXPECT_THAT(ThresholdErrors("{\"requests\": {\"limits\": [1, \"2\"],\n"
                              " \"thresholds\": {\"default\": [1, 1]}}}"),
              ElementsAre("F:1: requests.limits[1]: must be a number (found string)"));
  EXPECT_THAT(ThresholdErrors("{\"requests\": {\"limits\": 1,\n"
                              " \"thresholds\": {\"default\": [1]}}}"),
              ElementsAre("F:1: requests.limits: must be an array (found integer)"));
}

TEST(LoadThresholdsTest, PercentagesMustBeInRange) {
  EXPECT_THAT(ThresholdErrors("{\"requests\": {\"limits\": [1, 2],\n"
                              " \"thresholds\": {\"default\": [100, 5],\n"
                              "  \"x\": [100.5,\n -1]}}}"),
              ElementsAre("F:3: requests.thresholds.x[0]: 100.5 is not a percentage in [0, 100]",
                          "F:4: requests.thresholds.x[1]: -1 is not a percentage in [0, 100]"));
}

TEST(LoadThresholdsTest, PercentagesMustBeNumbers) {
  EXPECT_THAT(ThresholdErrors("{\"requests\": {\"limits\": [1],\n"
                              " \"thresholds\": {\"default\": [null]}}}"),
              ElementsAre("F:2: requests.thresholds.default[0]: must be a number (found null)"));
  EXPECT_THAT(ThresholdErrors("{\"requests\": {\"limits\": [1],\n"
                              " \"thresholds\": {\"default\": {}}}}"),
              ElementsAre("F:2: requests.thresholds.default: must be an array (found dict)"));
}

TEST(LoadThresholdsTest, DefaultRowIsRequired) {
  EXPECT_THAT(ThresholdErrors("{\"requests\": {\"limits\": [1],\n"
                              " \"thresholds\": {\n \"GET{event}\": [1]}}}"),
              ElementsAre("F:2: requests.thresholds: has no \"default\" row (used for every "
                          "label without its own row)"));
}

TEST(LoadThresholdsTest, SectionKeysAreRequired) {
  EXPECT_THAT(ThresholdErrors("{\n\"operations\": {}}"),
              ElementsAre("F:2: operations.limits: required key is missing",
                          "F:2: operations.thresholds: required key is missing"));
}

TEST(LoadThresholdsTest, SectionMustBeObject) {
  EXPECT_THAT(ThresholdErrors("{\"requests\":\n [1]}"),
              ElementsAre("F:2: requests: must be an object (found array)"));
  EXPECT_THAT(ThresholdErrors("{\"requests\": {\"limits\": [1], \"thresholds\": [1]}}"),
              ElementsAre("F:1: requests.thresholds: must be an object (found array)"));
}

TEST(LoadThresholdsTest, TopLevelMustBeObject) {
  EXPECT_THAT(ThresholdErrors("\n[]"),
              ElementsAre("F:2: thresholds must be a JSON object with \"requests\" and/or "
                          "\"operations\" (found array)"));
}

TEST(LoadThresholdsTest, UnknownKeysAreWarnings) {
  std::string path = WriteTemp(
      "{\"requests\": {\"limits\": [1], \"thresholds\": {\"default\": [1]},\n \"extra\": 1},\n"
      " \"reqests\": {}}");
  Diagnostics diags;
  ASSERT_TRUE(LoadThresholds(path, &diags).has_value());
  EXPECT_FALSE(diags.has_errors());
  EXPECT_THAT(DiagnosticMessages(diags),
              ElementsAre(absl::StrCat(path,
                                       ":3: warning: reqests: unknown key ignored "
                                       "(expected requests, operations, rules)"),
                          absl::StrCat(path,
                                       ":2: warning: requests.extra: unknown key ignored "
                                       "(expected limits, thresholds)")));
}

TEST(LoadThresholdsTest, ReportsAllErrors) {
  EXPECT_THAT(
      ThresholdErrors("{\"requests\": {\"limits\": [2, 1],\n"
                      " \"thresholds\": {\"a\": [200]}},\n"
                      " \"operations\": {\"limits\": [1],\n"
                      " \"thresholds\": {\"default\": [1, 2]}}}"),
      ElementsAre(HasSubstr("F:1: requests.limits[1]"), HasSubstr("F:2: requests.thresholds.a[0]"),
                  HasSubstr("F:2: requests.thresholds: has no \"default\""),
                  "F:4: operations.thresholds.default: has 2 values but limits has 1"));
}

TEST(LoadThresholdsTest, MalformedJson) {
  EXPECT_THAT(ThresholdErrors("{\"requests\": {\n\"limits\": [1,,]}}"),
              ElementsAre(HasSubstr("F:2: malformed JSON: ")));
}

TEST(LoadThresholdsTest, MissingFile) {
  Diagnostics diags;
  std::string path = ::testing::TempDir() + "/no/such/thresholds.json";
  EXPECT_FALSE(LoadThresholds(path, &diags).has_value());
  EXPECT_THAT(DiagnosticMessages(diags), ElementsAre(HasSubstr(path)));
}

// The errors of a thresholds file whose "rules" array holds `items` (the array's first item
// starts on line 2).
std::vector<std::string> RuleErrors(absl::string_view items) {
  return ThresholdErrors(absl::StrCat("{\"rules\": [\n", items, "]}"));
}

TEST(LoadThresholdsRulesTest, ReadsRulesWithDefaultsAndOrigins) {
  std::string path = WriteTemp(R"({
  "rules": [
    {"label": "PUT{event}", "expr": "p99 < 500ms"},
    {"label": "*", "expr": "failed<=1%", "min_samples": 100, "abort_after": "30s"},
    {"label": "GET{event}", "expr": " p99.9 >= 2sec "},
    {"label": "*", "expr": "rate > 10/sec"},
    {"label": "poll", "expr": "count >= 5"},
    {"label": "*", "expr": "mean < 0.25s", "min_samples": 0},
    {"label": "*", "expr": "max < 1min"},
    {"label": "*", "expr": "failed < 0.05"}
  ]
})");
  Diagnostics diags;
  std::optional<v1::Thresholds> t = LoadThresholds(path, &diags);
  ASSERT_TRUE(t.has_value()) << diags.ToStatus();
  EXPECT_THAT(diags.entries(), IsEmpty());
  EXPECT_EQ(t->requests().source(), "built-in");
  ASSERT_EQ(t->rules_size(), 8);
  const v1::RuleSpec& p99 = t->rules(0);
  EXPECT_EQ(p99.label(), "PUT{event}");
  EXPECT_EQ(p99.expr(), "p99 < 500ms");
  EXPECT_EQ(p99.metric(), "quantile");
  EXPECT_DOUBLE_EQ(p99.quantile(), 0.99);
  EXPECT_EQ(p99.op(), "<");
  EXPECT_DOUBLE_EQ(p99.bound(), 0.5);
  EXPECT_EQ(p99.min_samples(), 20u);
  EXPECT_EQ(p99.abort_after_seconds(), 0);
  EXPECT_EQ(p99.origin().file(), path);
  EXPECT_EQ(p99.origin().line(), 3);

  const v1::RuleSpec& failed = t->rules(1);
  EXPECT_EQ(failed.label(), "*");
  EXPECT_EQ(failed.metric(), "failed");
  EXPECT_EQ(failed.op(), "<=");
  EXPECT_DOUBLE_EQ(failed.bound(), 0.01);
  EXPECT_EQ(failed.min_samples(), 100u);
  EXPECT_DOUBLE_EQ(failed.abort_after_seconds(), 30);
  EXPECT_EQ(failed.origin().line(), 4);

  EXPECT_DOUBLE_EQ(t->rules(2).quantile(), 0.999);
  EXPECT_EQ(t->rules(2).op(), ">=");
  EXPECT_DOUBLE_EQ(t->rules(2).bound(), 2);
  EXPECT_EQ(t->rules(3).metric(), "rate");
  EXPECT_DOUBLE_EQ(t->rules(3).bound(), 10);
  EXPECT_EQ(t->rules(3).min_samples(), 0u);  // count and rate need no samples
  EXPECT_EQ(t->rules(4).metric(), "count");
  EXPECT_DOUBLE_EQ(t->rules(4).bound(), 5);
  EXPECT_EQ(t->rules(4).min_samples(), 0u);
  EXPECT_EQ(t->rules(5).metric(), "mean");
  EXPECT_EQ(t->rules(5).min_samples(), 0u);
  EXPECT_EQ(t->rules(6).metric(), "max");
  EXPECT_DOUBLE_EQ(t->rules(6).bound(), 60);
  EXPECT_DOUBLE_EQ(t->rules(7).bound(), 0.05);
}

TEST(LoadThresholdsRulesTest, RulesMustBeAnArray) {
  EXPECT_THAT(ThresholdErrors("{\n\"rules\": {}}"),
              ElementsAre("F:2: rules: must be an array (found dict)"));
}

TEST(LoadThresholdsRulesTest, RuleMustBeAnObject) {
  EXPECT_THAT(RuleErrors("\"p99 < 1s\""),
              ElementsAre("F:2: rules[0]: must be an object (found string)"));
}

TEST(LoadThresholdsRulesTest, LabelAndExprAreRequired) {
  EXPECT_THAT(RuleErrors("{}"), ElementsAre("F:2: rules[0].label: required key is missing",
                                            "F:2: rules[0].expr: required key is missing"));
}

TEST(LoadThresholdsRulesTest, LabelMustBeANonEmptyString) {
  EXPECT_THAT(RuleErrors("{\"label\":\n 3, \"expr\": \"p99 < 1s\"}"),
              ElementsAre("F:3: rules[0].label: must be a non-empty string (found integer)"));
  EXPECT_THAT(RuleErrors("{\"label\": \"\", \"expr\": \"p99 < 1s\"}"),
              ElementsAre("F:2: rules[0].label: must be a non-empty string (found string)"));
}

TEST(LoadThresholdsRulesTest, ExprMustBeAString) {
  EXPECT_THAT(RuleErrors("{\"label\": \"*\", \"expr\": [1]}"),
              ElementsAre("F:2: rules[0].expr: must be a non-empty string (found array)"));
}

TEST(LoadThresholdsRulesTest, UnknownMetric) {
  EXPECT_THAT(RuleErrors("{\"label\": \"*\", \"expr\": \"p99 < 1s\"},\n"
                         "{\"label\": \"*\", \"expr\": \"p50 < 1s\"},\n"
                         "{\"label\": \"*\",\n \"expr\": \"p1000 < 1s\"}"),
              ElementsAre("F:5: rules[2].expr: unknown metric \"p1000\" (expected p<N> with "
                          "0 < N < 100, mean, max, failed, rate, count)"));
  for (const char* metric : {"p0", "p100", "P99", "median", "p", "p9x", "p1.2.3"}) {
    EXPECT_THAT(RuleErrors(absl::StrCat("{\"label\": \"*\", \"expr\": \"", metric, " < 1s\"}")),
                ElementsAre(HasSubstr(absl::StrCat("rules[0].expr: unknown metric \"", metric,
                                                   "\""))))
        << metric;
  }
}

TEST(LoadThresholdsRulesTest, ExprMustStartWithAMetric) {
  EXPECT_THAT(RuleErrors("{\"label\": \"*\", \"expr\": \"< 1s\"}"),
              ElementsAre(HasSubstr("F:2: rules[0].expr: \"< 1s\" does not start with a metric")));
  EXPECT_THAT(RuleErrors("{\"label\": \"*\", \"expr\": \"  \"}"),
              ElementsAre("F:2: rules[0].expr: empty expression (expected <metric> <op> "
                          "<bound>, e.g. \"p99 < 500ms\")"));
}

TEST(LoadThresholdsRulesTest, OperatorIsRequired) {
  EXPECT_THAT(RuleErrors("{\"label\": \"*\", \"expr\": \"p99 = 1s\"}"),
              ElementsAre("F:2: rules[0].expr: expected an operator (<, <=, >, >=) after "
                          "\"p99\" in \"p99 = 1s\""));
  EXPECT_THAT(RuleErrors("{\"label\": \"*\", \"expr\": \"mean 1s\"}"),
              ElementsAre(HasSubstr("expected an operator (<, <=, >, >=) after \"mean\"")));
}

TEST(LoadThresholdsRulesTest, BoundIsRequired) {
  EXPECT_THAT(RuleErrors("{\"label\": \"*\", \"expr\": \"p99 <= \"}"),
              ElementsAre("F:2: rules[0].expr: missing the bound after \"<=\" in \"p99 <=\""));
}

TEST(LoadThresholdsRulesTest, LatencyBoundNeedsAUnit) {
  EXPECT_THAT(RuleErrors("{\"label\": \"*\", \"expr\": \"p99 < 500\"}"),
              ElementsAre("F:2: rules[0].expr: bound \"500\": a latency needs a unit (ms, s, "
                          "sec, min), e.g. 500ms"));
}

TEST(LoadThresholdsRulesTest, LatencyBoundMustBeATime) {
  EXPECT_THAT(RuleErrors("{\"label\": \"*\", \"expr\": \"max < 5xs\"}"),
              ElementsAre(HasSubstr("F:2: rules[0].expr: invalid time \"5xs\": unknown suffix")));
  EXPECT_THAT(RuleErrors("{\"label\": \"*\", \"expr\": \"mean > -5ms\"}"),
              ElementsAre("F:2: rules[0].expr: bound \"-5ms\" must not be negative"));
}

TEST(LoadThresholdsRulesTest, FailedBoundMustBeAFraction) {
  EXPECT_THAT(RuleErrors("{\"label\": \"*\", \"expr\": \"failed < 150%\"}"),
              ElementsAre("F:2: rules[0].expr: bound \"150%\" is not a fraction in [0, 1] or a "
                          "percentage up to 100%"));
  EXPECT_THAT(RuleErrors("{\"label\": \"*\", \"expr\": \"failed < 1ms\"}"),
              ElementsAre(HasSubstr("F:2: rules[0].expr: invalid ratio \"1ms\"")));
}

TEST(LoadThresholdsRulesTest, RateBoundMustBeARate) {
  EXPECT_THAT(RuleErrors("{\"label\": \"*\", \"expr\": \"rate > 10/x\"}"),
              ElementsAre(HasSubstr("F:2: rules[0].expr: invalid rate \"10/x\"")));
  EXPECT_THAT(RuleErrors("{\"label\": \"*\", \"expr\": \"rate > -1\"}"),
              ElementsAre("F:2: rules[0].expr: bound \"-1\" must not be negative"));
}

TEST(LoadThresholdsRulesTest, CountBoundMustBeAWholeNumber) {
  for (const char* bound : {"1.5", "-2", "ten", "5/sec"}) {
    EXPECT_THAT(RuleErrors(absl::StrCat("{\"label\": \"*\", \"expr\": \"count > ", bound, "\"}")),
                ElementsAre(absl::StrCat("F:2: rules[0].expr: bound \"", bound,
                                         "\" must be a whole number >= 0")))
        << bound;
  }
}

TEST(LoadThresholdsRulesTest, MinSamplesMustBeAWholeNumber) {
  EXPECT_THAT(RuleErrors("{\"label\": \"*\", \"expr\": \"p99 < 1s\",\n \"min_samples\": -1}"),
              ElementsAre("F:3: rules[0].min_samples: min_samples -1 must be a whole number >= 0"));
  EXPECT_THAT(RuleErrors("{\"label\": \"*\", \"expr\": \"p99 < 1s\", \"min_samples\": 2.5}"),
              ElementsAre("F:2: rules[0].min_samples: min_samples 2.5 must be a whole number >= 0"));
  EXPECT_THAT(RuleErrors("{\"label\": \"*\", \"expr\": \"p99 < 1s\", \"min_samples\": \"9\"}"),
              ElementsAre("F:2: rules[0].min_samples: must be a number (found string)"));
}

TEST(LoadThresholdsRulesTest, AbortAfterMustBeAPositiveTime) {
  EXPECT_THAT(RuleErrors("{\"label\": \"*\", \"expr\": \"p99 < 1s\",\n \"abort_after\": 30}"),
              ElementsAre("F:3: rules[0].abort_after: must be a time such as \"30s\" (found "
                          "integer)"));
  EXPECT_THAT(RuleErrors("{\"label\": \"*\", \"expr\": \"p99 < 1s\", \"abort_after\": \"0s\"}"),
              ElementsAre("F:2: rules[0].abort_after: \"0s\" must be a positive time"));
  EXPECT_THAT(RuleErrors("{\"label\": \"*\", \"expr\": \"p99 < 1s\", \"abort_after\": \"30 x\"}"),
              ElementsAre(HasSubstr("F:2: rules[0].abort_after: invalid time \"30 x\"")));
}

TEST(LoadThresholdsRulesTest, UnknownRuleKeysAreWarnings) {
  std::string path = WriteTemp(
      "{\"rules\": [{\"label\": \"*\", \"expr\": \"p99 < 1s\",\n \"abortOnFail\": true}]}");
  Diagnostics diags;
  std::optional<v1::Thresholds> t = LoadThresholds(path, &diags);
  ASSERT_TRUE(t.has_value()) << diags.ToStatus();
  EXPECT_THAT(DiagnosticMessages(diags),
              ElementsAre(absl::StrCat(path,
                                       ":2: warning: rules[0].abortOnFail: unknown key ignored "
                                       "(expected label, expr, min_samples, abort_after)")));
  EXPECT_EQ(t->rules_size(), 1);
}

TEST(LoadThresholdsRulesTest, ReportsEveryBadRule) {
  EXPECT_THAT(RuleErrors("{\"label\": \"*\", \"expr\": \"p99 < 1s\"},\n"
                         "{\"label\": \"*\", \"expr\": \"p99 < 1\"},\n"
                         "{\"label\": \"*\", \"expr\": \"mean ~ 1s\", \"min_samples\": -3},\n"
                         "{\"expr\": \"count > 1\"}"),
              ElementsAre(HasSubstr("F:3: rules[1].expr: bound \"1\""),
                          HasSubstr("F:4: rules[2].expr: expected an operator"),
                          HasSubstr("F:4: rules[2].min_samples: min_samples -3"),
                          "F:5: rules[3].label: required key is missing"));
}

TEST(ThresholdRowForTest, FindsLabelOrFallsBackToDefault) {
  std::string path = WriteTemp(
      R"({"requests": {"limits": [1], "thresholds": {"default": [1], "GET{event}": [2]}}})");
  Diagnostics diags;
  std::optional<v1::Thresholds> t = LoadThresholds(path, &diags);
  ASSERT_TRUE(t.has_value());
  EXPECT_THAT(Percent(ThresholdRowFor(t->requests(), "GET{event}")), ElementsAre(2));
  EXPECT_THAT(Percent(ThresholdRowFor(t->requests(), "PUT{event}")), ElementsAre(1));
  EXPECT_EQ(ThresholdRowFor(t->requests(), "PUT{event}").label(), "default");
  v1::ThresholdTable empty;
  EXPECT_EQ(ThresholdRowFor(empty, "x").percent_size(), 0);
}

TEST(LoadBenchmarksTest, ReadsEntriesInFileOrder) {
  std::string path = WriteTemp(R"({
  "PUT{event}": {"mean": 0.25, "weight": 1},
  "GET{event}": {"weight": 0, "mean": 1}
})");
  Diagnostics diags;
  std::optional<v1::Benchmarks> b = LoadBenchmarks(path, &diags);
  ASSERT_TRUE(b.has_value()) << diags.ToStatus();
  EXPECT_THAT(diags.entries(), IsEmpty());
  EXPECT_EQ(b->source(), path);
  ASSERT_EQ(b->benchmarks_size(), 2);
  EXPECT_EQ(b->benchmarks(0).label(), "PUT{event}");
  EXPECT_DOUBLE_EQ(b->benchmarks(0).mean_seconds(), 0.25);
  EXPECT_DOUBLE_EQ(b->benchmarks(0).weight(), 1);
  EXPECT_EQ(b->benchmarks(1).label(), "GET{event}");
  EXPECT_DOUBLE_EQ(b->benchmarks(1).weight(), 0);
}

TEST(LoadBenchmarksTest, MeanMustBePositive) {
  EXPECT_THAT(BenchmarkErrors("{\n\"a\": {\"mean\":\n 0, \"weight\": 1}}"),
              ElementsAre("F:3: a.mean: mean 0 must be a positive number of seconds"));
}

TEST(LoadBenchmarksTest, WeightMustNotBeNegative) {
  EXPECT_THAT(BenchmarkErrors("{\n\"a\": {\"mean\": 1,\n \"weight\": -0.5}}"),
              ElementsAre("F:3: a.weight: weight -0.5 must not be negative"));
}

TEST(LoadBenchmarksTest, MeanAndWeightAreRequired) {
  EXPECT_THAT(BenchmarkErrors("{\n\"a\": {}}"),
              ElementsAre("F:2: a.mean: required key is missing",
                          "F:2: a.weight: required key is missing"));
}

TEST(LoadBenchmarksTest, MeanAndWeightMustBeNumbers) {
  EXPECT_THAT(BenchmarkErrors("{\"a\": {\"mean\": \"1\",\n \"weight\": true}}"),
              ElementsAre("F:1: a.mean: must be a number (found string)",
                          "F:2: a.weight: must be a number (found boolean)"));
}

TEST(LoadBenchmarksTest, EntryMustBeObject) {
  EXPECT_THAT(BenchmarkErrors("{\"a\":\n 0.5}"),
              ElementsAre("F:2: a: must be an object (found real)"));
}

TEST(LoadBenchmarksTest, TopLevelMustBeObject) {
  EXPECT_THAT(BenchmarkErrors("[]"), ElementsAre(HasSubstr("F:1: benchmarks must be a JSON "
                                                           "object")));
}

TEST(LoadBenchmarksTest, UnknownKeysAreWarnings) {
  std::string path = WriteTemp("{\"a\": {\"mean\": 1, \"weight\": 1,\n \"median\": 2}}");
  Diagnostics diags;
  ASSERT_TRUE(LoadBenchmarks(path, &diags).has_value());
  EXPECT_THAT(DiagnosticMessages(diags),
              ElementsAre(absl::StrCat(path,
                                       ":2: warning: a.median: unknown key ignored "
                                       "(expected mean, weight)")));
}

TEST(LoadBenchmarksTest, DuplicateLabelIsAnError) {
  EXPECT_THAT(BenchmarkErrors("{\"a\": {\"mean\": 1, \"weight\": 1},\n"
                              " \"a\": {\"mean\": 2, \"weight\": 1}}"),
              ElementsAre("F:2: a: duplicate key (first defined at line 1)"));
}

}  // namespace
}  // namespace loadsim
