#include "worker/robot.h"

#include <cmath>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace loadsim {

std::string RobotLabel(absl::string_view method) { return absl::StrCat(method, "{robot}"); }

absl::StatusOr<std::unique_ptr<Robot>> Robot::Create(const v1::RobotParams& params, EventLoop* loop,
                                                     std::unique_ptr<HttpTransport> transport,
                                                     Recorder* recorder, uint64_t run_seed,
                                                     uint64_t user_number, int robot_index,
                                                     const v1::Account* account) {
  absl::StatusOr<SelectorSampler> origins = SelectorSampler::Create(params.origins());
  if (!origins.ok()) return origins.status();
  absl::StatusOr<SelectorSampler> methods = SelectorSampler::Create(params.req_methods());
  if (!methods.ok()) return methods.status();
  RandomStream rng(DeriveSeed(run_seed, user_number, absl::StrCat("robot#", robot_index)));
  std::unique_ptr<Robot> robot(new Robot(params, loop, std::move(transport), recorder, rng,
                                         *std::move(origins), *std::move(methods)));
  robot->user_number_ = user_number;
  if (params.authenticate()) {
    if (account == nullptr) {
      return absl::InvalidArgumentError("robot: authenticate is set but the user has no account");
    }
    robot->auth_ = std::make_unique<AuthSession>(
        account->uid(), account->password(),
        DeriveSeed(run_seed, user_number, absl::StrCat("auth#", robot_index)));
  }
  absl::StatusOr<Pacer> pacer = Pacer::ForRobot(params);
  if (!pacer.ok()) return pacer.status();
  robot->pacer_ = *std::move(pacer);
  robot->object_rng_ =
      RandomStream(DeriveSeed(run_seed, user_number, absl::StrCat("robot-objects#", robot_index)));
  if (params.recurrence() > 0) {
    absl::StatusOr<ObjectPicker> objects = ObjectPicker::Create(params, robot->object_rng_);
    if (!objects.ok()) return objects.status();
    robot->objects_ = *std::move(objects);
  }
  if (params.has_session()) {
    absl::StatusOr<SessionClock> session = SessionClock::Create(params.session(), 0);
    if (!session.ok()) return session.status();
    robot->session_ = *std::move(session);
  }
  robot->launch_win_s_ = params.launch_win_seconds();
  return robot;
}

ConnectionLimits Robot::LimitsFor(const v1::RobotParams& params, RandomStream& rng) {
  ConnectionLimits limits;
  limits.open_conn_lmt = params.open_conn_lmt();
  limits.wait_xact_lmt = params.wait_xact_lmt();
  limits.idle_pconn_tout_s = static_cast<int64_t>(std::ceil(params.idle_pconn_tout_seconds()));
  limits.verify_tls = params.tls_verify();
  if (params.has_pconn_use_lmt()) {
    absl::StatusOr<NumberSampler> reuse = NumberSampler::Create(params.pconn_use_lmt());
    // Polygraph draws the limit per connection; one draw per robot is our approximation.
    if (reuse.ok()) limits.pconn_use_lmt = std::max<int64_t>(1, std::llround(reuse->Sample(rng)));
  }
  return limits;
}

Robot::Robot(const v1::RobotParams& params, EventLoop* loop,
             std::unique_ptr<HttpTransport> transport, Recorder* recorder, RandomStream rng,
             SelectorSampler origins, SelectorSampler methods)
    : loop_(loop),
      recorder_(recorder),
      rng_(rng),
      origins_(std::move(origins)),
      methods_(std::move(methods)),
      transport_(std::move(transport)) {
  timeout_ns_ = static_cast<int64_t>(params.xact_lifetime_seconds() * 1e9);
  outstanding_target_ = params.open_conn_lmt() > 0 ? params.open_conn_lmt() : 1;
}

Robot::~Robot() {
  if (timer_ != 0) loop_->CancelTimer(timer_);
  if (resume_timer_ != 0) loop_->CancelTimer(resume_timer_);
}

void Robot::Start(int64_t stop_ns) {
  stopped_ = false;
  stop_ns_ = stop_ns;
  int64_t now = loop_->now_ns();
  started_ns_ = now;
  if (session_) session_->Restart(now);
  const int64_t launch = now + LaunchDelayNs(launch_win_s_, object_rng_);
  if (!pacer_.open_loop()) {
    for (int i = 0; i < outstanding_target_; ++i) Issue(launch);
    return;
  }
  // Polygraph: a new robot's first request comes one gap after it starts, or at a uniform
  // time inside launch_win when that is set.
  next_due_ns_ = launch_win_s_ > 0 ? launch : NextDue(now);
  ScheduleNext();
}

int64_t Robot::NextDue(int64_t from_ns) {
  int64_t gap = pacer_.NextGapNs(rng_);
  if (load_ == nullptr) return from_ns + gap;
  return load_->Advance(from_ns, static_cast<double>(gap) / 1e9);
}

