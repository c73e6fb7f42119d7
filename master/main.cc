// loadsim-master: reads the configuration once and validates it; with --check prints the
// resolved run specification; otherwise runs it on a cluster of workers (local processes it
// spawns, or remote ones that dial in), prints live lines and the combined report.
// Exit status: 0 PASS/valid, 1 FAIL, 2 usage or configuration error, 3 run aborted or
// incomplete.
#include <linux/limits.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/config.h"
#include "common/flags_util.h"
#include "common/file_util.h"
#include "common/units.h"
#include "common/workload.h"
#include "grpcpp/grpcpp.h"
#include "master/coordinator.h"
#include "master/report.h"
#include "master/server_stats.h"
#include "master/spec_dump.h"
#include "worker/event_loop.h"

ABSL_FLAG(std::string, config, "", "config.plist (CalendarServer format)");
ABSL_FLAG(std::string, clients, "",
          "clients.plist; when empty the clients array of --config is used");
ABSL_FLAG(std::string, workload, "",
          "PGL workload (robots and phases); alone, or adding to --config (common/workload.h)");
ABSL_FLAG(bool, check, false, "validate the configuration, print the resolved run spec, exit");
ABSL_FLAG(uint64_t, seed, 0, "run seed; 0 picks a random one (always printed)");
ABSL_FLAG(std::string, runtime, "60s", "how long to run (seconds or a PGL time: 90s, 10min)");
ABSL_FLAG(int, local_workers, -1,
          "spawn this many worker processes on this host (default: 1, or the count of the "
          "config's workers list)");
ABSL_FLAG(std::string, listen, "127.0.0.1:0", "address the master listens on for workers");
ABSL_FLAG(int, expect_workers, 0, "wait for this many remote workers (instead of local ones)");
ABSL_FLAG(std::string, wait_timeout, "30s", "how long to wait for workers to join");
ABSL_FLAG(std::string, token, "", "shared worker token (default: $LOADSIM_TOKEN, else random)");
ABSL_FLAG(std::string, on_worker_loss, "fail", "fail: stop the run (exit 3); continue");
ABSL_FLAG(int, threads_per_worker, 0, "event-loop threads per worker; 0 = its cores");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate the master presents to workers (TLS)");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert");
ABSL_FLAG(std::string, tls_ca, "", "PEM CA: require workers to present certificates it signed");
ABSL_FLAG(std::string, drain_grace, "5s", "how long in-flight requests may finish at the end");

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFail = 1;
constexpr int kExitUsage = 2;
constexpr int kExitAborted = 3;

std::atomic<int> g_signal{0};
void OnSignal(int sig) { g_signal.store(sig); }

std::string RandomToken() {
  std::random_device rd;
  return absl::StrFormat("%08x%08x%08x%08x", rd(), rd(), rd(), rd());
}

