#include "master/report.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "master/verdict.h"
#include "tests/master/results_fixture.h"

namespace loadsim {
namespace {

using ::testing::HasSubstr;

// Golden files live in tests/testdata; LOADSIM_UPDATE_GOLDEN=1 rewrites them (review the diff).
void ExpectGolden(const std::string& text, const std::string& name) {
  std::string path = std::string(LOADSIM_SOURCE_DIR) + "/tests/testdata/" + name;
  if (std::getenv("LOADSIM_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path) << text;
  }
  absl::StatusOr<std::string> golden = ReadFile(path);
  ASSERT_TRUE(golden.ok()) << golden.status();
  EXPECT_EQ(text, *golden) << "differs from " << path;
}

// The key/value block of calendarserver-sim.md 6.1, byte for byte.
TEST(ReportTest, KeyValueBlockAsTheOriginal) {
  std::string block = FormatKeyValues({{"Users", "20"},
                                       {"Start time", "10/22 09:15:02"},
                                       {"Run time", "00:10:00"},
                                       {"QoS", "0.9321  "},
                                       {"Clients", "20"},
                                       {"CPU Time", "user 35.10 sys 4.20  total 00:00:39"}});
  EXPECT_EQ(block,
            "  Cpu Time : user 35.10 sys 4.20  total 00:00:39\n"
            "   Clients : 20\n"
            "       Qos : 0.9321  \n"
            "  Run Time : 00:10:00\n"
            "Start Time : 10/22 09:15:02\n"
            "     Users : 20\n");
  EXPECT_EQ(
      FormatKeyValues(
          {{"Slots", "1.50"}, {"Response", "45.6 (ms)"}, {"Req/sec", "12.3"}, {"CPU", "23.4%"}}),
      "     Cpu : 23.4%\n"
      " Req/Sec : 12.3\n"
      "Response : 45.6 (ms)\n"
      "   Slots : 1.50\n");
}

TEST(ReportTest, DetailsHeaderHasTheOriginalWidths) {
  std::string text = FormatReport(testing::MakeSampleResults());
  EXPECT_THAT(
      text,
      HasSubstr(
          "request                      count   failed   >0.1 sec   >0.5 sec     >1 sec     >3 sec"
          "     >5 sec    >10 sec    >30 sec     mean   median   stddev      QoS   STATUS\n"
          "--------------------------------------------------------------------------------------"
          "-------------------------------------------------------------------------------\n"));
  EXPECT_THAT(text, HasSubstr("avglag (ms)   STATUS\n"));
}

TEST(ReportTest, SectionsInTheOriginalOrderThenLoadsimsOwn) {
  std::string text = FormatReport(testing::MakeSampleResults());
  size_t last = 0;
  for (const char* section : {"\n** REPORT **\n\n* Client\n", "\n* Server (Last 5 minutes)\n",
                              "\n* Details\n", "\noperation ", "\n* Percentiles", "\n* Phase warm",
                              "\n* Phase plateau", "\n* Workers\n", "\n*** FAIL\n"}) {
    size_t at = text.find(section, last);
    ASSERT_NE(at, std::string::npos) << "missing or out of order: " << section;
    last = at;
  }
}

TEST(ReportTest, VerdictUsesTheOriginalWords) {
  v1::Results r = testing::MakeSampleResults();
  r.clear_verdict();
  v1::VerdictResults v = Judge(r);
  EXPECT_FALSE(v.pass());
  std::string all;
  for (const std::string& f : v.failures()) all += f + "\n";
  EXPECT_THAT(all, HasSubstr("Greater than 1% PUT{event} failed"));
  EXPECT_THAT(all, HasSubstr("Greater than 1% CREATE failed"));
  EXPECT_THAT(all, HasSubstr("Worker 2"));
  // Every rule checked is listed, passed or not.
  int passed = 0;
  for (const v1::VerdictRule& rule : v.rules()) passed += rule.passed();
  EXPECT_GT(passed, 0);
}

TEST(ReportTest, PassWhenNothingExceeds) {
  v1::Results r = testing::MakeSampleResults();
  // Only a fast, successful label and no lost workers.
  r.clear_labels();
  LabelRecorder ok("GET{event}", {100000, 500000, 1000000, 3000000, 5000000, 10000000, 30000000});
  for (int i = 0; i < 100; ++i) ok.Record(20000 + i, true);
  *r.add_labels() = ok.ToProto();
  r.clear_workers();
  r.mutable_run()->clear_operation_failures();
  r.mutable_run()->clear_client_failures();
  *r.mutable_verdict() = Judge(r);
  EXPECT_TRUE(r.verdict().pass()) << r.verdict().failures(0);
  EXPECT_THAT(FormatReport(r), HasSubstr("\n*** PASS\n"));
}

TEST(ReportTest, GoldenSample) {
  ExpectGolden(FormatReport(testing::MakeSampleResults()), "report_sample.txt");
}

}  // namespace
}  // namespace loadsim
