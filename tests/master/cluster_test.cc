// The cluster with real processes over loopback: a master, several workers, a real nginx.
#include <poll.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/servers/nginx_server.h"
#include "tests/servers/spawned_process.h"

namespace loadsim {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::string kMaster = std::string(LOADSIM_BINARY_DIR) + "/master/loadsim-master";
const std::string kWorker = std::string(LOADSIM_BINARY_DIR) + "/worker/loadsim-worker";

// A TCP forwarder on 127.0.0.1 that can be "cut": it stops moving bytes but keeps both
// connections open, as a network partition does (nothing is closed, nothing arrives).
class CuttableProxy {
 public:
  explicit CuttableProxy(int target_port) : target_port_(target_port) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(listen_fd_, 8);
    socklen_t len = sizeof(addr);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~CuttableProxy() {
    done_ = true;
    thread_.join();
    close(listen_fd_);
  }
  int port() const { return port_; }
  void Cut() { cut_ = true; }

 private:
  void Serve() {
    std::vector<std::pair<int, int>> pairs;  // (client, upstream)
    while (!done_) {
      std::vector<pollfd> fds = {{listen_fd_, POLLIN, 0}};
      if (!cut_) {
        for (auto& [a, b] : pairs) {
          fds.push_back({a, POLLIN, 0});
          fds.push_back({b, POLLIN, 0});
        }
      }
      if (poll(fds.data(), fds.size(), 50) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        int c = accept(listen_fd_, nullptr, nullptr);
        int u = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<uint16_t>(target_port_));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (c >= 0 && connect(u, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
          pairs.push_back({c, u});
        }
      }
      for (size_t i = 1; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
        auto& pr = pairs[(i - 1) / 2];
        int from = fds[i].fd, to = from == pr.first ? pr.second : pr.first;
        char buf[65536];
        ssize_t n = read(from, buf, sizeof(buf));
        if (n > 0) {
          ssize_t off = 0;
          while (off < n) {
            ssize_t w = write(to, buf + off, n - off);
            if (w <= 0) break;
            off += w;
          }
        }
      }
    }
    for (auto& [a, b] : pairs) {
      close(a);
      close(b);
    }
  }
  int target_port_;
  int listen_fd_;
  int port_;
  std::atomic<bool> done_{false};
  std::atomic<bool> cut_{false};
  std::thread thread_;
};

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(nginx_.Start()) << nginx_.error();
    dir_ =
        fs::path(::testing::TempDir()) /
        ("cluster_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::ofstream(dir_ / "config.plist")
        << "<plist><dict><key>arrival</key><dict><key>params</key><dict>"
        << "<key>groups</key><integer>3</integer><key>groupSize</key><integer>4</integer>"
        << "<key>interval</key><integer>0</integer></dict></dict></dict></plist>";
    std::ofstream(dir_ / "clients.plist")
        << "<plist><dict><key>clients</key><array><dict><key>software</key>"
        << "<string>Robot</string><key>params</key><dict><key>origins</key><string>"
        << nginx_.Url("/1k.html") << "</string><key>req_rate</key><string>40/sec</string>"
        << "</dict></dict></array></dict></plist>";
  }

