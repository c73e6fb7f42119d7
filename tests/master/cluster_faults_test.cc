// Faults of the cluster, with real processes over loopback and a real nginx whose access log
// (one line per request, with its time) shows when load runs and when it stops:
//   - a worker SIGKILLed mid-run: noticed within 3 s and named; --on-worker-loss=fail (the
//     default) aborts with exit 3, =continue finishes with the others and reports the loss;
//   - a silent worker (SIGSTOP): noticed within 3 s by its missing heartbeats;
//   - the master SIGKILLed: every worker (spawned or remote) stops its load within 5 s and
//     exits non-zero;
//   - a network cut between the master and a worker: the master runs in a network namespace
//     (deploy/netns.sh; root only, else skipped: the SIGSTOP test covers the silence) and its
//     link is taken down;
//   - wrong protocol version, wrong token, the same worker connecting twice (a fake worker
//     speaking the real gRPC protocol), a worker that cannot reach its master;
//   - configuration and usage errors (exit 2);
//   - a target server that refuses connections or never answers (reported, no hang);
//   - SIGINT and SIGTERM to the master (the report of what was collected).
// Every wait is bounded; the longest test runs about 15 s.
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "loadsim/v1/cluster.grpc.pb.h"
#include "tests/master/cluster_harness.h"
#include "tests/servers/nginx_server.h"
#include "tests/servers/spawned_process.h"

namespace loadsim {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::ReadText;

double WallNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The times (epoch seconds) of nginx's access log lines.
std::vector<double> AccessTimes(const std::string& path) {
  std::vector<double> out;
  std::istringstream in(ReadText(path));
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(std::strtod(line.c_str(), nullptr));
  }
  return out;
}

size_t CountAfter(const std::vector<double>& times, double t) {
  size_t n = 0;
  for (double x : times) n += x > t;
  return n;
}

// When the report says the worker with `pid` was lost (seconds after the start), or -1.
double LostAfter(const std::string& log, int pid) {
  const testing::WorkerRow* w = testing::ParseReport(log).WorkerWithPid(pid);
  return w == nullptr ? -1 : w->lost_after_s;
}

// A worker that speaks the real protocol but is driven by the test: it says Hello with any
// version, token and pid, and reads the master's answer.
class FakeWorker {
 public:
  explicit FakeWorker(const std::string& address)
      : channel_(grpc::CreateChannel(address, grpc::InsecureChannelCredentials())),
        stub_(v1::Coordinator::NewStub(channel_)) {
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(15));
    stream_ = stub_->Connect(&context_);
  }
  ~FakeWorker() {
    context_.TryCancel();
    stream_->Finish();
  }

  bool Hello(int version, const std::string& token, int pid) {
    v1::WorkerMessage m;
    v1::Hello* h = m.mutable_hello();
    h->set_protocol_version(version);
    h->set_build_version("fake");
    h->set_host("fakehost");
    h->set_pid(pid);
    h->set_cores(1);
    h->set_memory_bytes(1 << 30);
    h->set_token(token);
    return stream_->Write(m);
  }

  // The master's first answer, or nothing when the stream ends (or 15 s pass) first.
  std::optional<v1::MasterMessage> Answer() {
    v1::MasterMessage m;
    if (!stream_->Read(&m)) return std::nullopt;
    return m;
  }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Coordinator::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::WorkerMessage, v1::MasterMessage>> stream_;
};

class ClusterFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::AdoptOrphans();
    nginx_.EnableAccessLog();
    ASSERT_TRUE(nginx_.Start()) << nginx_.error();
    dir_ = fs::path(::testing::TempDir()) /
           ("cluster_faults_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    WriteConfig(nginx_.Url("/1k.html"), "");
  }

  // Nothing the test started may outlive it (nginx stops with the fixture).
  void TearDown() override {
    EXPECT_EQ(testing::KillLeftovers({nginx_.pid()}), 0) << "processes outlived the test";
  }

  // 6 users (2 per worker with 3 workers), all starting at once, each 20 requests/s.
  void WriteConfig(const std::string& origin, const std::string& extra_robot_params) {
    std::ofstream(dir_ / "config.plist")
        << "<plist><dict><key>arrival</key><dict><key>params</key><dict>"
        << "<key>groups</key><integer>3</integer><key>groupSize</key><integer>2</integer>"
        << "<key>interval</key><integer>0</integer></dict></dict></dict></plist>";
    std::ofstream(dir_ / "clients.plist")
        << "<plist><dict><key>clients</key><array><dict><key>software</key>"
        << "<string>Robot</string><key>params</key><dict><key>origins</key><string>" << origin
        << "</string><key>req_rate</key><string>20/sec</string>" << extra_robot_params
        << "</dict></dict></array></dict></plist>";
  }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  std::vector<std::string> MasterArgs(const std::vector<std::string>& extra) const {
    std::vector<std::string> args = {testing::MasterBinary(),
                                     "--config",
                                     Path("config.plist"),
                                     "--clients",
                                     Path("clients.plist"),
                                     "--threads-per-worker",
                                     "1",
                                     "--drain-grace",
                                     "2s"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  // Starts a master waiting for `n` remote workers on a fresh loopback port.
  std::string StartRemoteMaster(testing::SpawnedProcess* master, int n,
                                const std::vector<std::string>& extra) {
    int port = testing::FreePort();
    std::string addr = "127.0.0.1:" + std::to_string(port);
    std::vector<std::string> args = {"--expect-workers", std::to_string(n),
                                     "--listen",         addr,
                                     "--token",          "tok",
                                     "--wait-timeout",   "20s"};
    args.insert(args.end(), extra.begin(), extra.end());
    EXPECT_TRUE(master->Start(MasterArgs(args), {}, Path("master.log")));
    EXPECT_TRUE(master->WaitForPort(port, 10)) << ReadText(Path("master.log"));
    return addr;
  }

  void StartWorker(testing::SpawnedProcess* worker, const std::string& addr, int i) {
    ASSERT_TRUE(worker->Start(
        {testing::WorkerBinaryPath(), "--master", addr, "--token", "tok", "--threads", "1"}, {},
        Path("worker" + std::to_string(i) + ".log")));
  }

  // A master waiting for `n` remote workers, the `n` workers, and `seconds` of load; returns
  // the time of the first request.
  double RunRemoteCluster(testing::SpawnedProcess* master, testing::SpawnedProcess* workers, int n,
                          const std::vector<std::string>& extra, double seconds) {
    std::string addr = StartRemoteMaster(master, n, extra);
    for (int i = 0; i < n; ++i) StartWorker(&workers[i], addr, i);
    return WaitForLoad(seconds);
  }

  // Waits until nginx has seen load for `seconds` (bounded: 20 s for the load to start).
  // Returns the time of the first request (the start of the run, within milliseconds).
  double WaitForLoad(double seconds) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (testing::CountLines(nginx_.AccessLogPath()) == 0 &&
           std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::vector<double> times = AccessTimes(nginx_.AccessLogPath());
    EXPECT_FALSE(times.empty()) << "no load reached nginx\n" << ReadText(Path("master.log"));
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    return times.empty() ? WallNow() : *std::min_element(times.begin(), times.end());
  }

  // Nothing reaches nginx more than 5 s after `event` (checked 6 s after it); load did reach
  // it before.
  void ExpectLoadStoppedWithin5s(double event) {
    double wait = event + 6.0 - WallNow();
    if (wait > 0) std::this_thread::sleep_for(std::chrono::duration<double>(wait));
    std::vector<double> times = AccessTimes(nginx_.AccessLogPath());
    EXPECT_GT(times.size() - CountAfter(times, event), 0u);
    EXPECT_EQ(CountAfter(times, event + 5.0), 0u)
        << "requests still arrived more than 5 s after the master was gone; last at +"
        << (times.empty() ? 0 : *std::max_element(times.begin(), times.end()) - event) << " s";
  }

  testing::NginxServer nginx_;
  fs::path dir_;
};

// ----- lost workers -------------------------------------------------------------------------

TEST_F(ClusterFaultsTest, KilledWorkerIsNoticedWithin3sNamedAndTheRunAborts) {
  testing::SpawnedProcess master;
  testing::SpawnedProcess workers[3];
  double start = RunRemoteCluster(&master, workers, 3, {"--runtime", "30s"}, 2.5);
  int victim = workers[1].pid();
  workers[1].Kill(SIGKILL);
  double killed_at = WallNow();
  auto killed_steady = std::chrono::steady_clock::now();
  int code = master.WaitExit(15);
  double exit_after = testing::SecondsSince(killed_steady);
  std::string log = ReadText(Path("master.log"));
  EXPECT_EQ(code, 3) << log;
  EXPECT_LT(exit_after, 3.0 + 5.0) << "noticing (3 s) plus the abort and the report";
  // The report names the worker, its users and when it was lost; the master noticed it at
  // start + lost_after, which must be within 3 s of the kill.
  double lost_after = LostAfter(log, victim);
  ASSERT_GE(lost_after, 0) << log;
  EXPECT_LE(start + lost_after - killed_at, 3.0 + 0.05) << log;
  EXPECT_THAT(log, HasSubstr("*** FAIL"));
  testing::ParsedReport report = testing::ParseReport(log);
  ASSERT_EQ(report.workers.size(), 3u) << log;
  for (const testing::WorkerRow& w : report.workers) {
    if (w.pid == victim) {
      EXPECT_THAT(w.state, HasSubstr("LOST")) << log;
      EXPECT_EQ(w.users, 2u);
      EXPECT_GT(w.requests, 0u) << "what it reported before dying is kept";
    }
  }
  EXPECT_EQ(report.AllTotal(), report.WorkerRequestTotal()) << log;
  // The survivors were told to stop, and their load stopped.
  for (int i : {0, 2}) EXPECT_NE(workers[i].WaitExit(10), -1) << "worker " << i;
  double ended = WallNow();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(CountAfter(AccessTimes(nginx_.AccessLogPath()), ended), 0u);
}

TEST_F(ClusterFaultsTest, ContinuePolicyFinishesWithTheOtherWorkersAndReportsTheLoss) {
  testing::SpawnedProcess master;
  testing::SpawnedProcess workers[3];
  double start = RunRemoteCluster(&master, workers, 3,
                                  {"--runtime", "10s", "--on-worker-loss", "continue"}, 2.5);
  int victim = workers[2].pid();
  workers[2].Kill(SIGKILL);
  double killed_at = WallNow();
  // The run goes on to its end (10 s) with the two others.
  EXPECT_EQ(master.WaitExit(4), -1) << ReadText(Path("master.log"));
  int code = master.WaitExit(20);
  double ended = WallNow();
  std::string log = ReadText(Path("master.log"));
  EXPECT_GE(ended - start, 10.0) << log;
  EXPECT_EQ(code, 3) << "a lost worker leaves the run incomplete\n" << log;
  double lost_after = LostAfter(log, victim);
  ASSERT_GE(lost_after, 0) << log;
  EXPECT_LE(start + lost_after - killed_at, 3.0 + 0.05) << log;
  std::vector<double> times = AccessTimes(nginx_.AccessLogPath());
  EXPECT_GT(CountAfter(times, killed_at + 4.0), 0u) << "the others kept the load going";
  testing::ParsedReport report = testing::ParseReport(log);
  ASSERT_EQ(report.workers.size(), 3u) << log;
  std::string survivors_output;
  for (int i : {0, 1}) {
    EXPECT_EQ(workers[i].WaitExit(10), 0) << "worker " << i;
    survivors_output += ReadText(Path("worker" + std::to_string(i) + ".log"));
  }
  std::map<int, uint64_t> counted = testing::WorkerCounts(survivors_output);
  EXPECT_EQ(counted.size(), 2u) << survivors_output;
  for (const testing::WorkerRow& w : report.workers) {
    if (w.pid == victim) {
      EXPECT_THAT(w.state, HasSubstr("LOST")) << log;
      EXPECT_GT(w.requests, 0u) << "what it reported before dying is kept";
    } else {
      EXPECT_THAT(w.state, HasSubstr("finished")) << log;
      EXPECT_EQ(w.requests, counted[w.index]) << "worker " << w.index;
    }
  }
  EXPECT_EQ(report.AllTotal(), report.WorkerRequestTotal()) << log;
}

TEST_F(ClusterFaultsTest, SilentWorkerIsNoticedWithin3sByItsMissingHeartbeats) {
  testing::SpawnedProcess master;
  testing::SpawnedProcess workers[2];
  double start = RunRemoteCluster(&master, workers, 2, {"--runtime", "30s"}, 2.5);
  int victim = workers[1].pid();
  workers[1].Kill(SIGSTOP);  // alive, connected, and silent: what a frozen host looks like
  double stopped_at = WallNow();
  int code = master.WaitExit(15);
  std::string log = ReadText(Path("master.log"));
  workers[1].Kill(SIGCONT);
  EXPECT_EQ(code, 3) << log;
  double lost_after = LostAfter(log, victim);
  ASSERT_GE(lost_after, 0) << log;
  // Silence is judged after 3 s without any message; the last one may have left up to one
  // heartbeat interval before the stop, and the master checks every 100 ms.
  // gRPC keepalive (no PING answer) or the heartbeat check, whichever comes first.
  EXPECT_LE(start + lost_after - stopped_at, 3.0 + 0.2) << log;
  // Resumed, the worker finds its master gone and stops with an error.
  int resumed = workers[1].WaitExit(10);
  EXPECT_NE(resumed, -1);
  EXPECT_NE(resumed, 0) << ReadText(Path("worker1.log"));
}

// ----- the master disappears ------------------------------------------------------------------

TEST_F(ClusterFaultsTest, KilledMasterStopsItsLocalWorkersWithin5s) {
  // Orphaned workers are re-parented to this test (AdoptOrphans), so it can collect their
  // exit status.
  testing::SpawnedProcess master;
  ASSERT_TRUE(master.Start(MasterArgs({"--runtime", "60s", "--local-workers", "3"}), {},
                           Path("master.log")));
  WaitForLoad(2.0);
  std::vector<int> workers = testing::ChildrenOf(master.pid());
  ASSERT_EQ(workers.size(), 3u);
  master.Kill(SIGKILL);
  double killed_at = WallNow();
  auto killed_steady = std::chrono::steady_clock::now();
  EXPECT_NE(master.WaitExit(5), -1);
  std::set<int> pending(workers.begin(), workers.end());
  while (!pending.empty() && testing::SecondsSince(killed_steady) < 5.0) {
    for (auto it = pending.begin(); it != pending.end();) {
      int status = 0;
      if (waitpid(*it, &status, WNOHANG) == *it) {
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << "worker " << *it;
        it = pending.erase(it);
      } else {
        ++it;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(pending.empty()) << pending.size() << " workers still ran 5 s after the master died";
  ExpectLoadStoppedWithin5s(killed_at);
  EXPECT_THAT(ReadText(Path("master.log")), HasSubstr("master went away"));
}

TEST_F(ClusterFaultsTest, KilledMasterStopsRemoteWorkersWithin5s) {
  testing::SpawnedProcess master;
  testing::SpawnedProcess workers[2];
  RunRemoteCluster(&master, workers, 2, {"--runtime", "60s"}, 2.0);
  master.Kill(SIGKILL);
  double killed_at = WallNow();
  auto killed_steady = std::chrono::steady_clock::now();
  for (int i = 0; i < 2; ++i) {
    int code = workers[i].WaitExit(std::max(0.0, 5.0 - testing::SecondsSince(killed_steady)));
    EXPECT_NE(code, -1) << "worker " << i << " still ran 5 s after the master died";
    EXPECT_NE(code, 0) << ReadText(Path("worker" + std::to_string(i) + ".log"));
  }
  ExpectLoadStoppedWithin5s(killed_at);
}

// The master runs in its own network namespace (deploy/netns.sh); the worker and nginx stay
// on the host's loopback, so cutting the namespace's link separates exactly the master from the
// worker while the worker could still reach its target.
TEST_F(ClusterFaultsTest, NetworkCutBetweenMasterAndWorker) {
  const std::string netns = std::string(LOADSIM_SOURCE_DIR) + "/deploy/netns.sh";
  if (std::system((netns + " check").c_str()) != 0) {
    GTEST_SKIP() << "network namespaces need root and iproute2 (the SIGSTOP test covers a "
                    "silent worker)";
  }
  const std::string ns = "lsim-cut-" + std::to_string(getpid());
  testing::SpawnedProcess up;
  ASSERT_TRUE(up.Start({"/bin/bash", netns, "up", ns}, {}, Path("netns-up.log")));
  ASSERT_EQ(up.WaitExit(20), 0) << ReadText(Path("netns-up.log"));
  std::string ns_addr = ReadText(Path("netns-up.log"));
  ns_addr = ns_addr.substr(ns_addr.find(' ') + 1);
  ns_addr = ns_addr.substr(0, ns_addr.find('\n'));
  struct Down {
    std::string script, ns;
    ~Down() { std::system((script + " down " + ns + " >/dev/null 2>&1").c_str()); }
  } down{netns, ns};

  int port = testing::FreePort();
  std::string addr = ns_addr + ":" + std::to_string(port);
  testing::SpawnedProcess master;
  std::vector<std::string> args = {"/bin/bash", netns, "run", ns};
  for (const std::string& a : MasterArgs(
           {"--runtime", "60s", "--expect-workers", "1", "--listen", addr, "--token", "tok"})) {
    args.push_back(a);
  }
  ASSERT_TRUE(master.Start(args, {}, Path("master.log")));
  ASSERT_TRUE(testing::WaitForText(Path("master.log"), "listening on", 10))
      << ReadText(Path("master.log"));
  testing::SpawnedProcess worker;
  StartWorker(&worker, addr, 0);
  const int worker_pid = worker.pid();
  double start = WaitForLoad(2.5);
  testing::SpawnedProcess cut;
  ASSERT_TRUE(cut.Start({"/bin/bash", netns, "cut", ns}, {}, Path("netns-cut.log")));
  ASSERT_EQ(cut.WaitExit(10), 0) << ReadText(Path("netns-cut.log"));
  double cut_at = WallNow();
  auto cut_steady = std::chrono::steady_clock::now();
  int worker_code = worker.WaitExit(5.0);
  EXPECT_NE(worker_code, -1) << "the worker still ran 5 s after the cut";
  EXPECT_NE(worker_code, 0);
  EXPECT_THAT(ReadText(Path("worker0.log")), HasSubstr("master went away"));
  int master_code = master.WaitExit(std::max(1.0, 15.0 - testing::SecondsSince(cut_steady)));
  std::string log = ReadText(Path("master.log"));
  EXPECT_EQ(master_code, 3) << log;
  double lost_after = LostAfter(log, worker_pid);
  ASSERT_GE(lost_after, 0) << log;
  EXPECT_LE(start + lost_after - cut_at, 3.0 + 0.2) << log;
  ExpectLoadStoppedWithin5s(cut_at);
}

// ----- joining: versions, tokens, duplicates ------------------------------------------------

TEST_F(ClusterFaultsTest, WrongVersionAndWrongTokenAreRejectedWithAReason) {
  testing::SpawnedProcess master;
  std::string addr = StartRemoteMaster(&master, 1, {"--runtime", "2s"});
  {
    FakeWorker old_version(addr);
    ASSERT_TRUE(old_version.Hello(v1::PROTOCOL_VERSION_CURRENT + 1, "tok", 4242));
    std::optional<v1::MasterMessage> answer = old_version.Answer();
    ASSERT_TRUE(answer.has_value());
    ASSERT_TRUE(answer->has_reject()) << answer->DebugString();
    EXPECT_THAT(answer->reject().reason(), HasSubstr("protocol version"));
  }
  {
    FakeWorker bad_token(addr);
    ASSERT_TRUE(bad_token.Hello(v1::PROTOCOL_VERSION_CURRENT, "not-the-token", 4243));
    std::optional<v1::MasterMessage> answer = bad_token.Answer();
    ASSERT_TRUE(answer.has_value());
    ASSERT_TRUE(answer->has_reject()) << answer->DebugString();
    EXPECT_THAT(answer->reject().reason(), HasSubstr("token"));
  }
  // The real worker binary says the same on its side and exits 2.
  testing::SpawnedProcess wrong;
  ASSERT_TRUE(wrong.Start({testing::WorkerBinaryPath(), "--master", addr, "--token", "nope"}, {},
                          Path("wrong.log")));
  EXPECT_EQ(wrong.WaitExit(15), 2);
  EXPECT_THAT(ReadText(Path("wrong.log")), HasSubstr("rejected by the master: wrong token"));
  // None of that disturbed the master: the right worker joins and the run passes.
  testing::SpawnedProcess good;
  StartWorker(&good, addr, 0);
  EXPECT_EQ(master.WaitExit(30), 0) << ReadText(Path("master.log"));
  EXPECT_EQ(good.WaitExit(10), 0);
}

// The issue asks for a clear reason "on both sides": the master says which worker it turned
// away and why.
TEST_F(ClusterFaultsTest, MasterLogsEveryRejectedWorker) {
  testing::SpawnedProcess master;
  std::string addr = StartRemoteMaster(&master, 1, {"--runtime", "2s"});
  {
    FakeWorker old_version(addr);
    ASSERT_TRUE(old_version.Hello(v1::PROTOCOL_VERSION_CURRENT + 1, "tok", 4242));
    old_version.Answer();
  }
  {
    FakeWorker bad_token(addr);
    ASSERT_TRUE(bad_token.Hello(v1::PROTOCOL_VERSION_CURRENT, "nope", 4243));
    bad_token.Answer();
  }
  ASSERT_TRUE(testing::WaitForText(Path("master.log"), "4243", 5)) << ReadText(Path("master.log"));
  std::string log = ReadText(Path("master.log"));
  EXPECT_THAT(log, HasSubstr("4242"));
  EXPECT_THAT(log, HasSubstr("protocol version"));
  EXPECT_THAT(log, HasSubstr("token"));
}

// A worker (same host and pid) that says Hello twice, e.g. after a reconnect, must not be
// counted as two workers: that would give its users to a worker that does not exist.
TEST_F(ClusterFaultsTest, WorkerConnectingTwiceIsRejected) {
  testing::SpawnedProcess master;
  std::string addr = StartRemoteMaster(&master, 2, {"--runtime", "2s"});
  FakeWorker first(addr);
  ASSERT_TRUE(first.Hello(v1::PROTOCOL_VERSION_CURRENT, "tok", 5151));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  FakeWorker again(addr);
  ASSERT_TRUE(again.Hello(v1::PROTOCOL_VERSION_CURRENT, "tok", 5151));
  std::optional<v1::MasterMessage> answer = again.Answer();
  ASSERT_TRUE(answer.has_value());
  EXPECT_TRUE(answer->has_reject()) << "the second connection of fakehost pid 5151 was admitted "
                                       "as another worker: "
                                    << answer->ShortDebugString().substr(0, 200);
  master.Kill(SIGTERM);
}

TEST_F(ClusterFaultsTest, WorkerThatCannotReachItsMasterExits3) {
  int port = testing::FreePort();  // nothing listens there
  testing::SpawnedProcess worker;
  auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(worker.Start({testing::WorkerBinaryPath(), "--master",
                            "127.0.0.1:" + std::to_string(port), "--token", "tok"},
                           {}, Path("worker.log")));
  EXPECT_EQ(worker.WaitExit(20), 3);
  EXPECT_LT(testing::SecondsSince(started), 15.0);
  EXPECT_THAT(ReadText(Path("worker.log")), HasSubstr("cannot reach the master"));
}

// ----- usage and configuration errors -------------------------------------------------------

TEST_F(ClusterFaultsTest, UsageAndConfigurationErrorsExit2WithAReason) {
  std::ofstream(dir_ / "broken.plist") << "<plist><dict><key>clients</key><array><dict>";
  std::ofstream(dir_ / "typed.plist") << "<plist><dict><key>server</key><integer>1</integer>"
                                      << "</dict></plist>";
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  std::string config = Path("config.plist"), clients = Path("clients.plist");
  const std::string& m = testing::MasterBinary();
  std::vector<Case> cases = {
      {{m}, "--config"},
      {{m, "--config", Path("missing.plist")}, "missing.plist"},
      {{m, "--config", Path("typed.plist"), "--clients", clients}, "typed.plist"},
      {{m, "--config", config, "--clients", Path("broken.plist")}, "broken.plist"},
      {{m, "--config", config, "--clients", clients, "--on-worker-loss", "maybe"},
       "on_worker_loss"},
      {{m, "--config", config, "--clients", clients, "--runtime", "0"}, "runtime"},
      {{m, "--config", config, "--clients", clients, "--runtime", "soon"}, "runtime"},
      {{m, "--config", config, "--clients", clients, "--local-workers", "0"}, "local_workers"},
      {{m, "--config", config, "--clients", clients, "--local-workers", "2", "--expect-workers",
        "2"},
       "not both"},
      {{m, "--config", config, "--clients", clients, "stray"}, "stray"},
      {{testing::WorkerBinaryPath()}, "--master"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    std::string log = Path("usage" + std::to_string(i) + ".log");
    testing::SpawnedProcess p;
    ASSERT_TRUE(p.Start(cases[i].args, {}, log));
    EXPECT_EQ(p.WaitExit(15), 2) << "case " << i << ": " << ReadText(log);
    EXPECT_THAT(ReadText(log), HasSubstr(cases[i].says)) << "case " << i;
  }
}

// ----- the target server fails --------------------------------------------------------------

TEST_F(ClusterFaultsTest, TargetThatRefusesConnectionsIsReportedWithoutHanging) {
  WriteConfig("http://127.0.0.1:" + std::to_string(testing::FreePort()) + "/x", "");
  testing::SpawnedProcess master;
  auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(
      master.Start(MasterArgs({"--runtime", "4s", "--local-workers", "2", "--output", Path("out")}),
                   {}, Path("master.log")));
  int code = master.WaitExit(30);
  std::string log = ReadText(Path("master.log"));
  EXPECT_EQ(code, 1) << log;
  EXPECT_LT(testing::SecondsSince(started), 4.0 + 2.0 + 10.0);
  testing::ParsedReport report = testing::ParseReport(log);
  ASSERT_EQ(report.workers.size(), 2u) << log;
  for (const testing::WorkerRow& w : report.workers) EXPECT_THAT(w.state, HasSubstr("finished"));
  EXPECT_GT(report.all["GET{robot}"], 0u) << log;
  EXPECT_EQ(report.failed["GET{robot}"], report.all["GET{robot}"]) << log;
  // Why they failed: the label's failure reasons in results.json.
  EXPECT_THAT(ReadText(Path("out/results.json")),
              ::testing::ContainsRegex("\"connect\": \"[0-9]+\""));
}

// A listening socket that is never accepted: connections complete, requests go unanswered.
class SilentServer {
 public:
  SilentServer() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
    listen(fd_, 128);
    socklen_t len = sizeof(sa);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    port_ = ntohs(sa.sin_port);
  }
  ~SilentServer() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

TEST_F(ClusterFaultsTest, TargetThatNeverAnswersIsReportedWithoutHanging) {
  SilentServer silent;
  ASSERT_GT(silent.port(), 0);
  WriteConfig("http://127.0.0.1:" + std::to_string(silent.port()) + "/x",
              "<key>xact_lifetime</key><string>1s</string>");
  testing::SpawnedProcess master;
  auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(
      master.Start(MasterArgs({"--runtime", "4s", "--local-workers", "2", "--output", Path("out")}),
                   {}, Path("master.log")));
  int code = master.WaitExit(30);
  double took = testing::SecondsSince(started);
  std::string log = ReadText(Path("master.log"));
  EXPECT_EQ(code, 1) << log;
  EXPECT_LT(took, 4.0 + 2.0 + 10.0) << "runtime + drain grace + start and report";
  testing::ParsedReport report = testing::ParseReport(log);
  EXPECT_GT(report.all["GET{robot}"], 0u) << log;
  EXPECT_EQ(report.failed["GET{robot}"], report.all["GET{robot}"]) << log;
  EXPECT_THAT(ReadText(Path("out/results.json")),
              ::testing::ContainsRegex("\"timeout\": \"[0-9]+\""));
}

// Without a request lifetime nothing times out during the run, and the requests still in
// flight when the drain grace ends are not counted (a known gap: design.md wants them counted
// as timeouts). A run in which the server answered nothing must still not PASS: the verdict
// fails a run in which no request completed.
TEST_F(ClusterFaultsTest, RunInWhichTheServerAnsweredNothingDoesNotPass) {
  SilentServer silent;
  WriteConfig("http://127.0.0.1:" + std::to_string(silent.port()) + "/x", "");
  testing::SpawnedProcess master;
  ASSERT_TRUE(master.Start(MasterArgs({"--runtime", "4s", "--local-workers", "2"}), {},
                           Path("master.log")));
  int code = master.WaitExit(30);
  std::string log = ReadText(Path("master.log"));
  EXPECT_NE(code, -1) << "the master hung\n" << log;
  EXPECT_NE(code, 0) << log;
  EXPECT_EQ(testing::ParseReport(log).verdict, "FAIL") << log;
}

// ----- the operator stops the run ---------------------------------------------------------------

class SignalTest : public ClusterFaultsTest, public ::testing::WithParamInterface<int> {};

TEST_P(SignalTest, MasterStopsEarlyWithTheReportOfWhatWasCollected) {
  testing::SpawnedProcess master;
  ASSERT_TRUE(master.Start(MasterArgs({"--runtime", "60s", "--local-workers", "2"}), {},
                           Path("master.log")));
  WaitForLoad(3.0);
  master.Kill(GetParam());
  auto signalled = std::chrono::steady_clock::now();
  int code = master.WaitExit(15);
  double took = testing::SecondsSince(signalled);
  std::string log = ReadText(Path("master.log"));
  EXPECT_LT(took, 2.0 + 5.0) << "drain grace plus the report";
  testing::ParsedReport report = testing::ParseReport(log);
  ASSERT_TRUE(report.found) << log;
  EXPECT_GT(report.requests["GET{robot}"], 0u) << log;
  // What each worker counted, and nothing else, is in the report; the workers ended cleanly.
  std::map<int, uint64_t> counted = testing::WorkerCounts(log);
  ASSERT_EQ(counted.size(), 2u) << log;
  uint64_t sum = 0;
  for (const auto& [index, n] : counted) sum += n;
  EXPECT_EQ(report.AllTotal(), sum) << log;
  for (const testing::WorkerRow& w : report.workers) EXPECT_THAT(w.state, HasSubstr("finished"));
  EXPECT_EQ(AccessTimes(nginx_.AccessLogPath()).size(), report.HttpTotal());
  // Stopped after about 3 s of 60: incomplete (design.md: exit 3), and the report says why.
  EXPECT_EQ(code, 3) << log;
  EXPECT_THAT(report.ended, HasSubstr("signal " + std::to_string(GetParam()))) << log;
}

INSTANTIATE_TEST_SUITE_P(Signals, SignalTest, ::testing::Values(SIGINT, SIGTERM),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return std::string(info.param == SIGINT ? "SIGINT" : "SIGTERM");
                         });

}  // namespace
}  // namespace loadsim
