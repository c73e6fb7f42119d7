// Robot: Web Polygraph's generic HTTP robot, one simulated user of software "Robot".
//
// Pacing is separate from doing: a pacer computes when each request is due (Poisson
// req_rate, any req_inter_arrival distribution, or best effort = closed loop keeping
// open_conn_lmt requests outstanding), and the robot's ConnectionPool does the request. If the
// pool has no free connection the request waits in the pool's queue; that wait shows up as
// lag (due -> sent). Latency is measured from the due time, so a slow server cannot hide
// behind a saturated generator (coordinated omission). Runs on one EventLoop; not thread-safe.
#ifndef LOADSIM_WORKER_ROBOT_H_
#define LOADSIM_WORKER_ROBOT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/distribution.h"
#include "common/random.h"
#include "common/selector.h"
#include "loadsim/v1/run_spec.pb.h"
#include "worker/factor_curve.h"
#include "worker/http_auth.h"
#include "worker/http_engine.h"
#include "worker/pacer.h"
#include "worker/popularity.h"
#include "worker/recorder.h"

namespace loadsim {

class Robot {
 public:
  // `user_number` and `run_seed` derive the robot's own random stream. `transport` is the
  // robot's own connections (see MakeTransport); the robot owns it.
  // `account` (may be null) answers 401 challenges when params.authenticate is set.
  static absl::StatusOr<std::unique_ptr<Robot>> Create(const v1::RobotParams& params,
                                                       EventLoop* loop,
                                                       std::unique_ptr<HttpTransport> transport,
                                                       Recorder* recorder, uint64_t run_seed,
                                                       uint64_t user_number, int robot_index,
                                                       const v1::Account* account = nullptr);

  // The connection limits a robot's transport gets from its parameters (pconn_use_lmt is
  // drawn once per robot from `rng`).
  static ConnectionLimits LimitsFor(const v1::RobotParams& params, RandomStream& rng);
  ~Robot();

  // Starts issuing requests now; stops submitting at `stop_ns` (in-flight ones complete).
  void Start(int64_t stop_ns);
  // Stops submitting now.
  void Stop();
  // The phase's load factor (null: 100%). Open-loop gaps are rescaled by it (FactorCurve);
  // best-effort robots ignore it. `curve` must outlive the robot.
  void SetLoadCurve(const FactorCurve* curve) { load_ = curve; }
  // The load curve changed: re-plan the pending request from now (exact for Poisson).
  void Replan();
  bool idle() const { return transport_->in_flight() == 0 && transport_->queued() == 0; }

  uint64_t submitted() const { return submitted_; }

 private:
  Robot(const v1::RobotParams& params, EventLoop* loop, std::unique_ptr<HttpTransport> transport,
        Recorder* recorder, RandomStream rng, SelectorSampler origins, SelectorSampler methods);

  void ScheduleNext();
  int64_t NextDue(int64_t from_ns);
  void Issue(int64_t due_ns);
  // A request's origin (index into origins_) and object id, if the robot has objects.
  struct Target {
    size_t origin = 0;
    std::optional<uint64_t> object;
  };
  void OnDone(int64_t due_ns, const std::string& method, HttpResponse& resp,
              const AuthExchange& auth, const Target& target);
  // Session: the first due time at or after `due_ns` that falls in a busy period (an open-loop
  // stream resumes one gap after an idle period ends).
  int64_t SkipIdle(int64_t due_ns);
  // Closed loop: issue one request at `at_ns` (launch window or end of an idle period).
  void Defer(int64_t at_ns);

  EventLoop* loop_;
  Recorder* recorder_;
  RandomStream rng_;
  SelectorSampler origins_;
  SelectorSampler methods_;
  std::unique_ptr<HttpTransport> transport_;
  std::unique_ptr<AuthSession> auth_;  // null: no authentication
  Pacer pacer_ = Pacer::BestEffort();
  const FactorCurve* load_ = nullptr;
  int64_t timeout_ns_ = 0;
  int outstanding_target_ = 1;
  int64_t next_due_ns_ = 0;
  int64_t stop_ns_ = 0;
  bool stopped_ = true;
  EventLoop::TimerId timer_ = 0;
  uint64_t submitted_ = 0;
  uint64_t user_number_ = 0;
  std::map<std::string, std::string, std::less<>> labels_;  // method -> report label
  // Polygraph object model, session and launch window (worker/popularity.h), with their own
  // random stream; objects_/session_ are unset when not configured.
  RandomStream object_rng_{0};
  std::optional<ObjectPicker> objects_;
  std::optional<SessionClock> session_;
  double launch_win_s_ = 0;
  int64_t started_ns_ = 0;
  int deferred_ = 0;
  EventLoop::TimerId resume_timer_ = 0;
};

// Report label of a robot request: "<METHOD>{robot}".
std::string RobotLabel(absl::string_view method);

}  // namespace loadsim

#endif  // LOADSIM_WORKER_ROBOT_H_