void Robot::Replan() {
  if (stopped_ || !pacer_.open_loop()) return;
  if (timer_ != 0) {
    loop_->CancelTimer(timer_);
    timer_ = 0;
  }
  next_due_ns_ = NextDue(loop_->now_ns());
  ScheduleNext();
}

void Robot::Stop() {
  stopped_ = true;
  if (timer_ != 0) {
    loop_->CancelTimer(timer_);
    timer_ = 0;
  }
  if (resume_timer_ != 0) {
    loop_->CancelTimer(resume_timer_);
    resume_timer_ = 0;
  }
  deferred_ = 0;
}

int64_t Robot::SkipIdle(int64_t due_ns) {
  for (int i = 0; i < 1000 && due_ns < stop_ns_; ++i) {
    const int64_t busy = session_->NextBusy(due_ns, object_rng_);
    if (busy == due_ns) break;
    due_ns = NextDue(busy);
  }
  return due_ns;
}

void Robot::Defer(int64_t at_ns) {
  ++deferred_;
  if (resume_timer_ != 0) return;  // one timer resumes every request waiting for that time
  resume_timer_ = loop_->AddTimer(at_ns, [this, at_ns] {
    resume_timer_ = 0;
    const int n = std::exchange(deferred_, 0);
    for (int i = 0; i < n; ++i) Issue(at_ns);
  });
}

void Robot::ScheduleNext() {
  if (session_ && !stopped_) next_due_ns_ = SkipIdle(next_due_ns_);
  if (stopped_ || next_due_ns_ >= stop_ns_) return;
  timer_ = loop_->AddTimer(next_due_ns_, [this] {
    timer_ = 0;
    int64_t due = next_due_ns_;
    next_due_ns_ = NextDue(due);  // the schedule never depends on how fast responses come
    Issue(due);
    ScheduleNext();
  });
}

void Robot::Issue(int64_t due_ns) {
  if (stopped_ || due_ns >= stop_ns_) return;
  if (!pacer_.open_loop()) {  // closed loop: wait for the launch time or the session's busy time
    const int64_t at = session_ ? session_->NextBusy(due_ns, object_rng_) : due_ns;
    if (at > loop_->now_ns()) {
      Defer(at);
      return;
    }
  }
  HttpRequest req;
  const std::string& method = methods_.PickValue(rng_);
  req.method = method;
  // What the request went to, as two numbers (a failure sample rebuilds the URL from them;
  // nothing is copied per request).
  const size_t origin = origins_.Pick(rng_);
  std::optional<uint64_t> object;
  if (objects_) object = objects_->Next(object_rng_, (due_ns - started_ns_) / 1e9).id;
  req.url = object ? ObjectUrl(origins_.value(origin), *object) : origins_.value(origin);
  req.timeout_ns = timeout_ns_;
  req.keep_body = false;
  req.keep_headers = false;
  ++submitted_;
  const Target target{origin, object};
  if (auth_) {
    AuthenticatedSend(
        transport_.get(), auth_.get(), std::move(req),
        [this, due_ns, &method, target](HttpResponse& resp, const AuthExchange& auth) {
          OnDone(due_ns, method, resp, auth, target);
        });
    return;
  }
  transport_->Submit(std::move(req), [this, due_ns, &method, target](HttpResponse& resp) {
    OnDone(due_ns, method, resp, AuthExchange{}, target);
  });
}

void Robot::OnDone(int64_t due_ns, const std::string& method, HttpResponse& resp,
                   const AuthExchange& auth, const Target& target) {
  bool ok = resp.failure == Failure::kNone && resp.status >= 200 && resp.status < 400;
  std::string reason;
  if (resp.failure != Failure::kNone) {
    reason = FailureName(resp.failure);
  } else if (!ok) {
    reason = absl::StrCat("HTTP ", resp.status);
  }
  auto label = labels_.find(method);
  if (label == labels_.end()) label = labels_.emplace(method, RobotLabel(method)).first;
  int64_t challenge_ns = 0;
  if (auth.had_challenge) {
    // The 401 round trip is its own line and not part of the request's latency.
    challenge_ns = auth.challenge_done_ns - auth.challenge_sent_ns;
    recorder_->Record(absl::StrCat("AUTH{", auth_->scheme(), "}"), challenge_ns, true);
  }
  recorder_->Record(label->second, resp.done_ns - due_ns - challenge_ns, ok, reason);
  if (!ok && recorder_->WantsFailureSample()) {
    recorder_->AddFailureSample(
        MakeFailureSample(absl::StrCat("user ", user_number_), label->second, method,
                          target.object ? ObjectUrl(origins_.value(target.origin), *target.object)
                                        : origins_.value(target.origin),
                          resp.status, reason, resp.body, resp.done_ns));
  }
  recorder_->Record("lag{robot}", resp.sent_ns - due_ns, true);
  if (resp.sent_ns > resp.queued_ns) {
    // Refused at first (no free connection): the wait is blocked time, its own line.
    recorder_->Record("blocked{robot}", resp.sent_ns - resp.queued_ns, true);
  }
  if (!pacer_.open_loop()) Issue(loop_->now_ns());
}

}  // namespace loadsim
