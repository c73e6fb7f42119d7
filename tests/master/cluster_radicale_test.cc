// The cluster against a real Radicale with the project's own configs/ (100 OS X 10.7 calendar
// users): a master and 3 worker processes over loopback for 30 s, started by the master
// (--local-workers 3) or by hand (--expect-workers 3 with a token). Evidence that every account
// is simulated exactly once, from three independent witnesses:
//   1. Radicale's request log (level info): every account logs in, and each account runs its
//      client's start-up discovery (the authenticated PROPFIND of "/") exactly once; Radicale's
//      storage holds each account's provisioned calendars.
//   2. strace of each worker process (when ptrace is allowed): the accounts named in the request
//      lines a process sends are exactly the users n with n mod 3 == its index, disjoint across
//      processes, and all of them together.
//   3. The master's report: users per worker 34/33/33, its label tables add up to what the
//      workers say they counted, its workers table to its request table, and the HTTP
//      exchanges in it (every label but the operations) equal the requests Radicale logged and
//      strace saw.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/master/cluster_harness.h"
#include "tests/servers/spawned_process.h"

namespace loadsim {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::ParsedReport;
using testing::ReadText;

constexpr int kWorkers = 3;
constexpr char kRuntime[] = "30s";

// What Radicale's info log says about the run.
struct RadicaleEvidence {
  uint64_t requests = 0;                     // every request but the start-up probe
  std::map<std::string, uint64_t> logins;    // account -> authenticated requests
  std::map<std::string, uint64_t> startups;  // account -> authenticated PROPFIND "/"
};

// Radicale 3 logs "[time] [pid/Thread-N (...)] [INFO] METHOD request for 'PATH' ... using 'UA'"
// and then, in the same thread (one thread per request), "Successful login: 'uid'".
RadicaleEvidence ReadRadicaleLog(const std::string& text) {
  RadicaleEvidence e;
  const std::regex request_re(
      R"(\[([^\]]*Thread-\d+)[^\]]*\] \[INFO\] ([A-Z]+) request for '([^']*)'.* using '([^']*)')");
  const std::regex login_re(R"(\[([^\]]*Thread-\d+)[^\]]*\] \[INFO\] Successful login: '([^']+)')");
  std::map<std::string, std::pair<std::string, std::string>> by_thread;  // method, path
  std::istringstream in(text);
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, request_re)) {
      if (m[4].str().rfind("curl/", 0) == 0) continue;  // radicale.sh's readiness probe
      ++e.requests;
      by_thread[m[1]] = {m[2], m[3]};
    } else if (std::regex_search(line, m, login_re)) {
      auto it = by_thread.find(m[1]);
      if (it == by_thread.end()) continue;
      ++e.logins[m[2]];
      if (it->second.first == "PROPFIND" && it->second.second == "/") ++e.startups[m[2]];
    }
  }
  return e;
}

// What strace saw one worker process send: its index (from its "counted" line), its pid, and
// the request lines it wrote to sockets.
struct TracedWorker {
  int index = -1;
  int pid = 0;
  uint64_t counted = 0;
  uint64_t requests = 0;
  std::set<std::string> accounts;  // first path segments of its requests ("/user001/...")
};

