#include "worker/runtime.h"

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/random.h"
#include "worker/calendar_client.h"
#include "worker/client_state.h"
#include "worker/event_loop.h"
#include "worker/http1_client.h"
#include "worker/http_engine.h"
#include "worker/profiles.h"
#include "worker/robot.h"

namespace loadsim {

CpuTimes ProcessCpuTimes() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return {ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
          ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6};
}

double ProcessCpuSeconds() { return ProcessCpuTimes().total(); }

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

std::vector<v1::AssignedUser> UsersOfWorker(const v1::RunSpec& spec,
                                            const std::vector<v1::Account>& accounts, int k,
                                            int w) {
  std::vector<v1::AssignedUser> out;
  uint64_t total = static_cast<uint64_t>(spec.arrival().groups()) * spec.arrival().group_size();
  for (uint64_t n = static_cast<uint64_t>(k); n < total; n += static_cast<uint64_t>(w)) {
    v1::AssignedUser u;
    u.set_user_number(n);
    if (n < accounts.size()) *u.mutable_account() = accounts[n];
    out.push_back(std::move(u));
  }
  return out;
}

class LoopThread {
 public:
  explicit LoopThread(WorkerRuntime* owner) : owner_(owner) {}

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
    UserSlot& slot = SlotFor(user, start_offset_ns);
    for (int r = 0; r < params.robots(); ++r) {
      RandomStream limits_rng(DeriveSeed(seed, user, absl::StrCat("robot-limits#", r)));
      absl::StatusOr<std::unique_ptr<Robot>> robot =
          Robot::Create(params, loop_.get(), MakeTransport(params, limits_rng), recorder_.get(),
                        seed, user, r, account);
      if (!robot.ok()) return robot.status();
      (*robot)->SetLoadCurve(&load_);
      slot.robots.push_back(robot->get());
      robots_.push_back(*std::move(robot));
    }
    return absl::OkStatus();
  }

  // One simulated Apple calendar client for `user` plus its enabled profiles.
  absl::Status AddCalendarClient(const v1::RunSpec& spec, const v1::ClientSpec& client,
                                 const SoftwareTraits& traits, uint64_t user, int j,
                                 const v1::Account* account, int64_t start_offset_ns) {
    if (account == nullptr || account->uid().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("user ", user, " has no account for its ", client.software(), " client"));
    }
    CalendarClientOptions options;
    options.traits = &traits;
    options.root = spec.server().url();
    if (!spec.server().principal_path_template().empty()) {
      options.principal_path_template = spec.server().principal_path_template();
    }
    options.title = client.calendar().title();
    if (client.calendar().calendar_home_poll_interval_seconds() > 0) {
      options.poll_interval_s = client.calendar().calendar_home_poll_interval_seconds();
    }
    options.uid = account->uid();
    options.password = account->password();
    options.email = account->email();
    options.seed = DeriveSeed(spec.seed(), user, absl::StrCat("calendar-client#", j));
    options.amp_push = client.calendar().support_amp_push();
    options.amp_push_host = client.calendar().amp_push_host();
    options.amp_push_port = client.calendar().amp_push_port();
    if (spec.client_data_serialization().enabled()) {
      options.state_path =
          ClientStatePath(spec.client_data_serialization().path(), options.uid,
                          options.title.empty() ? traits.client_type : options.title, j);
      options.use_old_data = spec.client_data_serialization().use_old_data();
    }
    // The native HTTP/1.1 client for plain http:// servers, as for robots (docs/performance.md).
    ConnectionLimits limits;
    limits.idle_pconn_tout_s =
        static_cast<int64_t>(std::ceil(client.calendar().idle_pconn_tout_seconds()));
    limits.pconn_use_lmt = client.calendar().pconn_use_lmt();
    std::unique_ptr<HttpTransport> transport;
    if (Http1Pool::CanServe(options.root)) {
      transport = std::make_unique<Http1Pool>(loop_.get(), limits);
    } else {
      transport = std::make_unique<ConnectionPool>(engine_.get(), limits);
    }
    absl::StatusOr<std::unique_ptr<CalendarClient>> c = CalendarClient::Create(
        std::move(options), loop_.get(), std::move(transport), recorder_.get());
    if (!c.ok()) return c.status();
    CalendarClient* cc = c->get();
    UserSlot& slot = SlotFor(user, start_offset_ns);
    calendar_clients_.push_back(*std::move(c));
    slot.clients.push_back(cc);
    for (int i = 0; i < client.profiles_size(); ++i) {
      absl::StatusOr<std::unique_ptr<Profile>> p =
          CreateProfile(client.profiles(i), cc,
                        DeriveSeed(spec.seed(), user, absl::StrCat("profile#", j, "#", i)),
                        ProfileContext{user, &owner_->directory_,
                                       static_cast<uint64_t>(spec.arrival().groups()) *
                                           static_cast<uint64_t>(spec.arrival().group_size())});
      if (!p.ok()) return p.status();
      if (*p == nullptr) continue;  // disabled
      (*p)->SetLoadCurve(&load_);
      slot.profiles.push_back(p->get());
      profiles_.push_back(*std::move(p));
    }
    return absl::OkStatus();
  }

  void Run(int64_t start_ns, int64_t stop_ns) {
    stop_ns_ = stop_ns;
    for (UserSlot& slot : users_) {
      UserSlot* u = &slot;
      loop_->AddTimer(start_ns + slot.arrival_offset_ns, [this, u] {
        u->arrived = true;
        UpdateUser(*u, LiveLimit(loop_->now_ns()));
      });
    }
    ScheduleCut(start_ns + owner_->interval_ns_);
    loop_->Run(stop_ns);
    StopAll();
    // Drain: in-flight requests finish (or time out) and are counted.
    while (!owner_->abort_.load() && Busy() &&
           loop_->UpdateNow() < owner_->drain_until_ns_.load()) {
      loop_->Run(std::min(owner_->drain_until_ns_.load(), loop_->now_ns() + 10000000));
      owner_->in_flight_.store(engine_->in_flight());
    }
    owner_->HandOver(phase_, recorder_->TakeDelta());
    owner_->HandOverSamples(recorder_->TakeFailureSamples());
  }

  void RequestStop() {
    loop_->Post([this] { StopAll(); });
    loop_->Stop();
  }

  // Called on any thread; applied on the loop thread.
  void ApplyPhase(const v1::PhaseChange& change) {
    loop_->Post([this, change] {
      int64_t now = loop_->UpdateNow();
      if (change.phase_index() != phase_) {
        owner_->HandOver(phase_, recorder_->TakeDelta());
        phase_ = change.phase_index();
      }
      load_ = FactorCurve(now, change.load_factor(), change.load_slope_per_s(), change.load_lo(),
                          change.load_hi());
      populus_ = FactorCurve(now, change.populus_factor(), change.populus_slope_per_s(),
                             change.populus_lo(), change.populus_hi());
      total_users_ = change.total_users();
      for (auto& robot : robots_) robot->Replan();
      for (auto& profile : profiles_) profile->Replan();
      UpdatePopulation();
    });
  }

 private:
  // One simulated user of this thread: everything that starts and stops with it.
  struct UserSlot {
    uint64_t user = 0;
    int64_t arrival_offset_ns = 0;
    bool arrived = false;
    bool live = false;
    bool ever_live = false;
    std::vector<Robot*> robots;
    std::vector<CalendarClient*> clients;
    std::vector<Profile*> profiles;
  };

  UserSlot& SlotFor(uint64_t user, int64_t arrival_offset_ns) {
    if (users_.empty() || users_.back().user != user) {
      users_.emplace_back();
      users_.back().user = user;
      users_.back().arrival_offset_ns = arrival_offset_ns;
    }
    return users_.back();
  }

  // Users n < limit may be live (Polygraph: round(pf * N), at least 1 when pf > 0).
  uint64_t LiveLimit(int64_t now) const {
    if (total_users_ == 0) return UINT64_MAX;  // no phases: everyone
    double pf = populus_.At(now);
    if (pf <= 0) return 0;
    double n = std::round(pf * static_cast<double>(total_users_));
    return std::max<uint64_t>(1, static_cast<uint64_t>(n));
  }

  void UpdateUser(UserSlot& u, uint64_t limit) {
    bool want = u.arrived && u.user < limit;
    if (want == u.live) return;
    u.live = want;
    if (want) {
      owner_->users_alive_.fetch_add(1);
      if (!u.ever_live) owner_->users_started_.fetch_add(1);
      u.ever_live = true;
      for (Robot* r : u.robots) r->Start(stop_ns_);
      for (CalendarClient* c : u.clients) c->Start(stop_ns_);
      for (Profile* p : u.profiles) p->Start(stop_ns_);
    } else {
      owner_->users_alive_.fetch_sub(1);
      for (Robot* r : u.robots) r->Stop();
      for (Profile* p : u.profiles) p->Stop();
      for (CalendarClient* c : u.clients) c->Stop();
    }
  }

  // Applies the populus curve now and plans the next change of the live-user limit.
  void UpdatePopulation() {
    if (population_timer_ != 0) loop_->CancelTimer(population_timer_);
    population_timer_ = 0;
    int64_t now = loop_->now_ns();
    uint64_t limit = LiveLimit(now);
    for (UserSlot& u : users_) UpdateUser(u, limit);
    if (total_users_ == 0 || populus_.constant()) return;
    // The limit changes where pf * total crosses the next half-integer (round()).
    double total = static_cast<double>(total_users_);
    double up = (std::min<double>(limit, total) + 0.5) / total;
    double down = (static_cast<double>(limit) - 0.5) / total;
    int64_t next = std::min(populus_.FirstTime(now + 1, up, false),
                            limit > 1 ? populus_.FirstTime(now + 1, down, true)
                                      : populus_.FirstTime(now + 1, 1e-12, true));
    if (next == FactorCurve::kNever || next >= stop_ns_) return;
    population_timer_ = loop_->AddTimer(next, [this] {
      population_timer_ = 0;
      UpdatePopulation();
    });
  }

  void StopAll() {
    for (auto& robot : robots_) robot->Stop();
    for (auto& profile : profiles_) profile->Stop();
    for (auto& client : calendar_clients_) client->Stop();
  }

  // Requests in flight on this thread: curl's, and those of native (Http1Pool) transports.
  bool Busy() const {
    if (engine_->in_flight() > 0) return true;
    for (const auto& robot : robots_) {
      if (!robot->idle()) return true;
    }
    for (const auto& client : calendar_clients_) {
      if (client->busy()) return true;
    }
    return false;
  }

  void ScheduleCut(int64_t at) {
    loop_->AddTimer(at, [this, at] {
      owner_->HandOver(phase_, recorder_->TakeDelta());
      owner_->HandOverSamples(recorder_->TakeFailureSamples());
      owner_->in_flight_.store(engine_->in_flight());
      ScheduleCut(at + owner_->interval_ns_);
    });
  }

  // The native HTTP/1.1 client when every origin is plain http:// (libcurl costs about ten
  // times more CPU per request: docs/performance.md), libcurl otherwise or when asked for.
  std::unique_ptr<HttpTransport> MakeTransport(const v1::RobotParams& params, RandomStream& rng) {
    ConnectionLimits limits = Robot::LimitsFor(params, rng);
    bool native = params.http_engine() != "curl" && params.origins().items_size() > 0;
    for (const v1::Selector::Item& origin : params.origins().items()) {
      native = native && Http1Pool::CanServe(origin.value());
    }
    if (native) return std::make_unique<Http1Pool>(loop_.get(), limits);
    return std::make_unique<ConnectionPool>(engine_.get(), limits);
  }

  WorkerRuntime* owner_;
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<HttpEngine> engine_;
  std::unique_ptr<Recorder> recorder_;
  std::vector<UserSlot> users_;
  FactorCurve load_;          // the phase's load factor (100% without phases)
  FactorCurve populus_;       // the phase's populus factor
  uint64_t total_users_ = 0;  // all workers' users; 0 = no phases, everyone live
  int phase_ = 0;
  int64_t stop_ns_ = 0;
  EventLoop::TimerId population_timer_ = 0;
  std::vector<std::unique_ptr<Robot>> robots_;  // destroyed before engine_ (declared after)
  // Destroyed in reverse order: profiles_, then calendar_clients_, both before engine_.
  std::vector<std::unique_ptr<CalendarClient>> calendar_clients_;
  std::vector<std::unique_ptr<Profile>> profiles_;
};

