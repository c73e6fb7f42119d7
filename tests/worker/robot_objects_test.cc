// Robots with Polygraph's object model against a real nginx: a PGL workload (LoadWorkload)
// run by the standalone runner; nginx's access log shows every object id the robot asked for.
// Checks counts, not timing: the share of revisits follows `recurrence`, new objects are
// numbered in order, revisits stay inside the working-set cap, and "{id}" URLs get the id.
#include <cmath>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/workload.h"
#include "gtest/gtest.h"
#include "tests/servers/nginx_server.h"
#include "worker/standalone.h"

namespace loadsim {
namespace {

class RobotObjectsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    nginx_.EnableAccessLog();
    ASSERT_TRUE(nginx_.Start()) << nginx_.error();
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("robot_objects_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::create_directories(dir_);
  }

  // Runs the PGL `robot` (a Robot record literal body) as the only user for `seconds`.
  void Run(const std::string& robot, double seconds) {
    const std::string pg = (dir_ / "w.pg").string();
    std::ofstream(pg) << "Robot R = {\n" << robot << "\n};\nuse(R);\n";
    ConfigFiles files;
    files.seed = 11;
    absl::StatusOr<LoadedConfig> config = LoadWorkload(files, pg);
    ASSERT_TRUE(config.ok()) << config.status();
    StandaloneOptions options;
    options.runtime_s = seconds;
    options.drain_grace_s = 2;
    absl::StatusOr<StandaloneResult> result = RunStandalone(*config, options);
    ASSERT_TRUE(result.ok()) << result.status();
  }

  // The object id of every access-log line matching `pattern` (its first group), in order.
  std::vector<uint64_t> LoggedIds(const std::string& pattern) {
    std::ifstream log(nginx_.AccessLogPath());
    std::vector<uint64_t> ids;
    const std::regex line(pattern);
    std::string text;
    while (std::getline(log, text)) {
      std::smatch m;
      uint64_t id = 0;
      if (std::regex_search(text, m, line) && absl::SimpleAtoi(m[1].str(), &id)) {
        ids.push_back(id);
      }
    }
    return ids;
  }

  // How many access-log lines match `pattern`.
  size_t LoggedLines(const std::string& pattern) {
    std::ifstream log(nginx_.AccessLogPath());
    const std::regex line(pattern);
    size_t n = 0;
    std::string text;
    while (std::getline(log, text)) n += std::regex_search(text, line);
    return n;
  }

  std::string Origin(const std::string& path) const {
    return absl::StrCat("http://127.0.0.1:", nginx_.port(), path);
  }

  testing::NginxServer nginx_;
  std::filesystem::path dir_;
};

TEST_F(RobotObjectsTest, RevisitShareFollowsRecurrenceAndNewIdsCountUp) {
  // One connection, so nginx logs requests in the order the robot sent them.
  Run(absl::StrCat("origins = \"", Origin("/1k.html"), "\";\n"
                   "req_rate = 400/sec; open_conn_lmt = 1; recurrence = 40%;\n"
                   "pop_model = { pop_distr = popZipf(0.6); };\n"),
      1.5);
  const std::vector<uint64_t> ids = LoggedIds(" 200 \"GET /1k.html\\?id=(\\d+) ");
  ASSERT_GE(ids.size(), 300u) << "too few requests reached nginx";
  uint64_t created = 0, revisits = 0;
  for (uint64_t id : ids) {
    if (id == created + 1) {
      ++created;
    } else {
      ASSERT_LE(id, created) << "an id beyond the next new object";
      ASSERT_GE(id, 1u);
      ++revisits;
    }
  }
  // Revisits among all but the first request: binomial(n - 1, 0.4), within 5 sd.
  const double n = static_cast<double>(ids.size() - 1);
  EXPECT_NEAR(static_cast<double>(revisits), 0.4 * n, 5 * std::sqrt(n * 0.4 * 0.6));
}

TEST_F(RobotObjectsTest, IdPlaceholderAndWorkingSetCap) {
  // nginx answers 404 for /obj/<id>; the log still shows every id.
  Run(absl::StrCat("origins = \"", Origin("/obj/{id}"), "\";\n"
                   "req_rate = 400/sec; open_conn_lmt = 1; recurrence = 70%;\n"
                   "pop_model = { pop_distr = popUnif(); }; working_set_cap = 5;\n"),
      1.0);
  const std::vector<uint64_t> obj = LoggedIds(" 404 \"GET /obj/(\\d+) ");
  ASSERT_GE(obj.size(), 200u);
  uint64_t created = 0;
  for (uint64_t id : obj) {
    if (id == created + 1) {
      ++created;
    } else {
      ASSERT_LE(id, created);
      EXPECT_GT(id + 5, created) << "revisit outside the newest 5 objects";
    }
  }
}

TEST_F(RobotObjectsTest, SessionIdlePeriodsSkipScheduledRequests) {
  // Due every 10 ms; busy [0, 0.2 s), idle [0.2, 0.5 s), busy [0.5, 0.7 s), idle until 1 s:
  // 19 requests in each busy period (the stream resumes one gap after an idle period), 38 in
  // all instead of 99. Due times are anchored to the schedule, so this is a count, not timing.
  Run(absl::StrCat("origins = \"", Origin("/1k.html"), "\";\n"
                   "req_inter_arrival = const(10ms);\n"
                   "session = { busy_period = const(200ms); idle_period_duration = 300ms; };\n"),
      1.0);
  const size_t n = LoggedLines(" 200 \"GET /1k.html ");
  EXPECT_GE(n, 37u);
  EXPECT_LE(n, 39u);
}

TEST_F(RobotObjectsTest, LaunchWindowDelaysTheFirstRequest) {
  // A one-year launch window: the first request (open or closed loop) is almost surely due
  // after the 1 s run, so nothing is sent.
  Run(absl::StrCat("origins = \"", Origin("/1k.html"), "\";\n"
                   "req_rate = 100/sec; launch_win = 1year;\n"),
      1.0);
  Run(absl::StrCat("origins = \"", Origin("/1k.html"), "\"; launch_win = 1year;\n"), 1.0);
  EXPECT_EQ(LoggedLines(" 200 \"GET /1k.html "), 0u);
}

}  // namespace
}  // namespace loadsim