TracedWorker ReadTrace(const std::string& text) {
  TracedWorker t;
  const std::regex counted_re(
      R"((\d+)\s+write\(2, "loadsim-worker (\d+)/\d+: counted (\d+) requests)");
  const std::regex send_re(R"(sendto\(\d+, "([A-Z]+) (/[^ "]*) HTTP/1\.1\\r\\n)");
  std::smatch m;
  if (std::regex_search(text, m, counted_re)) {
    t.pid = std::stoi(m[1]);
    t.index = std::stoi(m[2]);
    t.counted = std::stoull(m[3]);
  }
  for (std::sregex_iterator it(text.begin(), text.end(), send_re), end; it != end; ++it) {
    ++t.requests;
    std::string path = (*it)[2];
    std::smatch u;
    // "/.well-known/caldav/" and "/" name no account (discovery before the principal is known).
    if (std::regex_search(path, u, std::regex(R"(^/([^./][^/]*)/)"))) t.accounts.insert(u[1]);
  }
  return t;
}

class ClusterRadicaleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::AdoptOrphans();  // Radicale, started in the background by radicale.sh
    dir_ = fs::path(::testing::TempDir()) /
           ("cluster_radicale_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // The project's configs, adapted: Radicale's port, and the arrival of the 100 users
    // compressed from one group of 5 every 3 s to every 1 s so all of them run within 30 s.
    fs::copy(fs::path(LOADSIM_SOURCE_DIR) / "configs", dir_ / "configs",
             fs::copy_options::recursive);
    port_ = testing::FreePort();
    std::string config = ReadText((dir_ / "configs/config.plist").string());
    ASSERT_EQ(Replace(&config, std::regex(R"(http://127\.0\.0\.1:5232)"),
                      "http://127.0.0.1:" + std::to_string(port_)),
              1);
    ASSERT_EQ(
        Replace(&config, std::regex(R"((<key>interval</key>\s*<integer>)3(</integer>))"), "$011$2"),
        1);
    std::ofstream(dir_ / "configs/config.plist") << config;
    std::ifstream csv(dir_ / "configs/accounts.csv");
    for (std::string line; std::getline(csv, line);) {
      std::string uid = line.substr(0, line.find(','));
      if (!uid.empty() && uid != "uid") accounts_.push_back(uid);
    }
    ASSERT_EQ(accounts_.size(), 100u);

    radicale_dir_ = (dir_ / "radicale").string();
    testing::SpawnedProcess start;
    ASSERT_TRUE(start.Start(
        {"/bin/bash", std::string(LOADSIM_SOURCE_DIR) + "/tests/servers/radicale.sh", "start",
         radicale_dir_, std::to_string(port_), (dir_ / "configs/accounts.csv").string()},
        {"RADICALE_LOG_LEVEL=info"}, (dir_ / "radicale-start.log").string()));
    ASSERT_EQ(start.WaitExit(30), 0) << ReadText((dir_ / "radicale-start.log").string());
    strace_ = testing::StraceUsable();
    if (!strace_) {
      std::printf("note: strace cannot trace here; per-process attribution is not checked\n");
    }
  }

  void TearDown() override {
    testing::SpawnedProcess stop;
    if (stop.Start({"/bin/bash", std::string(LOADSIM_SOURCE_DIR) + "/tests/servers/radicale.sh",
                    "stop", radicale_dir_},
                   {}, (dir_ / "radicale-stop.log").string())) {
      stop.WaitExit(10);
    }
    testing::KillLeftovers({});  // reaps Radicale; ends anything else the test left behind
  }

  static int Replace(std::string* text, const std::regex& re, const std::string& with) {
    int n = static_cast<int>(std::distance(std::sregex_iterator(text->begin(), text->end(), re),
                                           std::sregex_iterator()));
    *text = std::regex_replace(*text, re, with);
    return n;
  }

  std::vector<std::string> MasterArgs(const std::vector<std::string>& extra) const {
    std::vector<std::string> args = {testing::MasterBinary(),
                                     "--config",
                                     (dir_ / "configs/config.plist").string(),
                                     "--clients",
                                     (dir_ / "configs/clients.plist").string(),
                                     "--runtime",
                                     kRuntime,
                                     "--threads-per-worker",
                                     "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  // argv prefix that runs a command under strace, writing to `trace` (nothing without strace).
  std::vector<std::string> Traced(const std::string& trace) const {
    if (!strace_) return {};
    return {"/usr/bin/strace",
            "-f",
            "-qq",
            "-e",
            "trace=sendto,write",
            "-e",
            "signal=none",
            "-s",
            "96",
            "-o",
            trace};
  }

  // Every check of "each account simulated exactly once" against the three witnesses.
  // `worker_output` holds every worker's stderr (its "counted" line); `traces` one trace file
  // per worker process (empty without strace).
  void ExpectExactlyOnce(const std::string& master_log, const std::string& worker_output,
                         const std::vector<std::string>& traces) {
    ParsedReport report = testing::ParseReport(master_log);
    ASSERT_TRUE(report.found) << master_log;
    // The report is complete: CalendarServer's sections, the workers, how it ended, the verdict.
    for (const char* section : {"Client", "Details", "Percentiles", "Workers"}) {
      EXPECT_THAT(report.sections, ::testing::Contains(section)) << master_log;
    }
    EXPECT_THAT(report.ended, HasSubstr("runtime")) << master_log;
    EXPECT_EQ(report.verdict, "PASS") << master_log;
    EXPECT_GT(report.requests.count("PROPFIND{home}"), 0u) << master_log;
    EXPECT_EQ(report.operations["startup: 10.7"], accounts_.size()) << master_log;

    // The master's partition: n mod 3, so 34, 33, 33 users; every worker finished.
    ASSERT_EQ(report.workers.size(), static_cast<size_t>(kWorkers)) << master_log;
    std::map<int, testing::WorkerRow> rows;
    uint64_t users = 0;
    for (const testing::WorkerRow& w : report.workers) {
      rows[w.index] = w;
      users += w.users;
      EXPECT_EQ(w.users, (accounts_.size() + kWorkers - 1 - w.index) / kWorkers) << master_log;
      EXPECT_THAT(w.state, HasSubstr("finished")) << master_log;
    }
    EXPECT_EQ(users, accounts_.size());

    // Merged totals equal the sum of what each worker counted: every label of the report
    // (requests, auth exchanges, operations) adds up to the workers' own "counted" lines, and
    // the workers table (transactions: requests without auth exchanges and operations) adds
    // up to the Details request table.
    std::map<int, uint64_t> counted = testing::WorkerCounts(worker_output);
    ASSERT_EQ(counted.size(), static_cast<size_t>(kWorkers)) << worker_output;
    uint64_t counted_sum = 0;
    for (const auto& [index, n] : counted) {
      counted_sum += n;
      EXPECT_GT(rows[index].requests, 0u) << "worker " << index;
      EXPECT_LT(rows[index].requests, n) << "worker " << index;  // n adds operations
    }
    EXPECT_EQ(report.AllTotal(), counted_sum) << master_log;
    EXPECT_EQ(report.WorkerRequestTotal(), testing::ParsedReport::Sum(report.requests))
        << master_log;

    // Radicale: every account active, one start-up each, and exactly the requests reported.
    RadicaleEvidence server = ReadRadicaleLog(ReadText(radicale_dir_ + "/radicale.log"));
    EXPECT_EQ(server.requests, report.HttpTotal()) << master_log;
    std::set<std::string> logged_in;
    for (const auto& [uid, n] : server.logins) logged_in.insert(uid);
    EXPECT_EQ(logged_in, std::set<std::string>(accounts_.begin(), accounts_.end()));
    for (const std::string& uid : accounts_) {
      EXPECT_EQ(server.startups[uid], 1u)
          << uid << " ran its start-up discovery " << server.startups[uid] << " times";
      fs::path home = fs::path(radicale_dir_) / "data/collection-root" / uid;
      EXPECT_TRUE(fs::is_directory(home / "calendar")) << home;
      EXPECT_TRUE(fs::is_directory(home / "tasks")) << home;
    }

    std::printf(
        "evidence: report %llu requests + %llu operations = workers' %llu; Radicale "
        "logged %llu requests from %zu accounts\n",
        static_cast<unsigned long long>(report.HttpTotal()),
        static_cast<unsigned long long>(report.OperationTotal()),
        static_cast<unsigned long long>(counted_sum),
        static_cast<unsigned long long>(server.requests), logged_in.size());

    if (!strace_) return;
    // strace: which process sent which account's requests.
    ASSERT_EQ(traces.size(), static_cast<size_t>(kWorkers));
    std::set<std::string> seen;
    uint64_t traced_requests = 0;
    for (const std::string& path : traces) {
      TracedWorker t = ReadTrace(ReadText(path));
      ASSERT_GE(t.index, 0) << path << " has no 'counted' line";
      EXPECT_EQ(t.pid, rows[t.index].pid) << path;
      EXPECT_EQ(t.counted, counted[t.index]) << path;
      // It sent its transactions plus its auth exchanges.
      EXPECT_GE(t.requests, rows[t.index].requests) << path;
      std::set<std::string> own;
      for (size_t n = t.index; n < accounts_.size(); n += kWorkers) own.insert(accounts_[n]);
      EXPECT_EQ(t.accounts, own) << "worker " << t.index << " (" << path << ")";
      for (const std::string& uid : t.accounts) {
        EXPECT_TRUE(seen.insert(uid).second) << uid << " was simulated by two processes";
      }
      traced_requests += t.requests;
      std::printf("evidence: worker %d (pid %d) sent %llu requests for %zu accounts\n", t.index,
                  t.pid, static_cast<unsigned long long>(t.requests), t.accounts.size());
    }
    EXPECT_EQ(seen.size(), accounts_.size());
    EXPECT_EQ(traced_requests, server.requests);
  }

  fs::path dir_;
  std::string radicale_dir_;
  int port_ = 0;
  bool strace_ = false;
  std::vector<std::string> accounts_;
};

TEST_F(ClusterRadicaleTest, LocalWorkersSimulateEveryAccountExactlyOnce) {
  // The master spawns the workers; LOADSIM_WORKER_BIN points it at a wrapper that runs each
  // one under its own strace (a trace file per worker process).
  std::string wrapper = (dir_ / "traced-worker.sh").string();
  {
    std::ofstream w(wrapper);
    w << "#!/bin/sh\nexec";
    for (const std::string& a : Traced((dir_ / "worker.$$.trace").string())) w << " " << a;
    w << " " << testing::WorkerBinaryPath() << " \"$@\"\n";
  }
  fs::permissions(wrapper, fs::perms::owner_all);
  testing::SpawnedProcess master;
  std::string log = (dir_ / "master.log").string();
  ASSERT_TRUE(master.Start(MasterArgs({"--local-workers", std::to_string(kWorkers)}),
                           {"LOADSIM_WORKER_BIN=" + wrapper}, log));
  int code = master.WaitExit(90);
  ASSERT_EQ(code, 0) << ReadText(log);
  std::vector<std::string> traces;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    if (entry.path().extension() == ".trace") traces.push_back(entry.path().string());
  }
  // Local workers share the master's stderr: their "counted" lines are in its log.
  ExpectExactlyOnce(ReadText(log), ReadText(log), traces);
}

TEST_F(ClusterRadicaleTest, RemoteWorkersWithATokenSimulateEveryAccountExactlyOnce) {
  int port = testing::FreePort();
  std::string addr = "127.0.0.1:" + std::to_string(port);
  testing::SpawnedProcess master;
  std::string log = (dir_ / "master.log").string();
  ASSERT_TRUE(master.Start(MasterArgs({"--expect-workers", std::to_string(kWorkers), "--listen",
                                       addr, "--token", "s3cret", "--wait-timeout", "30s"}),
                           {}, log));
  ASSERT_TRUE(master.WaitForPort(port, 10)) << ReadText(log);
  testing::SpawnedProcess workers[kWorkers];
  std::vector<std::string> traces;
  for (int i = 0; i < kWorkers; ++i) {
    std::string trace = (dir_ / ("worker" + std::to_string(i) + ".trace")).string();
    std::vector<std::string> argv = Traced(trace);
    if (strace_) traces.push_back(trace);
    for (const std::string& a : {testing::WorkerBinaryPath(), std::string("--master"), addr,
                                 std::string("--threads"), std::string("1")}) {
      argv.push_back(a);
    }
    // Two take the token as a flag, one from the environment.
    std::vector<std::string> env;
    if (i == 2) {
      env.push_back("LOADSIM_TOKEN=s3cret");
    } else {
      argv.push_back("--token");
      argv.push_back("s3cret");
    }
    ASSERT_TRUE(
        workers[i].Start(argv, env, (dir_ / ("worker" + std::to_string(i) + ".log")).string()));
  }
  int code = master.WaitExit(90);
  ASSERT_EQ(code, 0) << ReadText(log);
  std::string worker_output;
  for (int i = 0; i < kWorkers; ++i) {
    EXPECT_EQ(workers[i].WaitExit(15), 0) << "worker " << i;
    worker_output += ReadText((dir_ / ("worker" + std::to_string(i) + ".log")).string());
  }
  ExpectExactlyOnce(ReadText(log), worker_output, traces);
}

}  // namespace
}  // namespace loadsim
