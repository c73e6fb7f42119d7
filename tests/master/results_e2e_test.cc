// The results of a real run, end to end: the project's configs against a real Radicale with
// configs/thresholds-strict.json (the shipped tables plus rules no real server meets), run by
// a master and 2 local workers with --output and --junit. The run must FAIL with exit status
// 1 and name every reason; results.json, intervals.csv, report.html and the JUnit file must
// exist and agree with the printed report.
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "common/file_util.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "loadsim/v1/results.pb.h"
#include "pugixml.hpp"
#include "tests/servers/spawned_process.h"

namespace loadsim {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

TEST(ResultsEndToEndTest, StrictThresholdsFailWithEveryReasonAndConsistentFiles) {
  fs::path dir = fs::temp_directory_path() / ("loadsim-results-e2e-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::copy(fs::path(LOADSIM_SOURCE_DIR) / "configs", dir / "configs", fs::copy_options::recursive);
  int port = testing::FreePort();
  std::string config = ReadFile((dir / "configs/config.plist").string()).value();
  config = std::regex_replace(config, std::regex(R"(http://127\.0\.0\.1:5232)"),
                              "http://127.0.0.1:" + std::to_string(port));
  config = std::regex_replace(config, std::regex(R"(<string>thresholds\.json</string>)"),
                              "<string>thresholds-strict.json</string>");
  // Everyone arrives within 5 s.
  config = std::regex_replace(
      config, std::regex(R"((<key>interval</key>\s*<integer>)3(</integer>))"), "$011$2");
  std::ofstream(dir / "configs/config.plist") << config;
  std::string radicale = (dir / "radicale").string();
  std::string script = std::string(LOADSIM_SOURCE_DIR) + "/tests/servers/radicale.sh";
  testing::SpawnedProcess start;
  ASSERT_TRUE(start.Start({"/bin/bash", script, "start", radicale, std::to_string(port),
                           (dir / "configs/accounts.csv").string()},
                          {}, (dir / "radicale.log").string()));
  ASSERT_EQ(start.WaitExit(30), 0);

  testing::SpawnedProcess master;
  ASSERT_TRUE(master.Start(
      {std::string(LOADSIM_BINARY_DIR) + "/master/loadsim-master", "--config",
       (dir / "configs/config.plist").string(), "--clients",
       (dir / "configs/clients.plist").string(), "--local-workers", "2", "--runtime", "12s",
       "--output", (dir / "out").string(), "--junit", (dir / "junit.xml").string()},
      {}, (dir / "master.out").string()));
  int status = master.WaitExit(90);
  testing::SpawnedProcess stop;
  if (stop.Start({"/bin/bash", script, "stop", radicale}, {}, (dir / "stop.log").string())) {
    stop.WaitExit(10);
  }
  std::string out = ReadFile((dir / "master.out").string()).value_or("");
  ASSERT_EQ(status, 1) << out;
  EXPECT_THAT(out, HasSubstr("\n*** FAIL\n"));

  v1::Results r;
  std::string json = ReadFile((dir / "out/results.json").string()).value_or("");
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &r).ok()) << json.substr(0, 200);
  EXPECT_EQ(r.run().exit_status(), 1);
  EXPECT_FALSE(r.verdict().pass());
  // Every reason is printed after the verdict line, in the report's order.
  std::string verdict = out.substr(out.find("\n*** FAIL\n"));
  ASSERT_GT(r.verdict().failures_size(), 0);
  for (const std::string& reason : r.verdict().failures()) {
    EXPECT_THAT(verdict, HasSubstr(reason + "\n"));
  }
  bool rule_failed = false;
  for (const v1::VerdictRule& rule : r.verdict().rules()) {
    rule_failed = rule_failed || (rule.kind() == "rule" && !rule.passed());
  }
  EXPECT_TRUE(rule_failed) << "the strict file's rules must be what fails";

  // The printed request table and results.json agree on every label's count and failures.
  int rows = 0;
  for (const v1::LabelStats& l : r.labels()) {
    if (l.label().find('{') == std::string::npos || l.label().rfind("AUTH{", 0) == 0 ||
        l.label().rfind("lag{", 0) == 0 || l.label().rfind("blocked{", 0) == 0) {
      continue;
    }
    std::regex row("\n" + std::regex_replace(l.label(), std::regex(R"([{}])"), R"(\$&)") + R"( +)" +
                   std::to_string(l.count()) + " +" + std::to_string(l.failures()) + " ");
    EXPECT_TRUE(std::regex_search(out, row)) << l.label() << " " << l.count();
    ++rows;
  }
  EXPECT_GT(rows, 3);

  // The other files exist and are well-formed.
  std::string csv = ReadFile((dir / "out/intervals.csv").string()).value_or("");
  EXPECT_EQ(csv.rfind("interval,start_s,end_s,phase,label,count,failures,", 0), 0u);
  std::string html = ReadFile((dir / "out/report.html").string()).value_or("");
  EXPECT_THAT(html, HasSubstr("<svg"));
  EXPECT_THAT(html, HasSubstr("FAIL"));
  pugi::xml_document junit;
  ASSERT_TRUE(junit.load_file((dir / "junit.xml").string().c_str()));
  int failures = 0;
  for (pugi::xml_node suite : junit.child("testsuites").children("testsuite")) {
    failures += suite.attribute("failures").as_int();
  }
  EXPECT_GE(failures, r.verdict().failures_size());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace loadsim
