// Coordinator: the master's side of the cluster protocol (one gRPC stream per worker).
//
// Workers dial in and say Hello; the coordinator checks the protocol version and the shared
// token, admits exactly the expected number (late or surplus workers are rejected with a
// reason), hands each worker its Assignment (users n with n mod W == k, only those users'
// passwords, a password-free directory of all accounts), waits until all are Ready, starts them
// together with one offset, merges their interval deltas as they arrive, notices lost workers
// (stream broken or no heartbeat for 3 s), and sends Stop or Abort. Thread-safety: gRPC calls
// Connect on its own threads; the control methods are called by the master's main thread; all
// shared state is guarded by mu_.
#ifndef LOADSIM_MASTER_COORDINATOR_H_
#define LOADSIM_MASTER_COORDINATOR_H_

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/config.h"
#include "loadsim/v1/cluster.grpc.pb.h"
#include "loadsim/v1/results.pb.h"
#include "worker/recorder.h"

namespace loadsim {

struct WorkerStatus {
  int index = -1;
  std::string host;
  int pid = 0;
  uint64_t users = 0;
  bool ready = false;
  bool finished = false;
  bool lost = false;
  double lost_after_s = 0;  // seconds after the start when it was lost
  std::string error;        // a worker-side error, if it reported one
  double cpu_seconds = 0;
  double cpu_user_seconds = 0;
  double cpu_system_seconds = 0;
  int64_t rss_bytes = 0;
  uint64_t requests = 0;  // everything it reported, all labels but scheduling lines
  uint64_t failures = 0;
  uint64_t users_alive = 0;
  uint64_t users_active = 0;  // users that were live at some point (from Finished)
  double lag_p99_ms = 0;      // the last heartbeat's
  int phase_index = 0;        // the phase the master last moved it into
  std::vector<std::string> client_failures;
};

// Transactions counted in one phase (all non-scheduling labels).
struct PhaseCount {
  uint64_t xactions = 0;  // successful
  uint64_t errors = 0;    // failed
};

// Statistics of one stats cycle (--stats_cycle) of one phase, merged over workers.
struct IntervalAgg {
  int64_t cycle = 0;
  int phase = 0;
  uint64_t users_alive = 0;  // summed over the workers' latest report in the cycle
  LabelMap labels;
};

class Coordinator final : public v1::Coordinator::Service {
 public:
  struct Options {
    int expected_workers = 1;
    std::string token;
    int threads_per_worker = 0;
    double stats_cycle_s = 5;  // interval rows are this long
  };
  Coordinator(const LoadedConfig& config, Options options);

  grpc::Status Connect(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::MasterMessage, v1::WorkerMessage>* stream) override;

  // Waits until every expected worker has joined and reported Ready. DeadlineExceeded
  // naming how many joined if `timeout_s` passes.
  absl::Status WaitForReadyWorkers(double timeout_s);
  // Starts every worker `start_in_ms` from now for `runtime_s`.
  void StartAll(int64_t start_in_ms, double runtime_s);
  void StopAll(double drain_grace_s);
  void AbortAll(const std::string& reason);
  // True when every worker finished or was lost, within `timeout_s`.
  bool WaitForEnd(double timeout_s);

  // Sends a phase change to one worker (index) or to all (-1).
  void SendPhaseChange(int worker, const v1::PhaseChange& change);

  // Statistics merged since the previous call (for live lines), and all of the run.
  LabelMap TakeInterval();
  LabelMap Totals();
  std::map<int, LabelMap> PhaseTotals();
  // Transactions per phase: merged over workers (worker = -1) or of one worker.
  PhaseCount CountsOf(int phase, int worker = -1);
  std::vector<IntervalAgg> Intervals();
  std::vector<v1::FailureSample> FailureSamples();
  std::vector<WorkerStatus> Workers();
  int LostCount();
  // Marks workers silent for more than `silence_s` as lost; returns how many are lost now.
  int CheckLiveness(double silence_s);

 private:
  struct Worker;
  enum class Phase { kGathering, kAssigned, kStarted, kStopping, kAborted };

  void MarkLost(Worker* w, const std::string& why);
  bool Write(Worker* w, const v1::MasterMessage& m);
  v1::Assignment AssignmentFor(int index, int count) const;

  const LoadedConfig& config_;
  Options options_;
  std::mutex mu_;
  std::condition_variable cv_;
  Phase phase_ = Phase::kGathering;                           // guarded by mu_
  std::vector<std::shared_ptr<Worker>> workers_;              // guarded by mu_
  std::string abort_reason_;                                  // guarded by mu_
  v1::Start start_;                                           // guarded by mu_
  int64_t start_ns_ = 0;                                      // guarded by mu_
  LabelMap interval_;                                         // guarded by mu_
  std::map<int, LabelMap> phase_totals_;                      // guarded by mu_
  std::map<std::pair<int64_t, int>, IntervalAgg> intervals_;  // guarded by mu_
  std::vector<v1::FailureSample> failure_samples_;            // guarded by mu_
};

}  // namespace loadsim

#endif  // LOADSIM_MASTER_COORDINATOR_H_