absl::StatusOr<std::unique_ptr<WorkerRuntime>> WorkerRuntime::Create(
    const v1::RunSpec& spec, std::vector<v1::AssignedUser> users, int threads, int64_t interval_ns,
    std::vector<v1::DirectoryEntry> directory) {
  if (threads < 1) return absl::InvalidArgumentError("threads must be >= 1");
  std::unique_ptr<WorkerRuntime> rt(new WorkerRuntime());
  rt->directory_ = std::move(directory);
  rt->interval_ns_ = interval_ns;
  rt->assigned_ = std::move(users);
  for (int t = 0; t < threads; ++t) {
    rt->threads_.push_back(std::make_unique<LoopThread>(rt.get()));
    absl::Status s = rt->threads_.back()->Init(spec);
    if (!s.ok()) return s;
  }
  for (const v1::ClientSpec& client : spec.clients()) {
    for (const v1::ProfileSpec& profile : client.profiles()) {
      if (profile.enabled() && !ProfileImplemented(profile, !rt->directory_.empty()) &&
          !rt->assigned_.empty()) {
        std::fprintf(stderr, "loadsim-worker: profile %s is not implemented yet: inactive\n",
                     profile.class_name().c_str());
      }
    }
  }
  const v1::ArrivalSpec& arrival = spec.arrival();
  for (const v1::AssignedUser& u : rt->assigned_) {
    uint64_t n = u.user_number();
    uint64_t group = n / static_cast<uint64_t>(arrival.group_size());
    int64_t offset = static_cast<int64_t>(group * arrival.interval_seconds() * 1e9);
    for (int j = 0; j < arrival.clients_per_user(); ++j) {
      const v1::ClientSpec& client = spec.clients(ClientTypeFor(spec, n, j));
      const v1::Account* account = u.has_account() ? &u.account() : nullptr;
      if (const SoftwareTraits* traits = FindSoftware(client.software());
          traits != nullptr && !client.has_robot()) {
        absl::Status s = rt->threads_[n % rt->threads_.size()]->AddCalendarClient(
            spec, client, *traits, n, j, account, offset);
        if (!s.ok()) return s;
        continue;
      }
      if (!client.has_robot()) {
        return absl::UnimplementedError(
            absl::StrCat("client software ", client.software(), " cannot run yet"));
      }
      absl::Status s = rt->threads_[n % rt->threads_.size()]->AddRobots(client.robot(), spec.seed(),
                                                                        n, account, offset);
      if (!s.ok()) return s;
    }
    ++rt->users_;
  }
  return rt;
}

