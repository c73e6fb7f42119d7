#include "master/report.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace loadsim {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

v1::ThresholdTable Table(std::vector<double> defaults) {
  v1::ThresholdTable t;
  for (double l : {1.0, 3.0}) t.add_limits_seconds(l);
  v1::ThresholdTable::Row* row = t.add_rows();
  row->set_label("default");
  for (double p : defaults) row->add_percent(p);
  return t;
}

v1::RunSpec Spec() {
  v1::RunSpec spec;
  v1::ObserverSpec* report = spec.add_observers();
  report->set_type("ReportStatistics");
  report->mutable_report_statistics()->set_fail_cutoff_percent(1.0);
  *report->mutable_report_statistics()->mutable_thresholds()->mutable_requests() =
      Table({100, 5});
  v1::ObserverSpec* ops = spec.add_observers();
  ops->set_type("OperationLogger");
  ops->mutable_operation_logger()->set_fail_cutoff_percent(1.0);
  *ops->mutable_operation_logger()->mutable_thresholds() = Table({100, 0});
  return spec;
}

TEST(ReportTest, CalendarServerVerdictRules) {
  LabelMap totals;
  // PUT{event}: 100 samples, 6 over 3 s (6% > 5%), 2 failed (2% > 1%).
  LabelRecorder put("PUT{event}", {1000000, 3000000});
  for (int i = 0; i < 94; ++i) put.Record(500000, i >= 2, "HTTP 500");
  for (int i = 0; i < 6; ++i) put.Record(4000000, true);
  totals.emplace("PUT{event}", put);
  // GET{event}: 5% over 3 s exactly: not "greater than", passes.
  LabelRecorder get("GET{event}", {1000000, 3000000});
  for (int i = 0; i < 95; ++i) get.Record(100, true);
  for (int i = 0; i < 5; ++i) get.Record(3500000, true);
  totals.emplace("GET{event}", get);
  // create (an operation): one sample over 3 s fails a 0% allowance; its label is upper-cased.
  LabelRecorder create("create", {1000000, 3000000});
  create.Record(3000001, true);
  totals.emplace("create", create);
  // Internal labels are never judged.
  LabelRecorder lag("lag{robot}", {1000000, 3000000});
  lag.Record(9000000, false, "x");
  totals.emplace("lag{robot}", lag);
  std::vector<WorkerStatus> workers(1);
  workers[0].index = 1;
  workers[0].host = "h";
  workers[0].pid = 42;
  workers[0].users = 7;
  workers[0].lost = true;
  workers[0].lost_after_s = 12.5;
  workers[0].error = "the stream to the worker broke";
  Verdict v = Judge(Spec(), totals, workers);
  EXPECT_THAT(v.failures,
              ElementsAre("Greater than 1% PUT{event} failed",
                          "Greater than 5% PUT{event} exceeded 3 second response time",
                          "Greater than 0% CREATE exceeded 3 second response time",
                          "Worker 1 (h pid 42, 7 users) lost after 12.5 s: the stream to the "
                          "worker broke"));
  std::string text = FormatReport(Spec(), totals, workers, 10.0, v);
  EXPECT_THAT(text, HasSubstr("* Requests"));
  EXPECT_THAT(text, HasSubstr("* Operations"));
  EXPECT_THAT(text, HasSubstr("*** FAIL"));
  EXPECT_THAT(text, HasSubstr("LOST: the stream to the worker broke"));
  EXPECT_LT(text.find("PUT{event}"), text.find("* Operations"));
  EXPECT_GT(text.find("create "), text.find("* Operations"));
}

TEST(ReportTest, PassWhenNothingExceeds) {
  LabelMap totals;
  LabelRecorder get("GET{event}", {1000000, 3000000});
  get.Record(100, true);
  totals.emplace("GET{event}", get);
  Verdict v = Judge(Spec(), totals, {});
  EXPECT_TRUE(v.pass());
  EXPECT_THAT(FormatReport(Spec(), totals, {}, 1.0, v), HasSubstr("*** PASS"));
}

}  // namespace
}  // namespace loadsim
