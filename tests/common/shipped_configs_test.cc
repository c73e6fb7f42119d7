// The data files shipped in configs/ load without any error or warning and hold the numbers of
// spec sections 6.3 and 6.4.
#include <string>
#include <vector>

#include "common/accounts.h"
#include "common/thresholds.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/testing_util.h"

namespace loadsim {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const std::string kConfigs = std::string(LOADSIM_SOURCE_DIR) + "/configs/";

using testing_util::DiagnosticMessages;

std::vector<double> Percent(const v1::ThresholdTable::Row& row) {
  return std::vector<double>(row.percent().begin(), row.percent().end());
}

TEST(ShippedConfigsTest, ThresholdsJson) {
  Diagnostics diags;
  std::optional<v1::Thresholds> t = LoadThresholds(kConfigs + "thresholds.json", &diags);
  ASSERT_TRUE(t.has_value()) << diags.ToStatus();
  EXPECT_THAT(DiagnosticMessages(diags), IsEmpty());
  for (const v1::ThresholdTable* table : {&t->requests(), &t->operations()}) {
    EXPECT_THAT(std::vector<double>(table->limits_seconds().begin(), table->limits_seconds().end()),
                ElementsAre(0.1, 0.5, 1, 3, 5, 10, 30));
  }
  const v1::ThresholdTable& r = t->requests();
  EXPECT_EQ(r.rows_size(), 35);
  EXPECT_THAT(Percent(ThresholdRowFor(r, "default")), ElementsAre(100, 100, 100, 5, 1, 0.5, 0));
  EXPECT_THAT(Percent(ThresholdRowFor(r, "PUT{event}")),
              ElementsAre(100, 100, 100, 75, 50, 25, 0.5));
  EXPECT_THAT(Percent(ThresholdRowFor(r, "PUT{organizer-large}")),
              ElementsAre(100, 100, 100, 100, 100, 75, 25));
  EXPECT_THAT(Percent(ThresholdRowFor(r, "DELETE{event}")),
              ElementsAre(100, 100, 50, 25, 10, 5, 1));
  EXPECT_THAT(Percent(ThresholdRowFor(r, "REPORT{multiget-medium}")),
              ElementsAre(100, 100, 75, 50, 25, 10, 5));
  EXPECT_EQ(ThresholdRowFor(r, "REPORT{vtodo}").label(), "REPORT{vtodo}");
  const v1::ThresholdTable& o = t->operations();
  EXPECT_EQ(o.rows_size(), 7);
  EXPECT_THAT(Percent(ThresholdRowFor(o, "reply done")), ElementsAre(100, 100, 100, 75, 50, 10, 5));
  EXPECT_THAT(Percent(ThresholdRowFor(o, "invite")), ElementsAre(100, 100, 100, 100, 75, 50, 25));
  EXPECT_EQ(ThresholdRowFor(o, "startup: x").label(), "default");
}

// The strict example: the shipped tables plus rules that a run against a real server fails
// (no server answers every request in under 1 ms).
TEST(ShippedConfigsTest, StrictThresholdsJson) {
  Diagnostics diags;
  std::optional<v1::Thresholds> strict =
      LoadThresholds(kConfigs + "thresholds-strict.json", &diags);
  ASSERT_TRUE(strict.has_value()) << diags.ToStatus();
  EXPECT_THAT(DiagnosticMessages(diags), IsEmpty());
  std::optional<v1::Thresholds> shipped = LoadThresholds(kConfigs + "thresholds.json", &diags);
  ASSERT_TRUE(shipped.has_value());
  EXPECT_EQ(strict->requests().rows_size(), shipped->requests().rows_size());
  EXPECT_EQ(strict->operations().rows_size(), shipped->operations().rows_size());
  EXPECT_EQ(shipped->rules_size(), 0);
  ASSERT_EQ(strict->rules_size(), 4);
  EXPECT_EQ(strict->rules(0).label(), "*");
  EXPECT_EQ(strict->rules(0).metric(), "quantile");
  EXPECT_DOUBLE_EQ(strict->rules(0).bound(), 0.001);
}

TEST(ShippedConfigsTest, BenchmarksJson) {
  Diagnostics diags;
  std::optional<v1::Benchmarks> b = LoadBenchmarks(kConfigs + "benchmarks.json", &diags);
  ASSERT_TRUE(b.has_value()) << diags.ToStatus();
  EXPECT_THAT(DiagnosticMessages(diags), IsEmpty());
  ASSERT_EQ(b->benchmarks_size(), 34);
  EXPECT_EQ(b->benchmarks(0).label(), "GET{event}");
  EXPECT_DOUBLE_EQ(b->benchmarks(0).mean_seconds(), 0.1);
  bool found = false;
  for (const v1::Benchmark& x : b->benchmarks()) {
    if (x.label() == "PUT{organizer-huge}") {
      found = true;
      EXPECT_DOUBLE_EQ(x.mean_seconds(), 3.0);
      EXPECT_DOUBLE_EQ(x.weight(), 0.5);
    }
  }
  EXPECT_TRUE(found);
}

TEST(ShippedConfigsTest, AccountsCsv) {
  Diagnostics diags;
  Value params = Value::Dict(Location{kConfigs + "config.plist", 10});
  params.Insert("path", Value::String("accounts.csv", Location{kConfigs + "config.plist", 11}));
  std::optional<LoadedAccounts> loaded =
      LoadAccounts("recordsFromCSVFile", &params, params.location(), "accounts.params", &diags);
  ASSERT_TRUE(loaded.has_value()) << diags.ToStatus();
  EXPECT_THAT(DiagnosticMessages(diags), IsEmpty());
  ASSERT_EQ(loaded->accounts.size(), 100u);
  EXPECT_EQ(loaded->spec.count(), 100);
  EXPECT_EQ(loaded->spec.path(), kConfigs + "accounts.csv");
  const v1::Account& first = loaded->accounts.front();
  EXPECT_EQ(first.uid(), "user001");
  EXPECT_EQ(first.password(), "pass001");
  EXPECT_EQ(first.common_name(), "User 001");
  EXPECT_EQ(first.email(), "user001@example.com");
  EXPECT_EQ(loaded->accounts.back().uid(), "user100");
}

}  // namespace
}  // namespace loadsim