// The worker binary beside this one (installed) or in the build tree.
std::string WorkerBinary() {
  if (const char* env = std::getenv("LOADSIM_WORKER_BIN")) return env;
  char self[PATH_MAX] = {0};
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  std::string dir = n > 0 ? std::string(self, n) : std::string("./loadsim-master");
  dir = dir.substr(0, dir.rfind('/'));
  for (const std::string& candidate : {dir + "/loadsim-worker", dir + "/../worker/loadsim-worker"}) {
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "loadsim-worker";
}

double ParseSecondsFlag(const std::string& name, const std::string& text, bool* ok) {
  absl::StatusOr<double> t = loadsim::ParseTime(text);
  if (!t.ok() || *t < 0) {
    std::fprintf(stderr, "loadsim-master: --%s: %s\n", name.c_str(),
                 t.ok() ? "must be >= 0" : std::string(t.status().message()).c_str());
    *ok = false;
    return 0;
  }
  return *t;
}

void PrintLiveLine(double t, const loadsim::LabelMap& interval, double interval_s,
                   const std::vector<loadsim::WorkerStatus>& workers) {
  uint64_t count = 0, failures = 0;
  loadsim::LabelRecorder all("all");
  for (const auto& [label, s] : interval) {
    if (loadsim::IsSchedulingLabel(label)) continue;
    count += s.count();
    failures += s.failures();
  }
  double mean_ms = 0, p99_ms = 0;
  for (const auto& [label, s] : interval) {
    if (loadsim::IsSchedulingLabel(label) || s.count() == 0) continue;
    mean_ms += s.MeanUs() / 1000 * s.count() / std::max<uint64_t>(count, 1);
    p99_ms = std::max(p99_ms, s.ValueAtQuantileUs(0.99) / 1000.0);
  }
  int alive = 0;
  uint64_t users = 0;
  for (const auto& w : workers) {
    alive += !w.lost;
    users += w.lost ? 0 : w.users;
  }
  std::printf("%7.1fs  users %6llu  req/s %9.1f  mean %8.2f ms  p99(max label) %8.2f ms  "
              "errors %6llu  workers %d/%zu\n",
              t, static_cast<unsigned long long>(users), count / interval_s, mean_ms, p99_ms,
              static_cast<unsigned long long>(failures), alive, workers.size());
  std::fflush(stdout);
}

int RunCluster(const loadsim::LoadedConfig& loaded) {
  bool ok = true;
  double runtime_s = ParseSecondsFlag("runtime", absl::GetFlag(FLAGS_runtime), &ok);
  double wait_s = ParseSecondsFlag("wait_timeout", absl::GetFlag(FLAGS_wait_timeout), &ok);
  double grace_s = ParseSecondsFlag("drain_grace", absl::GetFlag(FLAGS_drain_grace), &ok);
  std::string loss_policy = absl::GetFlag(FLAGS_on_worker_loss);
  if (loss_policy != "fail" && loss_policy != "continue") {
    std::fprintf(stderr, "loadsim-master: --on_worker_loss must be fail or continue\n");
    ok = false;
  }
  if (!ok) return kExitUsage;
  if (runtime_s <= 0) {
    std::fprintf(stderr, "loadsim-master: --runtime must be > 0\n");
    return kExitUsage;
  }
  int expect = absl::GetFlag(FLAGS_expect_workers);
  int local = absl::GetFlag(FLAGS_local_workers);
  if (expect > 0 && local > 0) {
    std::fprintf(stderr, "loadsim-master: give --local_workers or --expect_workers, not both\n");
    return kExitUsage;
  }
  if (expect <= 0) {
    if (local < 0) {
      local = loaded.spec.workers_size() > 0 ? loaded.spec.workers_size() : 1;
      if (loaded.spec.workers_size() > 0) {
        std::printf("note: the config's workers list names %d commands; running %d local "
                    "workers instead (remote workers dial in with --master)\n",
                    loaded.spec.workers_size(), local);
      }
    }
    if (local < 1) {
      std::fprintf(stderr, "loadsim-master: --local_workers must be >= 1\n");
      return kExitUsage;
    }
    expect = local;
  } else {
    local = 0;
  }
  std::string token = absl::GetFlag(FLAGS_token);
  if (token.empty() && std::getenv("LOADSIM_TOKEN") != nullptr) token = std::getenv("LOADSIM_TOKEN");
  bool token_generated = token.empty();
  if (token_generated) token = RandomToken();

  loadsim::Coordinator::Options copts;
  copts.expected_workers = expect;
  copts.token = token;
  copts.threads_per_worker = absl::GetFlag(FLAGS_threads_per_worker);
  loadsim::Coordinator coordinator(loaded, copts);
  grpc::ServerBuilder builder;
  int port = 0;
  std::string listen = absl::GetFlag(FLAGS_listen);
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!absl::GetFlag(FLAGS_tls_cert).empty() || !absl::GetFlag(FLAGS_tls_key).empty()) {
    absl::StatusOr<std::string> cert = loadsim::ReadFile(absl::GetFlag(FLAGS_tls_cert));
    absl::StatusOr<std::string> key = loadsim::ReadFile(absl::GetFlag(FLAGS_tls_key));
    if (!cert.ok() || !key.ok()) {
      std::fprintf(stderr, "loadsim-master: --tls_cert/--tls_key: %s\n",
                   std::string((!cert.ok() ? cert.status() : key.status()).message()).c_str());
      return kExitUsage;
    }
    grpc::SslServerCredentialsOptions ssl(
        absl::GetFlag(FLAGS_tls_ca).empty()
            ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
            : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    ssl.pem_key_cert_pairs.push_back({*key, *cert});
    if (!absl::GetFlag(FLAGS_tls_ca).empty()) {
      absl::StatusOr<std::string> ca = loadsim::ReadFile(absl::GetFlag(FLAGS_tls_ca));
      if (!ca.ok()) {
        std::fprintf(stderr, "loadsim-master: --tls_ca: %s\n",
                     std::string(ca.status().message()).c_str());
        return kExitUsage;
      }
      ssl.pem_root_certs = *ca;
    }
    credentials = grpc::SslServerCredentials(ssl);
  }
  builder.AddListeningPort(listen, credentials, &port);
  builder.RegisterService(&coordinator);
  builder.SetMaxReceiveMessageSize(1 << 30);
  builder.SetMaxSendMessageSize(1 << 30);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 1000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 2000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 500);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::fprintf(stderr, "loadsim-master: cannot listen on %s\n", listen.c_str());
    return kExitUsage;
  }
  std::string host = listen.substr(0, listen.rfind(':'));
  std::string address = absl::StrCat(host, ":", port);
  std::printf("loadsim-master: seed %llu, listening on %s for %d worker(s)\n",
              static_cast<unsigned long long>(loaded.spec.seed()), address.c_str(), expect);
  if (local == 0) {
    std::printf("start each worker with:\n  LOADSIM_TOKEN=%s loadsim-worker --master %s\n",
                token_generated ? token.c_str() : "<your token>", address.c_str());
  }
  std::fflush(stdout);

  std::vector<pid_t> children;
  std::string worker_bin = WorkerBinary();
  for (int i = 0; i < local; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      setenv("LOADSIM_TOKEN", token.c_str(), 1);
      std::vector<std::string> argv = {"loadsim-worker", "--master", address};
      if (!absl::GetFlag(FLAGS_tls_cert).empty()) {
        // Local workers trust the master's own certificate (self-signed or signed by --tls_ca).
        argv.push_back("--tls_ca");
        argv.push_back(absl::GetFlag(FLAGS_tls_ca).empty() ? absl::GetFlag(FLAGS_tls_cert)
                                                            : absl::GetFlag(FLAGS_tls_ca));
      }
      std::vector<char*> cargv;
      for (std::string& a : argv) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      execv(worker_bin.c_str(), cargv.data());
      std::fprintf(stderr, "loadsim-master: cannot start %s\n", worker_bin.c_str());
      _exit(127);
    }
    children.push_back(pid);
  }
  auto reap = [&] {
    for (pid_t pid : children) {
      int status = 0;
      for (int i = 0; i < 100 && waitpid(pid, &status, WNOHANG) == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (waitpid(pid, &status, WNOHANG) == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
      }
    }
  };
  auto finish = [&](int code) {
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    reap();
    return code;
  };

  absl::Status ready = coordinator.WaitForReadyWorkers(wait_s);
  if (!ready.ok()) {
    std::fprintf(stderr, "loadsim-master: %s\n", std::string(ready.message()).c_str());
    coordinator.AbortAll(std::string(ready.message()));
    return finish(kExitAborted);
  }
  signal(SIGINT, OnSignal);
  signal(SIGTERM, OnSignal);
  const int64_t start_in_ms = 500;
  coordinator.StartAll(start_in_ms, runtime_s);
  const int64_t start_ns = loadsim::MonotonicNowNs() + start_in_ms * 1000000;
  const int64_t end_ns = start_ns + static_cast<int64_t>(runtime_s * 1e9);
  int64_t next_line = start_ns + 5000000000LL;
  int64_t last_line = start_ns;
  bool aborted = false;
  std::string abort_reason;
  while (loadsim::MonotonicNowNs() < end_ns) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (g_signal.load() != 0) {
      std::printf("signal %d: stopping the run early\n", g_signal.load());
      break;
    }
    int lost = coordinator.CheckLiveness(3.0);
    if (lost > 0 && loss_policy == "fail") {
      aborted = true;
      abort_reason = "a worker was lost (--on_worker_loss=fail)";
      break;
    }
    int64_t now = loadsim::MonotonicNowNs();
    if (now >= next_line) {
      PrintLiveLine((now - start_ns) / 1e9, coordinator.TakeInterval(), (now - last_line) / 1e9,
                    coordinator.Workers());
      last_line = now;
      next_line += 5000000000LL;
    }
  }
  double ran_s = std::max(0.0, (std::min(loadsim::MonotonicNowNs(), end_ns) - start_ns) / 1e9);
  // The server's statistics are read before the load stops, off this thread, with a deadline.
  std::optional<absl::StatusOr<loadsim::ServerStats>> server_stats;
  if (loaded.spec.server_stats().enabled()) {
    const loadsim::v1::ServerStatsSpec& ss = loaded.spec.server_stats();
    auto pending = std::async(std::launch::async, [&ss] {
      return loadsim::ReadServerStats(ss.host(), ss.port(), 5.0);
    });
    server_stats = pending.get();
  }
  const int64_t stop_sent_ns = loadsim::MonotonicNowNs();
  if (aborted) {
    std::printf("aborting: %s\n", abort_reason.c_str());
    coordinator.AbortAll(abort_reason);
    coordinator.WaitForEnd(5);
  } else {
    coordinator.StopAll(grace_s);
    if (!coordinator.WaitForEnd(grace_s + 10)) {
      std::printf("some workers did not finish in time\n");
      aborted = true;
    }
  }
  std::vector<loadsim::WorkerStatus> workers = coordinator.Workers();
  loadsim::Verdict verdict = loadsim::Judge(loaded.spec, coordinator.Totals(), workers);
  std::printf("\n%s", loadsim::FormatReport(loaded.spec, coordinator.Totals(), workers, ran_s,
                                             verdict, server_stats ? &*server_stats : nullptr)
                          .c_str());
  std::printf("(report printed %.3f s after the stop was sent)\n",
              (loadsim::MonotonicNowNs() - stop_sent_ns) / 1e9);
  std::fflush(stdout);
  if (aborted) return finish(kExitAborted);
  if (coordinator.LostCount() > 0) return finish(kExitAborted);
  return finish(verdict.pass() ? kExitOk : kExitFail);
}

