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
#include "worker/profiles.h"
#include "worker/robot.h"
#include "worker/runtime.h"

namespace loadsim {
absl::StatusOr<StandaloneResult> RunStandalone(const LoadedConfig& config,
                                               const StandaloneOptions& options) {
  const v1::RunSpec& spec = config.spec;
  absl::StatusOr<std::unique_ptr<WorkerRuntime>> runtime =
      WorkerRuntime::Create(spec, UsersOfWorker(spec, config.accounts, 0, 1), options.threads,
                            1000000000, DirectoryOf(config.accounts));
  if (!runtime.ok()) return runtime.status();
  StandaloneResult result;
  result.users = (*runtime)->users();
  double cpu_before = ProcessCpuSeconds();
  int64_t start = MonotonicNowNs() + 50000000;  // all threads start together, 50 ms from now
  int64_t stop = start + static_cast<int64_t>(options.runtime_s * 1e9);
  int64_t drain = stop + static_cast<int64_t>(options.drain_grace_s * 1e9);
  (*runtime)->Run(start, stop, drain);
  result.runtime_s = options.runtime_s;
  result.elapsed_s = (MonotonicNowNs() - start) / 1e9;
  result.cpu_s = ProcessCpuSeconds() - cpu_before;
  result.labels = (*runtime)->TakeDelta();
  return result;
}

std::string FormatStandaloneReport(const StandaloneResult& result) {
  std::string out =
      absl::StrFormat("%-22s %10s %8s %10s %9s %9s %9s %9s %9s\n", "label", "count", "failed",
                      "rate/s", "mean ms", "p50 ms", "p90 ms", "p99 ms", "max ms");
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