  std::vector<std::string> MasterArgs(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {kMaster,
                                     "--config",
                                     (dir_ / "config.plist").string(),
                                     "--clients",
                                     (dir_ / "clients.plist").string(),
                                     "--threads-per-worker",
                                     "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  std::string Read(const std::string& name) {
    std::ifstream in(dir_ / name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  testing::NginxServer nginx_;
  fs::path dir_;
};

TEST_F(ClusterTest, ThreeLocalWorkersMergeExactlyWhatEachCounted) {
  testing::SpawnedProcess master;
  ASSERT_TRUE(master.Start(MasterArgs({"--runtime", "4s", "--local-workers", "3"}), {},
                           (dir_ / "master.log").string()));
  int code = master.WaitExit(60);
  std::string log = Read("master.log");
  ASSERT_EQ(code, 0) << log;
  // Each worker prints what it counted; the master's merged total must equal the sum.
  std::regex counted_re("loadsim-worker (\\d)/3: counted (\\d+) requests");
  uint64_t sum = 0;
  int workers = 0;
  for (std::sregex_iterator it(log.begin(), log.end(), counted_re), end; it != end; ++it) {
    sum += std::stoull((*it)[2]);
    ++workers;
  }
  EXPECT_EQ(workers, 3);
  std::smatch total;
  ASSERT_TRUE(std::regex_search(log, total, std::regex("GET\\{robot\\}\\s+(\\d+)\\s+0\\s"))) << log;
  EXPECT_EQ(std::stoull(total[1]), sum);
  EXPECT_GT(sum, 12u * 40 * 3);  // 12 users x 40/s x 4 s = 1920 expected, Poisson
  // Users partitioned n mod 3: 4 each.
  // (the workers table: worker, host, pid, users, ..., state)
  std::regex four_users(R"(\n +\d +\S+ +\d+ +4 +\d+ .*finished)");
  EXPECT_EQ(std::distance(std::sregex_iterator(log.begin(), log.end(), four_users),
                          std::sregex_iterator()),
            3)
      << log;
  EXPECT_THAT(log, HasSubstr("*** PASS"));
}

TEST_F(ClusterTest, KilledWorkerIsNamedAndTheRunAborts) {
  int port = testing::FreePort();
  std::string addr = "127.0.0.1:" + std::to_string(port);
  testing::SpawnedProcess master;
  ASSERT_TRUE(master.Start(
      MasterArgs({"--runtime", "30s", "--expect-workers", "2", "--listen", addr, "--token", "t0k"}),
      {}, (dir_ / "master.log").string()));
  testing::SpawnedProcess w1, w2;
  ASSERT_TRUE(w1.Start({kWorker, "--master", addr, "--token", "t0k", "--threads", "1"}, {},
                       (dir_ / "w1.log").string()));
  ASSERT_TRUE(w2.Start({kWorker, "--master", addr, "--token", "t0k", "--threads", "1"}, {},
                       (dir_ / "w2.log").string()));
  std::this_thread::sleep_for(std::chrono::seconds(3));
  int victim = w2.pid();
  w2.Kill(SIGKILL);
  auto killed_at = std::chrono::steady_clock::now();
  int code = master.WaitExit(15);
  double noticed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count();
  std::string log = Read("master.log");
  EXPECT_EQ(code, 3) << log;
  EXPECT_LT(noticed_s, 8.0);  // noticed within 3 s, plus the abort and the report
  EXPECT_THAT(log, HasSubstr("pid " + std::to_string(victim)));
  EXPECT_THAT(log, HasSubstr("LOST"));
  EXPECT_THAT(log, HasSubstr("*** FAIL"));
  EXPECT_NE(w1.WaitExit(10), -1);  // the survivor was told to stop
}

TEST_F(ClusterTest, WorkersStopWhenTheMasterIsKilled) {
  int port = testing::FreePort();
  std::string addr = "127.0.0.1:" + std::to_string(port);
  testing::SpawnedProcess master;
  ASSERT_TRUE(master.Start(
      MasterArgs({"--runtime", "60s", "--expect-workers", "1", "--listen", addr, "--token", "x"}),
      {}, (dir_ / "master.log").string()));
  testing::SpawnedProcess worker;
  ASSERT_TRUE(worker.Start({kWorker, "--master", addr, "--token", "x", "--threads", "1"}, {},
                           (dir_ / "worker.log").string()));
  std::this_thread::sleep_for(std::chrono::seconds(3));
  master.Kill(SIGKILL);
  ASSERT_NE(master.WaitExit(5), -1);
  int code = worker.WaitExit(5);  // the design's bound: load stops within 5 s
  EXPECT_EQ(code, 3) << Read("worker.log");
  EXPECT_THAT(Read("worker.log"), HasSubstr("master went away"));
}

TEST_F(ClusterTest, NetworkCutStopsTheWorkerAndTheMasterNoticesIt) {
  int port = testing::FreePort();
  std::string addr = "127.0.0.1:" + std::to_string(port);
  testing::SpawnedProcess master;
  ASSERT_TRUE(master.Start(
      MasterArgs({"--runtime", "60s", "--expect-workers", "1", "--listen", addr, "--token", "c"}),
      {}, (dir_ / "master.log").string()));
  ASSERT_TRUE(master.WaitForPort(port, 10));
  CuttableProxy proxy(port);
  testing::SpawnedProcess worker;
  ASSERT_TRUE(worker.Start({kWorker, "--master", "127.0.0.1:" + std::to_string(proxy.port()),
                            "--token", "c", "--threads", "1"},
                           {}, (dir_ / "worker.log").string()));
  std::this_thread::sleep_for(std::chrono::seconds(3));
  proxy.Cut();
  auto cut_at = std::chrono::steady_clock::now();
  int worker_code = worker.WaitExit(10);
  double worker_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - cut_at).count();
  EXPECT_EQ(worker_code, 3) << Read("worker.log");
  EXPECT_LT(worker_s, 5.0);  // no load without a master: stopped within 5 s
  EXPECT_EQ(master.WaitExit(15), 3) << Read("master.log");
  EXPECT_THAT(Read("master.log"), HasSubstr("LOST"));
}

TEST_F(ClusterTest, WrongTokenLateAndSurplusWorkersAreRejected) {
  int port = testing::FreePort();
  std::string addr = "127.0.0.1:" + std::to_string(port);
  testing::SpawnedProcess master;
  ASSERT_TRUE(master.Start(MasterArgs({"--runtime", "4s", "--expect-workers", "1", "--listen", addr,
                                       "--token", "right"}),
                           {}, (dir_ / "master.log").string()));
  testing::SpawnedProcess wrong;
  ASSERT_TRUE(wrong.Start({kWorker, "--master", addr, "--token", "wrong"}, {},
                          (dir_ / "wrong.log").string()));
  EXPECT_EQ(wrong.WaitExit(15), 2);
  EXPECT_THAT(Read("wrong.log"), HasSubstr("wrong token"));
  testing::SpawnedProcess good;
  ASSERT_TRUE(good.Start({kWorker, "--master", addr, "--token", "right", "--threads", "1"}, {},
                         (dir_ / "good.log").string()));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  testing::SpawnedProcess late;
  ASSERT_TRUE(late.Start({kWorker, "--master", addr, "--token", "right"}, {},
                         (dir_ / "late.log").string()));
  EXPECT_EQ(late.WaitExit(15), 2);
  EXPECT_THAT(Read("late.log"), HasSubstr("joined late"));
  EXPECT_EQ(master.WaitExit(30), 0) << Read("master.log");
  EXPECT_EQ(good.WaitExit(10), 0);
}

TEST_F(ClusterTest, TlsBetweenMasterAndWorkers) {
  std::string cert = (dir_ / "cert.pem").string(), key = (dir_ / "key.pem").string();
  std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
      "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
      key + " -out " + cert + " 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  int port = testing::FreePort();
  std::string addr = "localhost:" + std::to_string(port);
  testing::SpawnedProcess master;
  ASSERT_TRUE(
      master.Start(MasterArgs({"--runtime", "3s", "--expect-workers", "1", "--listen",
                               "127.0.0.1:" + std::to_string(port), "--token", "k", "--tls-cert",
                               cert, "--tls-key", key, "--wait-timeout", "20s"}),
                   {}, (dir_ / "master.log").string()));
  // A plaintext worker cannot talk to a TLS master.
  testing::SpawnedProcess plain;
  ASSERT_TRUE(
      plain.Start({kWorker, "--master", addr, "--token", "k"}, {}, (dir_ / "plain.log").string()));
  EXPECT_EQ(plain.WaitExit(30), 3);
  testing::SpawnedProcess worker;
  ASSERT_TRUE(
      worker.Start({kWorker, "--master", addr, "--token", "k", "--tls-ca", cert, "--threads", "1"},
                   {}, (dir_ / "worker.log").string()));
  EXPECT_EQ(worker.WaitExit(40), 0) << Read("worker.log");
  EXPECT_EQ(master.WaitExit(20), 0) << Read("master.log");
  EXPECT_THAT(Read("master.log"), HasSubstr("*** PASS"));
}

TEST_F(ClusterTest, BadConfigurationExitsTwoAndMissingWorkersExitThree) {
  std::ofstream(dir_ / "bad.plist") << "<plist><dict><key>server</key><integer>1</integer>"
                                    << "</dict></plist>";
  testing::SpawnedProcess bad;
  ASSERT_TRUE(bad.Start({kMaster, "--config", (dir_ / "bad.plist").string(), "--clients",
                         (dir_ / "clients.plist").string()},
                        {}, (dir_ / "bad.log").string()));
  EXPECT_EQ(bad.WaitExit(15), 2);
  EXPECT_THAT(Read("bad.log"), HasSubstr("server: expected string, found integer"));
  testing::SpawnedProcess lonely;
  ASSERT_TRUE(lonely.Start(MasterArgs({"--expect-workers", "2", "--wait-timeout", "1s"}), {},
                           (dir_ / "lonely.log").string()));
  EXPECT_EQ(lonely.WaitExit(15), 3);
  EXPECT_THAT(Read("lonely.log"), HasSubstr("0 of 2 workers joined"));
}

}  // namespace
}  // namespace loadsim