// Prints the resolved run specification of a configuration that loaded.
int Check(const loadsim::LoadedConfig* loaded) {
  std::printf("# loadsim run specification (every effective value; passwords hidden)\n");
  std::printf("%s", loadsim::DumpMessage(loaded->spec).c_str());
  const auto& accounts = loaded->accounts;
  std::printf("accounts_loaded: %zu", accounts.size());
  if (!accounts.empty()) {
    std::printf(" (user 0 = %s <%s>, user %zu = %s <%s>)", accounts.front().uid().c_str(),
                accounts.front().email().c_str(), accounts.size() - 1,
                accounts.back().uid().c_str(), accounts.back().email().c_str());
  }
  std::printf("\n# configuration OK: %zu warning(s)\n", loaded->warnings.size());
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "loadsim-master --config config.plist [--clients clients.plist] [--workload W.pg]\n"
      "  [--check]  (or --workload W.pg alone)\n"
      "  [--runtime 60s] [--local_workers N | --expect_workers N --listen ADDR]");
  // Accept --flag-name as well as absl's --flag_name.
  std::vector<std::string> normalized = loadsim::NormalizeFlagNames(argc, argv);
  std::vector<char*> args;
  for (std::string& arg : normalized) args.push_back(arg.data());
  std::vector<char*> rest = absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
  if (rest.size() > 1) {
    std::fprintf(stderr, "loadsim-master: unexpected argument '%s'\n", rest[1]);
    return kExitUsage;
  }
  loadsim::ConfigFiles files;
  files.config_path = absl::GetFlag(FLAGS_config);
  files.clients_path = absl::GetFlag(FLAGS_clients);
  files.seed = absl::GetFlag(FLAGS_seed);
  if (files.seed == 0) files.seed = std::random_device{}() | (uint64_t{std::random_device{}()} << 32);
  const std::string workload = absl::GetFlag(FLAGS_workload);
  if (files.config_path.empty() && workload.empty()) {
    std::fprintf(stderr, "loadsim-master: --config or --workload is required\n");
    return kExitUsage;
  }
  absl::StatusOr<loadsim::LoadedConfig> loaded = loadsim::LoadWorkload(files, workload);
  if (!loaded.ok()) {
    std::fprintf(stderr, "loadsim-master: configuration rejected:\n%s\n",
                 std::string(loaded.status().message()).c_str());
    return kExitUsage;
  }
  for (const std::string& w : loaded->warnings) std::fprintf(stderr, "%s\n", w.c_str());
  if (absl::GetFlag(FLAGS_check)) return Check(&*loaded);
  return RunCluster(*loaded);
}
