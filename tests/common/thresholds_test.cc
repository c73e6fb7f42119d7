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
                                       "(expected requests, operations)"),
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
