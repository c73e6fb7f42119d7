// loadsim-master: reads the configuration once and validates it; with --check prints the
// resolved run specification; otherwise runs it on a cluster of workers (local processes it
// spawns, or remote ones that dial in), prints live lines and the combined report.
// Exit status: 0 PASS/valid, 1 FAIL, 2 usage or configuration error, 3 run aborted or
// incomplete.
#include <linux/limits.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <map>
#include <mutex>
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
#include "common/file_util.h"
#include "common/flags_util.h"
#include "common/rules.h"
#include "common/units.h"
#include "common/workload.h"
#include "grpcpp/grpcpp.h"
#include "master/coordinator.h"
#include "master/live_view.h"
#include "master/phase_controller.h"
#include "master/report.h"
#include "master/results_builder.h"
#include "master/results_files.h"
#include "master/server_stats.h"
#include "master/spec_dump.h"
#include "master/verdict.h"
#include "master/web_admin.h"
#include "worker/event_loop.h"
#include "worker/provision.h"

ABSL_FLAG(std::string, config, "", "config.plist (CalendarServer format)");
ABSL_FLAG(std::string, clients, "",
          "clients.plist; when empty the clients array of --config is used");
ABSL_FLAG(std::string, workload, "",
          "PGL workload (robots and phases); alone, or adding to --config (common/workload.h)");
ABSL_FLAG(bool, check, false, "validate the configuration, print the resolved run spec, exit");
ABSL_FLAG(uint64_t, seed, 0, "run seed; 0 picks a random one (always printed)");
ABSL_FLAG(std::string, runtime, "",
          "how long to run (seconds or a PGL time: 90s, 10min); default 60s, or with phases "
          "until every phase met its goal (then --runtime is a cap)");
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
ABSL_FLAG(std::string, stats_cycle, "5s", "interval of the live i-lines and of intervals.csv rows");
ABSL_FLAG(std::string, output, "", "write results.json, intervals.csv and report.html here");
ABSL_FLAG(std::string, webadmin_bind, "127.0.0.1",
          "address the web admin binds to (when the config enables webadmin)");
ABSL_FLAG(bool, provision, false,
          "before the run, give every simulated account an event and a task calendar "
          "(MKCALENDAR when missing) on the server; exit 3 if any could not be made");
ABSL_FLAG(std::string, junit, "", "write a JUnit XML file (one case per label and rule)");

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFail = 1;
constexpr int kExitUsage = 2;
constexpr int kExitAborted = 3;

