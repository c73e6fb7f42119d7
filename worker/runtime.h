// WorkerRuntime: runs a worker's users on N event-loop threads, in standalone mode and under
// a master alike.
//
// User n runs on thread n mod N with all of its clients; each client type comes from the
// original's weighted cycle, and its start offset from the arrival policy (group n/groupSize
// starts at group x interval). Every thread cuts its statistics into a delta once per interval
// and hands it over under a mutex; TakeDelta() collects what the threads handed over, keyed by
// phase. ApplyPhase() moves every thread into a phase: each cuts its statistics first (so a
// delta belongs to one phase), then applies the phase's load curve to robots and profiles and
// its populus curve to users (user n is live while n < round(pf * total users); live users
// that arrived run, the others are stopped; without phases everyone is live). Run()
// blocks on the calling thread while the loop threads work. Thread-safety: Run() once, from one
// thread; RequestStop(), Abort(), TakeDelta() and the counters from any thread.
#ifndef LOADSIM_WORKER_RUNTIME_H_
#define LOADSIM_WORKER_RUNTIME_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/status/statusor.h"
#include "loadsim/v1/cluster.pb.h"
#include "loadsim/v1/run_spec.pb.h"
#include "worker/factor_curve.h"
#include "worker/recorder.h"

namespace loadsim {

class LoopThread;

// Process CPU (user + system) seconds so far.
double ProcessCpuSeconds();
struct CpuTimes {
  double user = 0;
  double system = 0;
  double total() const { return user + system; }
};
CpuTimes ProcessCpuTimes();

// The index of the client type of client j of user n: element (n * clientsPerUser + j) mod
// sum(weights) of the weight-expanded type list (calendarserver-sim.md 2.3).
int ClientTypeFor(const v1::RunSpec& spec, uint64_t user, int j);

// The users worker k of W owns: every n < groups x groupSize with n mod W == k.
std::vector<v1::AssignedUser> UsersOfWorker(const v1::RunSpec& spec,
                                            const std::vector<v1::Account>& accounts, int k, int w);

class WorkerRuntime {
 public:
  static absl::StatusOr<std::unique_ptr<WorkerRuntime>> Create(
      const v1::RunSpec& spec, std::vector<v1::AssignedUser> users, int threads,
      int64_t interval_ns = 1000000000, std::vector<v1::DirectoryEntry> directory = {});
  ~WorkerRuntime();

  // Users start at start_ns + their arrival offset; no request is started at or after
  // stop_ns; in-flight requests may finish until drain_until_ns. Blocks until done.
  void Run(int64_t start_ns, int64_t stop_ns, int64_t drain_until_ns);
  // Stop generating now; in-flight requests still drain until `drain_until_ns` (0: keep the
  // deadline given to Run).
  void RequestStop(int64_t drain_until_ns = 0);
  // Stop now without draining.
  void Abort();

  // Enters the phase (or updates its factors); thread-safe, applied by each thread at once.
  void ApplyPhase(const v1::PhaseChange& change);

  // Statistics handed over by the threads since the previous call, per phase index.
  std::map<int, LabelMap> TakeDeltas();
  // Failure samples the threads kept since the previous call (at_seconds: monotonic time).
  std::vector<v1::FailureSample> TakeFailureSamples();
  // All phases merged (standalone use).
  LabelMap TakeDelta();
  uint64_t users() const { return users_; }
  // Users live now, and users that were live at some point of the run.
  uint64_t users_alive() const { return users_alive_.load(); }
  uint64_t users_started() const { return users_started_.load(); }
  uint64_t in_flight() const { return in_flight_.load(); }

 private:
  WorkerRuntime() = default;
  void HandOver(int phase, LabelMap delta);
  void HandOverSamples(std::vector<v1::FailureSample> samples);

  std::vector<std::unique_ptr<LoopThread>> threads_;
  std::vector<v1::AssignedUser> assigned_;
  std::vector<v1::DirectoryEntry> directory_;  // every account, no passwords (invitees)
  uint64_t users_ = 0;
  int64_t interval_ns_ = 1000000000;
  std::atomic<uint64_t> in_flight_{0};
  std::atomic<uint64_t> users_alive_{0};
  std::atomic<uint64_t> users_started_{0};
  std::atomic<bool> abort_{false};
  std::atomic<int64_t> drain_until_ns_{0};
  std::mutex mu_;
  std::map<int, LabelMap> pending_;         // guarded by mu_
  std::vector<v1::FailureSample> samples_;  // guarded by mu_
  friend class LoopThread;
};

}  // namespace loadsim

#endif  // LOADSIM_WORKER_RUNTIME_H_
