// PhaseController: runs the Polygraph phase schedule for the whole cluster (polygraph.md 2.2,
// 2.3, 4.2 D/E/I). The master calls Tick() every ~100 ms with the elapsed time and the merged
// transaction counts; the controller decides when a phase's goal is reached (duration since
// the phase began, successful transactions, or errors), and returns the PhaseChange messages to
// send: one when a phase begins (a duration ramp is a slope the workers follow on their own),
// and every second during an xactions ramp (the factor at the current count, with the slope
// the measured transaction rate implies). A synchronized phase ends for everyone on the merged
// counts; a phase with synchronize = false ends per worker on that worker's own share of the
// goal (goal x its users / all users). An errors goal ends the run. Without phases the
// schedule is one phase "run" that lasts the run time. Not thread-safe (the main loop's).
#ifndef LOADSIM_MASTER_PHASE_CONTROLLER_H_
#define LOADSIM_MASTER_PHASE_CONTROLLER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "loadsim/v1/cluster.pb.h"
#include "loadsim/v1/run_spec.pb.h"
#include "master/coordinator.h"

namespace loadsim {

class PhaseController {
 public:
  struct Send {
    int worker = -1;  // -1: every worker
    v1::PhaseChange change;
  };
  // When a phase began and ended for the run (the first worker in, the last worker out).
  struct Record {
    double start_s = -1;
    double end_s = -1;
    std::string ended_by;  // "duration", "xactions", "errors", "stopped"
  };
  // Counts of `phase` merged over all workers (worker -1) or of one worker.
  using Counts = std::function<PhaseCount(int phase, int worker)>;

  // `phases` resolved (empty: one phase "run" of `runtime_s`); `users_per_worker` sizes
  // the workers' shares of unsynchronized goals; `lead_s` is how long before the start the
  // first changes are delivered (the ramp is shifted so that it begins at the start).
  PhaseController(std::vector<v1::PhaseSpec> phases, double runtime_s,
                  std::vector<uint64_t> users_per_worker, bool explicit_phases);

  // The changes to send before the start (the first phase).
  std::vector<Send> Begin(double lead_s);
  // Decides at `now_s` seconds after the start.
  std::vector<Send> Tick(double now_s, const Counts& counts);

  // Every phase met its goal (the run is complete), or an errors goal ended it.
  bool done() const { return done_; }
  bool errors_goal_reached() const { return !errors_message_.empty(); }
  const std::string& errors_message() const { return errors_message_; }
  // Lines to print since the last call ("phase 'ramp' reached its goal: duration 60 s").
  std::vector<std::string> TakeNotices();
  // Phases that ended since the last call (for p- lines).
  std::vector<int> TakeEndedPhases();
  // Ends the current phases at `now_s` with reason "stopped" (run stopped early).
  void StopAt(double now_s, const std::string& why);

  const std::vector<v1::PhaseSpec>& phases() const { return phases_; }
  const std::vector<Record>& records() const { return records_; }
  // The phase worker `w` is in (phases().size() when it has finished the schedule).
  int PositionOf(int w) const { return workers_[w].position; }
  bool explicit_phases() const { return explicit_phases_; }

 private:
  struct WorkerState {
    int position = 0;
    double entered_s = 0;
    double last_ramp_send_s = -1;
    uint64_t last_ramp_count = 0;
  };
  // The factors of `phase` at `progress` (0..1 through its goal), moving by `progress_per_s`.
  v1::PhaseChange ChangeFor(int phase, double progress, double progress_per_s) const;
  void Enter(int w, int phase, double now_s);
  void Leave(int phase, double now_s, const std::string& why);
  std::string GoalReached(int phase, double elapsed_s, const PhaseCount& c, double share) const;
  bool ErrorsReached(int phase, const PhaseCount& c, double share) const;

  std::vector<v1::PhaseSpec> phases_;
  std::vector<uint64_t> users_per_worker_;
  uint64_t total_users_ = 0;
  bool explicit_phases_ = false;
  std::vector<WorkerState> workers_;
  std::vector<Record> records_;
  std::vector<std::string> notices_;
  std::vector<int> ended_;
  std::string errors_message_;
  bool done_ = false;
};

}  // namespace loadsim

#endif  // LOADSIM_MASTER_PHASE_CONTROLLER_H_
