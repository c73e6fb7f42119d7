#include "worker/standalone.h"

#include <sys/resource.h>

#include <memory>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "worker/event_loop.h"
#include "worker/http_engine.h"
#include "worker/robot.h"

namespace loadsim {
namespace {

double ProcessCpuSeconds() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

// Index into the weighted cycle of client types for client j of user n (calendarserver-sim.md
// 2.3): element (n * clientsPerUser + j) mod sum(weights) of the expanded sequence.
int ClientTypeFor(const v1::RunSpec& spec, uint64_t user, int j) {
  int64_t total = 0;
  for (const v1::ClientSpec& c : spec.clients()) total += c.weight();
  int64_t slot = static_cast<int64_t>((user * spec.arrival().clients_per_user() + j) % total);
  for (int i = 0; i < spec.clients_size(); ++i) {
    slot -= spec.clients(i).weight();
    if (slot < 0) return i;
  }
  return spec.clients_size() - 1;
}

class LoopThread {
 public:
  absl::Status Init(const v1::RunSpec& spec) {
    absl::StatusOr<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
    if (!loop.ok()) return loop.status();
    loop_ = *std::move(loop);
    absl::StatusOr<std::unique_ptr<HttpEngine>> engine = HttpEngine::Create(loop_.get());
    if (!engine.ok()) return engine.status();
    engine_ = *std::move(engine);
    v1::ThresholdTable table;
    for (const v1::ObserverSpec& o : spec.observers()) {
      if (o.has_report_statistics()) table = o.report_statistics().thresholds().requests();
    }
    recorder_ = std::make_unique<Recorder>(table);
    return absl::OkStatus();
  }

  absl::Status AddRobots(const v1::RobotParams& params, uint64_t seed, uint64_t user,
                         const v1::Account* account, int64_t start_offset_ns) {
    for (int r = 0; r < params.robots(); ++r) {
      RandomStream limits_rng(DeriveSeed(seed, user, absl::StrCat("robot-limits#", r)));
      absl::StatusOr<std::unique_ptr<Robot>> robot = Robot::Create(
          params, loop_.get(), MakeTransport(params, limits_rng), recorder_.get(), seed, user, r,
          account);
      if (!robot.ok()) return robot.status();
      starts_.push_back({start_offset_ns, robot->get()});
      robots_.push_back(*std::move(robot));
    }
    return absl::OkStatus();
  }

  void Run(int64_t start_ns, int64_t stop_ns, int64_t drain_until_ns) {
    for (const auto& [offset, robot] : starts_) {
      Robot* r = robot;
      loop_->AddTimer(start_ns + offset, [r, stop_ns] { r->Start(stop_ns); });
    }
    loop_->Run(stop_ns);
    for (auto& robot : robots_) robot->Stop();
    // Drain: in-flight requests finish (or time out) and are counted.
    while (engine_->in_flight() > 0 && loop_->UpdateNow() < drain_until_ns) {
      loop_->Run(std::min(drain_until_ns, loop_->now_ns() + 10000000));
    }
  }

  Recorder& recorder() { return *recorder_; }

 private:
  std::unique_ptr<HttpTransport> MakeTransport(const v1::RobotParams& params, RandomStream& rng) {
    return std::make_unique<ConnectionPool>(engine_.get(), Robot::LimitsFor(params, rng));
  }

  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<HttpEngine> engine_;
  std::unique_ptr<Recorder> recorder_;
  std::vector<std::pair<int64_t, Robot*>> starts_;
  std::vector<std::unique_ptr<Robot>> robots_;  // destroyed before engine_ (declared after)
};

}  // namespace

absl::StatusOr<StandaloneResult> RunStandalone(const LoadedConfig& config,
                                               const StandaloneOptions& options) {
  const v1::RunSpec& spec = config.spec;
  if (options.threads < 1) return absl::InvalidArgumentError("--threads must be >= 1");
  std::vector<std::unique_ptr<LoopThread>> threads;
  for (int t = 0; t < options.threads; ++t) {
    threads.push_back(std::make_unique<LoopThread>());
    absl::Status s = threads.back()->Init(spec);
    if (!s.ok()) return s;
  }
  const v1::ArrivalSpec& arrival = spec.arrival();
  StandaloneResult result;
  uint64_t user = 0;
  for (int g = 0; g < arrival.groups(); ++g) {
    int64_t offset = static_cast<int64_t>(g * arrival.interval_seconds() * 1e9);
    for (int k = 0; k < arrival.group_size(); ++k, ++user) {
      for (int j = 0; j < arrival.clients_per_user(); ++j) {
        const v1::ClientSpec& client = spec.clients(ClientTypeFor(spec, user, j));
        if (!client.has_robot()) {
          return absl::UnimplementedError(
              absl::StrCat("client software ", client.software(),
                           " cannot run yet: only Robot clients are implemented"));
        }
        const v1::Account* account =
            user < config.accounts.size() ? &config.accounts[user] : nullptr;
        absl::Status s = threads[user % threads.size()]->AddRobots(client.robot(), spec.seed(),
                                                                  user, account, offset);
        if (!s.ok()) return s;
      }
    }
  }
  result.users = user;
  double cpu_before = ProcessCpuSeconds();
  int64_t start = MonotonicNowNs() + 50000000;  // all threads start together, 50 ms from now
  int64_t stop = start + static_cast<int64_t>(options.runtime_s * 1e9);
  int64_t drain = stop + static_cast<int64_t>(options.drain_grace_s * 1e9);
  std::vector<std::thread> running;
  for (auto& t : threads) {
    LoopThread* lt = t.get();
    running.emplace_back([lt, start, stop, drain] { lt->Run(start, stop, drain); });
  }
  for (std::thread& th : running) th.join();
  result.runtime_s = options.runtime_s;
  result.elapsed_s = (MonotonicNowNs() - start) / 1e9;
  result.cpu_s = ProcessCpuSeconds() - cpu_before;
  for (auto& t : threads) MergeInto(result.labels, t->recorder().TakeDelta());
  return result;
}

std::string FormatStandaloneReport(const StandaloneResult& result) {
  std::string out = absl::StrFormat("%-22s %10s %8s %10s %9s %9s %9s %9s %9s\n", "label", "count",
                                    "failed", "rate/s", "mean ms", "p50 ms", "p90 ms", "p99 ms",
                                    "max ms");
  for (const auto& [label, s] : result.labels) {
    out += absl::StrFormat("%-22s %10d %8d %10.1f %9.3f %9.3f %9.3f %9.3f %9.3f\n", label,
                           s.count(), s.failures(), s.count() / std::max(result.runtime_s, 1e-9),
                           s.MeanUs() / 1000, s.ValueAtQuantileUs(0.5) / 1000.0,
                           s.ValueAtQuantileUs(0.9) / 1000.0, s.ValueAtQuantileUs(0.99) / 1000.0,
                           s.max_us() / 1000.0);
  }
  for (const auto& [label, s] : result.labels) {
    for (const auto& [reason, n] : s.failure_reasons()) {
      out += absl::StrFormat("failures %-22s %-16s %d\n", label, reason, n);
    }
  }
  out += absl::StrFormat("users %d, runtime %.3f s, elapsed with drain %.3f s, cpu %.3f s\n",
                         result.users, result.runtime_s, result.elapsed_s, result.cpu_s);
  return out;
}

}  // namespace loadsim