WorkerRuntime::~WorkerRuntime() = default;

void WorkerRuntime::Run(int64_t start_ns, int64_t stop_ns, int64_t drain_until_ns) {
  if (drain_until_ns_.load() == 0) drain_until_ns_.store(drain_until_ns);
  std::vector<std::thread> running;
  for (auto& t : threads_) {
    LoopThread* lt = t.get();
    running.emplace_back([lt, start_ns, stop_ns] { lt->Run(start_ns, stop_ns); });
  }
  for (std::thread& th : running) th.join();
}

void WorkerRuntime::RequestStop(int64_t drain_until_ns) {
  if (drain_until_ns > 0) drain_until_ns_.store(drain_until_ns);
  for (auto& t : threads_) t->RequestStop();
}

void WorkerRuntime::Abort() {
  abort_.store(true);
  RequestStop();
}

void WorkerRuntime::HandOver(int phase, LabelMap delta) {
  if (delta.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  MergeInto(pending_[phase], delta);
}

void WorkerRuntime::HandOverSamples(std::vector<v1::FailureSample> samples) {
  if (samples.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  for (v1::FailureSample& s : samples) samples_.push_back(std::move(s));
}

std::vector<v1::FailureSample> WorkerRuntime::TakeFailureSamples() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<v1::FailureSample> out;
  out.swap(samples_);
  return out;
}

std::map<int, LabelMap> WorkerRuntime::TakeDeltas() {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<int, LabelMap> out;
  out.swap(pending_);
  return out;
}

LabelMap WorkerRuntime::TakeDelta() {
  LabelMap out;
  for (auto& [phase, delta] : TakeDeltas()) MergeInto(out, delta);
  return out;
}

void WorkerRuntime::ApplyPhase(const v1::PhaseChange& change) {
  for (auto& t : threads_) t->ApplyPhase(change);
}

}  // namespace loadsim