std::atomic<int> g_signal{0};
std::atomic<bool> g_web_stop{false};  // the web admin's Stop button
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
  for (const std::string& candidate :
       {dir + "/loadsim-worker", dir + "/../worker/loadsim-worker"}) {
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

// Sums every phase whose statistics are logged (PGL log_stats) into the run's totals.
loadsim::LabelMap LoggedTotals(const std::map<int, loadsim::LabelMap>& phase_totals,
                               const loadsim::PhaseController& pc) {
  loadsim::LabelMap out;
  for (const auto& [phase, labels] : phase_totals) {
    if (phase < static_cast<int>(pc.phases().size()) && !pc.phases()[phase].log_stats()) continue;
    loadsim::MergeInto(out, labels);
  }
  return out;
}

void PrintPhaseTable(const loadsim::PhaseController& pc) {
  std::printf("%-16s %8s %8s %8s %8s  %s\n", "phase", "pop_beg", "pop_end", "load_beg", "load_end",
              "goal / flags");
  for (const loadsim::v1::PhaseSpec& p : pc.phases()) {
    std::string goal;
    if (p.goal().duration_seconds() > 0)
      goal += absl::StrFormat("%gs ", p.goal().duration_seconds());
    if (p.goal().xactions() > 0) goal += absl::StrFormat("%d xactions ", p.goal().xactions());
    if (p.goal().errors() > 0) goal += absl::StrFormat("errors %g ", p.goal().errors());
    if (!p.log_stats()) goal += "!log ";
    if (!p.synchronize()) goal += "!sync";
    std::printf("%-16s %7.0f%% %7.0f%% %7.0f%% %7.0f%%  %s\n", p.name().c_str(),
                p.populus_factor_beg() * 100, p.populus_factor_end() * 100,
                p.load_factor_beg() * 100, p.load_factor_end() * 100, goal.c_str());
  }
}

int RunCluster(const loadsim::LoadedConfig& loaded) {
  bool ok = true;
  const bool has_phases = loaded.spec.phases_size() > 0;
  const std::string runtime_flag = absl::GetFlag(FLAGS_runtime);
  // Without phases the run lasts --runtime (60 s by default); with phases it lasts until every
  // phase met its goal, and --runtime (if given) is a cap.
  double runtime_s =
      runtime_flag.empty() ? (has_phases ? 0 : 60) : ParseSecondsFlag("runtime", runtime_flag, &ok);
  double wait_s = ParseSecondsFlag("wait_timeout", absl::GetFlag(FLAGS_wait_timeout), &ok);
  double grace_s = ParseSecondsFlag("drain_grace", absl::GetFlag(FLAGS_drain_grace), &ok);
  double cycle_s = ParseSecondsFlag("stats_cycle", absl::GetFlag(FLAGS_stats_cycle), &ok);
  std::string loss_policy = absl::GetFlag(FLAGS_on_worker_loss);
  if (loss_policy != "fail" && loss_policy != "continue") {
    std::fprintf(stderr, "loadsim-master: --on_worker_loss must be fail or continue\n");
    ok = false;
  }
  if (!ok) return kExitUsage;
  if (runtime_s <= 0 && !has_phases) {
    std::fprintf(stderr, "loadsim-master: --runtime must be > 0\n");
    return kExitUsage;
  }
  if (cycle_s < 0.5) {
    std::fprintf(stderr, "loadsim-master: --stats_cycle must be >= 0.5s\n");
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
        std::printf(
            "note: the config's workers list names %d commands; running %d local "
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
  if (token.empty() && std::getenv("LOADSIM_TOKEN") != nullptr)
    token = std::getenv("LOADSIM_TOKEN");
  bool token_generated = token.empty();
  if (token_generated) token = RandomToken();

  loadsim::Coordinator::Options copts;
  copts.expected_workers = expect;
  copts.token = token;
  copts.threads_per_worker = absl::GetFlag(FLAGS_threads_per_worker);
  copts.stats_cycle_s = cycle_s;
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
  // Everything the child needs is built before fork(): between fork and exec a child of a
  // threaded process may only call async-signal-safe functions (no allocation, no flag
  // reads: another thread may hold their locks at the moment of the fork).
  std::vector<std::string> worker_argv = {"loadsim-worker", "--master", address};
  if (!absl::GetFlag(FLAGS_tls_cert).empty()) {
    // Local workers trust the master's own certificate (self-signed or signed by --tls_ca).
    worker_argv.push_back("--tls_ca");
    worker_argv.push_back(absl::GetFlag(FLAGS_tls_ca).empty() ? absl::GetFlag(FLAGS_tls_cert)
                                                              : absl::GetFlag(FLAGS_tls_ca));
  }
  std::vector<char*> cargv;
  for (std::string& a : worker_argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::vector<std::string> worker_env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "LOADSIM_TOKEN=", 14) != 0) worker_env.push_back(*e);
  }
  worker_env.push_back("LOADSIM_TOKEN=" + token);
  std::vector<char*> cenv;
  for (std::string& e : worker_env) cenv.push_back(e.data());
  cenv.push_back(nullptr);
  const std::string exec_failed = "loadsim-master: cannot start " + worker_bin + "\n";
  for (int i = 0; i < local; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      execve(worker_bin.c_str(), cargv.data(), cenv.data());
      ssize_t ignored = write(2, exec_failed.data(), exec_failed.size());
      (void)ignored;
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

  std::vector<uint64_t> users_per_worker;
  for (const loadsim::WorkerStatus& w : coordinator.Workers()) users_per_worker.push_back(w.users);
  std::vector<loadsim::v1::PhaseSpec> phases(loaded.spec.phases().begin(),
                                             loaded.spec.phases().end());
  loadsim::PhaseController pc(phases, runtime_s, users_per_worker, has_phases);
  if (has_phases) PrintPhaseTable(pc);
  const loadsim::v1::ReportStatisticsParams* report_params = loadsim::ReportParams(loaded.spec);
  loadsim::AbortWatch abort_watch(
      report_params != nullptr ? report_params->thresholds().rules()
                               : google::protobuf::RepeatedPtrField<loadsim::v1::RuleSpec>(),
      [](absl::string_view label) { return !loadsim::IsInternalLabel(label); });

  // The web admin reads a snapshot the main loop refreshes every stats cycle.
  std::mutex snapshot_mu;
  loadsim::v1::Results snapshot;  // guarded by snapshot_mu
  std::unique_ptr<loadsim::WebAdmin> web_admin;
  if (loaded.spec.webadmin().enabled()) {
    loadsim::WebAdminOptions wo;
    wo.port = loaded.spec.webadmin().http_port();
    wo.bind_address = absl::GetFlag(FLAGS_webadmin_bind);
    wo.is_transaction = [](absl::string_view l) { return !loadsim::IsInternalLabel(l); };
    absl::StatusOr<std::unique_ptr<loadsim::WebAdmin>> admin =
        loadsim::WebAdmin::Start({[&] {
                                    std::lock_guard<std::mutex> lock(snapshot_mu);
                                    return loadsim::FormatReport(snapshot);
                                  },
                                  [&] {
                                    std::lock_guard<std::mutex> lock(snapshot_mu);
                                    return snapshot;
                                  },
                                  [] { g_web_stop.store(true); }},
                                 wo);
    if (!admin.ok()) {
      std::fprintf(stderr, "loadsim-master: webadmin: %s\n",
                   std::string(admin.status().message()).c_str());
      coordinator.AbortAll("the web admin could not start");
      return finish(kExitUsage);
    }
    web_admin = *std::move(admin);
    std::printf("web admin: %s\n", web_admin->url().c_str());
  }
  const int64_t start_in_ms = 500;
  // Workers stop by themselves 60 s after this backstop if the master vanished silently.
  const double backstop_s = runtime_s > 0 ? runtime_s : 7 * 86400.0;
  coordinator.StartAll(start_in_ms, backstop_s);
  for (const loadsim::PhaseController::Send& s : pc.Begin(start_in_ms / 1000.0)) {
    coordinator.SendPhaseChange(s.worker, s.change);
  }
  const int64_t start_ns = loadsim::MonotonicNowNs() + start_in_ms * 1000000;
  const int64_t start_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count() +
                                start_in_ms;
  // What the coordinator and the phase controller know now, for the results.
  auto collect_facts = [&](double ran_s) {
    loadsim::RunFacts f;
    f.spec = &loaded.spec;
    f.start_unix_ms = start_unix_ms;
    f.planned_s = runtime_s;
    f.ran_s = ran_s;
    f.stats_cycle_s = cycle_s;
    f.workers = coordinator.Workers();
    f.phase_totals = coordinator.PhaseTotals();
    f.totals = LoggedTotals(f.phase_totals, pc);
    f.intervals = coordinator.Intervals();
    f.failure_samples = coordinator.FailureSamples();
    f.phases = &pc;
    return f;
  };
  const int64_t end_ns =
      runtime_s > 0 ? start_ns + static_cast<int64_t>(runtime_s * 1e9) : INT64_MAX;
  const int64_t cycle_ns = static_cast<int64_t>(cycle_s * 1e9);
  int64_t next_line = start_ns + cycle_ns;
  int64_t last_line = start_ns;
  uint64_t cumulative_ok = 0;
  bool aborted = false;     // incomplete: exit 3
  bool rule_abort = false;  // a rule breached for its abort_after: FAIL
  std::string end_reason = has_phases ? "" : "runtime expired";
  auto current_phase_name = [&] {
    int pos = pc.PositionOf(0);
    for (size_t w = 1; w < users_per_worker.size(); ++w) pos = std::min(pos, pc.PositionOf(w));
    return pos < static_cast<int>(pc.phases().size()) ? pc.phases()[pos].name()
                                                      : std::string("done");
  };
  auto print_phase_ends = [&](double now_s) {
    std::map<int, loadsim::LabelMap> phase_totals = coordinator.PhaseTotals();
    for (int phase : pc.TakeEndedPhases()) {
      const loadsim::PhaseController::Record& rec = pc.records()[phase];
      uint64_t users = 0;
      for (const loadsim::WorkerStatus& w : coordinator.Workers()) users += w.users_alive;
      uint64_t all_ok = loadsim::CountTransactions(coordinator.Totals()).ok;
      std::printf("%s\n", loadsim::PhaseLine(now_s, pc.phases()[phase].name(), all_ok,
                                             phase_totals[phase], rec.end_s - rec.start_s, users)
                              .c_str());
    }
  };
  while (true) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    int64_t now = loadsim::MonotonicNowNs();
    double now_s = (now - start_ns) / 1e9;
    if (g_signal.load() != 0) {
      std::printf("signal %d: stopping the run early\n", g_signal.load());
      end_reason = absl::StrCat("stopped by signal ", g_signal.load());
      aborted = true;
      break;
    }
    if (g_web_stop.load()) {
      std::printf("stopped from the web admin\n");
      end_reason = "stopped from the web admin";
      break;
    }
    if (now >= end_ns) {
      if (has_phases && !pc.done()) end_reason = "--runtime expired before the phases ended";
      break;
    }
    int lost = coordinator.CheckLiveness(3.0);
    if (lost > 0 && loss_policy == "fail") {
      aborted = true;
      end_reason = "a worker was lost (--on_worker_loss=fail)";
      break;
    }
    if (now_s >= 0) {
      for (const loadsim::PhaseController::Send& s : pc.Tick(
               now_s, [&](int phase, int worker) { return coordinator.CountsOf(phase, worker); })) {
        coordinator.SendPhaseChange(s.worker, s.change);
      }
      for (const std::string& n : pc.TakeNotices()) std::printf("%s\n", n.c_str());
      print_phase_ends(now_s);
      std::fflush(stdout);
      if (pc.done()) {
        if (pc.errors_goal_reached()) {
          aborted = true;
          end_reason = pc.errors_message();
        } else if (has_phases) {
          end_reason = absl::StrFormat("all %d phases met their goals", pc.phases().size());
        }
        break;
      }
    }
    if (now >= next_line) {
      loadsim::LabelMap interval = coordinator.TakeInterval();
      cumulative_ok += loadsim::CountTransactions(interval).ok;
      std::vector<loadsim::WorkerStatus> workers = coordinator.Workers();
      uint64_t users = 0;
      int alive = 0;
      for (const loadsim::WorkerStatus& w : workers) {
        users += w.lost ? 0 : w.users_alive;
        alive += !w.lost;
      }
      std::printf("%s\n", loadsim::IntervalLine(now_s, current_phase_name(), cumulative_ok,
                                                interval, (now - last_line) / 1e9, users, alive,
                                                static_cast<int>(workers.size()))
                              .c_str());
      std::fflush(stdout);
      last_line = now;
      next_line += cycle_ns;
      if (web_admin != nullptr) {
        loadsim::v1::Results now_results = loadsim::BuildResults(collect_facts(now_s));
        std::lock_guard<std::mutex> lock(snapshot_mu);
        snapshot = std::move(now_results);
      }
      if (!abort_watch.empty()) {
        if (std::optional<std::string> why = abort_watch.Update(coordinator.Totals(), now_s)) {
          std::printf("%s\n", why->c_str());
          end_reason = *why;
          rule_abort = true;
          break;
        }
      }
    }
  }
  const double ran_s =
      std::max(0.0, (std::min(loadsim::MonotonicNowNs(), end_ns) - start_ns) / 1e9);
  if (!pc.done()) pc.StopAt(ran_s, aborted ? "aborted" : "stopped");
  print_phase_ends(ran_s);
  // The server's statistics are read before the load stops, off this thread, with a deadline.
  std::optional<absl::StatusOr<loadsim::ServerStats>> server_stats;
  if (loaded.spec.server_stats().enabled()) {
    const loadsim::v1::ServerStatsSpec& ss = loaded.spec.server_stats();
    auto pending = std::async(
        std::launch::async, [&ss] { return loadsim::ReadServerStats(ss.host(), ss.port(), 5.0); });
    server_stats = pending.get();
  }
  const int64_t stop_sent_ns = loadsim::MonotonicNowNs();
  if (aborted && g_signal.load() == 0) {
    std::printf("aborting: %s\n", end_reason.c_str());
    coordinator.AbortAll(end_reason);
    coordinator.WaitForEnd(5);
  } else {
    // A signal stops like the end of the run: in-flight requests drain and are reported.
    coordinator.StopAll(grace_s);
    if (!coordinator.WaitForEnd(grace_s + 10)) {
      std::printf("some workers did not finish in time\n");
      aborted = true;
      end_reason += "; some workers did not finish in time";
    }
  }
  loadsim::RunFacts facts = collect_facts(ran_s);
  facts.end_reason = end_reason;
  facts.incomplete = aborted;
  facts.server_stats = server_stats;
  loadsim::v1::Results results = loadsim::BuildResults(facts);
  if (rule_abort && results.run().exit_status() == kExitOk) {
    results.mutable_run()->set_exit_status(kExitFail);  // the breached rule is in the verdict
  }
  std::string report = loadsim::FormatReport(results);
  if (web_admin != nullptr) {
    std::lock_guard<std::mutex> lock(snapshot_mu);
    snapshot = results;
  }
  std::printf("%s", report.c_str());
  std::printf("(report printed %.3f s after the stop was sent)\n",
              (loadsim::MonotonicNowNs() - stop_sent_ns) / 1e9);
  int code = results.run().exit_status();
  if (!absl::GetFlag(FLAGS_output).empty()) {
    absl::Status s = loadsim::WriteOutputDir(results, absl::GetFlag(FLAGS_output), report);
    if (!s.ok()) {
      std::fprintf(stderr, "loadsim-master: --output: %s\n", std::string(s.message()).c_str());
      code = std::max(code, kExitAborted);
    } else {
      std::printf("results written to %s (results.json, intervals.csv, report.html)\n",
                  absl::GetFlag(FLAGS_output).c_str());
    }
  }
  if (!absl::GetFlag(FLAGS_junit).empty()) {
    absl::Status s = loadsim::WriteJunit(results, absl::GetFlag(FLAGS_junit));
    if (!s.ok()) {
      std::fprintf(stderr, "loadsim-master: --junit: %s\n", std::string(s.message()).c_str());
      code = std::max(code, kExitAborted);
    }
  }
  std::fflush(stdout);
  return finish(code);
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
  if (files.seed == 0)
    files.seed = std::random_device{}() | (uint64_t{std::random_device{}()} << 32);
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
  if (absl::GetFlag(FLAGS_provision)) {
    absl::StatusOr<loadsim::ProvisionResult> provisioned = loadsim::ProvisionAccounts(
        loaded->spec, loadsim::AccountsOfRun(loaded->spec, loaded->accounts));
    if (!provisioned.ok()) {
      std::fprintf(stderr, "loadsim-master: --provision: %s\n",
                   std::string(provisioned.status().message()).c_str());
      return kExitAborted;
    }
    std::printf("%s", loadsim::FormatProvisionReport(*provisioned).c_str());
    if (provisioned->failed > 0) return kExitAborted;
  }
  return RunCluster(*loaded);
}
