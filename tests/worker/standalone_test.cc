#include "worker/standalone.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/servers/apache_server.h"
#include "tests/servers/nginx_server.h"

namespace loadsim {
namespace {

namespace fs = std::filesystem;

class StandaloneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("standalone_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }

  // Runs `users` robots with the given params (plist dict body) for `seconds`.
  // `extra_config` adds top-level keys to config.plist.
  StandaloneResult RunRobots(int users, const std::string& robot_params, double seconds,
                             const std::string& extra_config = "") {
    std::ofstream(dir_ / "config.plist")
        << "<plist><dict><key>arrival</key><dict><key>params</key><dict>"
        << "<key>groups</key><integer>1</integer><key>groupSize</key><integer>" << users
        << "</integer></dict></dict>" << extra_config << "</dict></plist>";
    std::ofstream(dir_ / "clients.plist")
        << "<plist><dict><key>clients</key><array><dict><key>software</key>"
        << "<string>Robot</string><key>params</key><dict>" << robot_params
        << "</dict></dict></array></dict></plist>";
    ConfigFiles files;
    files.config_path = (dir_ / "config.plist").string();
    files.clients_path = (dir_ / "clients.plist").string();
    files.seed = 1;
    absl::StatusOr<LoadedConfig> config = LoadConfig(files);
    EXPECT_TRUE(config.ok()) << config.status();
    StandaloneOptions options;
    options.threads = 2;
    options.runtime_s = seconds;
    options.drain_grace_s = 2;
    absl::StatusOr<StandaloneResult> result = RunStandalone(*config, options);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *std::move(result) : StandaloneResult{};
  }

  fs::path dir_;
};

TEST_F(StandaloneTest, RobotsAgainstNginxCountEveryRequestWithoutFailures) {
  testing::NginxServer nginx;
  ASSERT_TRUE(nginx.Start()) << nginx.error();
  StandaloneResult r = RunRobots(
      10,
      "<key>origins</key><string>" + nginx.Url("/1k.html") +
          "</string><key>req_rate</key><string>100/sec</string>"
          "<key>open_conn_lmt</key><integer>2</integer>",
      2.0);
  ASSERT_EQ(r.labels.count("GET{robot}"), 1u);
  const LabelRecorder& get = r.labels.at("GET{robot}");
  // 10 robots x 100/s x 2 s = 2000 expected (Poisson: sd ~45).
  EXPECT_NEAR(static_cast<double>(get.count()), 2000, 250);
  EXPECT_EQ(get.failures(), 0u);
  EXPECT_EQ(r.labels.at("lag{robot}").count(), get.count());
  EXPECT_EQ(r.users, 10u);
  EXPECT_THAT(FormatStandaloneReport(r), ::testing::HasSubstr("GET{robot}"));
}

TEST_F(StandaloneTest, ServerErrorIsCountedByStatus) {
  testing::NginxServer nginx;
  ASSERT_TRUE(nginx.Start()) << nginx.error();
  StandaloneResult r = RunRobots(
      2,
      "<key>origins</key><string>" + nginx.Url("/error") +
          "</string><key>req_rate</key><string>50/sec</string>",
      1.0);
  const LabelRecorder& get = r.labels.at("GET{robot}");
  EXPECT_GT(get.count(), 0u);
  EXPECT_EQ(get.failures(), get.count());
  EXPECT_EQ(get.failure_reasons().at("HTTP 500"), get.count());
}

TEST_F(StandaloneTest, ClosedPortIsCountedAsConnectFailure) {
  StandaloneResult r = RunRobots(
      2,
      "<key>origins</key><string>http://127.0.0.1:" + std::to_string(testing::FreePort()) +
          "/</string><key>req_rate</key><string>20/sec</string>",
      1.0);
  const LabelRecorder& get = r.labels.at("GET{robot}");
  EXPECT_GT(get.count(), 0u);
  EXPECT_EQ(get.failure_reasons().at("connect"), get.count());
}

TEST_F(StandaloneTest, SilentServerIsCountedAsTimeout) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 64), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  StandaloneResult r = RunRobots(
      2,
      "<key>origins</key><string>http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) +
          "/</string><key>req_rate</key><string>10/sec</string>"
          "<key>xact_lifetime</key><string>300ms</string>",
      1.0);
  close(fd);
  const LabelRecorder& get = r.labels.at("GET{robot}");
  EXPECT_GT(get.count(), 0u);
  EXPECT_EQ(get.failure_reasons().at("timeout"), get.count());
  EXPECT_GE(get.min_us(), 300000u);
}

TEST_F(StandaloneTest, AuthenticatingRobotAnswersDigestOnceAndReportsItApart) {
  testing::ApacheDigestServer apache;
  ASSERT_TRUE(apache.Start());
  std::ofstream(dir_ / "accounts.csv") << "alice,wonderland,Alice,alice@example.com\n";
  StandaloneResult r = RunRobots(
      1,
      "<key>origins</key><string>" + apache.Url("/private/index.html") +
          "</string><key>req_rate</key><string>20/sec</string>"
          "<key>authenticate</key><true/>",
      1.0,
      "<key>accounts</key><dict><key>loader</key><string>recordsFromCSVFile</string>"
      "<key>params</key><dict><key>path</key><string>accounts.csv</string></dict></dict>");
  ASSERT_EQ(r.labels.count("AUTH{digest}"), 1u);
  EXPECT_EQ(r.labels.at("AUTH{digest}").count(), 1u);  // one challenge, then pre-emptive
  const LabelRecorder& get = r.labels.at("GET{robot}");
  EXPECT_GT(get.count(), 5u);
  EXPECT_EQ(get.failures(), 0u);
}

}  // namespace
}  // namespace loadsim
