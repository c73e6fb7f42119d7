#include "worker/profiles.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "worker/ical.h"
#include "worker/scheduling_profiles.h"

namespace loadsim {

Profile::Profile(CalendarClient* client, double interval_s, uint64_t seed)
    : client_(client),
      rng_(seed),
      interval_ns_(static_cast<int64_t>(interval_s * 1e9)),
      alive_(std::make_shared<bool>(true)) {}

Profile::~Profile() {
  *alive_ = false;
  Stop();
}

void Profile::Start(int64_t stop_ns) {
  stop_ns_ = stop_ns;
  stopped_ = false;
  // The first tick at a random point of the first interval (spec 9.4-10).
  Schedule(After(client_->loop()->now_ns(), rng_.Uniform01()));
}

int64_t Profile::After(int64_t from_ns, double fraction_of_interval) const {
  double gap_ns = fraction_of_interval * static_cast<double>(interval_ns_);
  if (load_ == nullptr) return from_ns + static_cast<int64_t>(gap_ns);
  return load_->Advance(from_ns, gap_ns / 1e9);
}

void Profile::Replan() {
  if (stopped_) return;
  if (timer_ != 0) client_->loop()->CancelTimer(timer_);
  timer_ = 0;
  Schedule(After(client_->loop()->now_ns(), rng_.Uniform01()));
}

void Profile::Stop() {
  stopped_ = true;
  if (timer_ != 0) client_->loop()->CancelTimer(timer_);
  timer_ = 0;
}

void Profile::Schedule(int64_t due_ns) {
  if (stopped_ || (stop_ns_ > 0 && due_ns >= stop_ns_)) return;
  timer_ = client_->loop()->AddTimer(due_ns, [this, due_ns] {
    timer_ = 0;
    // How late the tick runs (spec 9.4-24: measured for profiles and polls alike).
    client_->recorder()->Record("lag{profile}", client_->loop()->UpdateNow() - due_ns, true);
    // Fixed rate; ticks missed while the loop was busy are skipped.
    int64_t next = After(due_ns, 1.0);
    int64_t now = client_->loop()->now_ns();
    if (next <= now && load_ == nullptr) {
      next += ((now - next) / interval_ns_ + 1) * interval_ns_;
    } else if (next <= now) {
      next = After(now, 1.0);
    }
    Schedule(next);
    if (!client_->started() || client_->stopped()) return;
    if (Tick(due_ns)) ++operations_;
  });
}

void Profile::PutNew(const CachedCalendar& calendar, absl::StatusOr<CalendarObject> object,
                     int64_t due_ns) {
  std::weak_ptr<bool> alive = alive_;
  CalendarClient* client = client_;
  auto done = [alive, client, due_ns](bool ok, const std::string& reason) {
    if (alive.expired()) return;
    client->RecordOperation("create", client->loop()->UpdateNow() - due_ns, ok, reason);
  };
  if (!object.ok()) return done(false, std::string(object.status().message()));
  client_->AddEvent(calendar.href, *std::move(object), std::move(done));
}

const CachedCalendar* Profile::PickCalendar(absl::string_view component) {
  std::vector<const CachedCalendar*> eligible = client_->CalendarsFor(component);
  if (eligible.empty()) return nullptr;
  return eligible[static_cast<size_t>(rng_.UniformInt(0, static_cast<int64_t>(eligible.size())))];
}

// --- Eventer ---

absl::StatusOr<std::unique_ptr<Eventer>> Eventer::Create(const v1::EventerParams& params,
                                                         CalendarClient* client, uint64_t seed) {
  if (!(params.interval_seconds() > 0)) {
    return absl::InvalidArgumentError("Eventer interval must be > 0");
  }
  absl::StatusOr<EventTemplate> event =
      EventTemplate::Create(params.event_start(), params.event_duration(),
                            params.has_recurrence() ? &params.recurrence() : nullptr);
  if (!event.ok()) return event.status();
  return std::unique_ptr<Eventer>(
      new Eventer(client, params.interval_seconds(), seed, *std::move(event)));
}

Eventer::Eventer(CalendarClient* client, double interval_s, uint64_t seed, EventTemplate event)
    : Profile(client, interval_s, seed), event_(std::move(event)) {}

absl::StatusOr<EventTemplate> EventTemplate::Create(const v1::Distribution& start,
                                                    const v1::Distribution& duration,
                                                    const v1::Distribution* recurrence) {
  absl::StatusOr<DateTimeSampler> s = DateTimeSampler::Create(start);
  if (!s.ok()) return s.status();
  absl::StatusOr<NumberSampler> d = NumberSampler::Create(duration);
  if (!d.ok()) return d.status();
  std::optional<RecurrenceSampler> r;
  if (recurrence != nullptr) {
    absl::StatusOr<RecurrenceSampler> sampler = RecurrenceSampler::Create(*recurrence);
    if (!sampler.ok()) return sampler.status();
    r = *std::move(sampler);
  }
  return EventTemplate(*std::move(s), *std::move(d), std::move(r));
}

EventTemplate::EventTemplate(DateTimeSampler start, NumberSampler duration,
                             std::optional<RecurrenceSampler> recurrence)
    : start_(std::move(start)), duration_(std::move(duration)), recurrence_(std::move(recurrence)) {}

EventSpec EventTemplate::Sample(RandomStream& rng) {
  absl::Time now = absl::Now();
  EventSpec spec;
  spec.uid = RandomUuid(rng);
  spec.created = now;
  spec.start = start_.Sample(rng, now);
  spec.duration = absl::Seconds(duration_.Sample(rng));
  if (start_.tzname() != "UTC") spec.tzid = start_.tzname();
  if (recurrence_.has_value()) spec.rrule = recurrence_->Sample(rng);
  return spec;
}

bool Eventer::Tick(int64_t due_ns) {
  const CachedCalendar* calendar = PickCalendar("VEVENT");
  if (calendar == nullptr) return false;
  absl::StatusOr<CalendarObject> event = CalendarObject::NewEvent(event_.Sample(rng_));
  PutNew(*calendar, std::move(event), due_ns);
  return true;
}

// --- Tasker ---

absl::StatusOr<std::unique_ptr<Tasker>> Tasker::Create(const v1::TaskerParams& params,
                                                       CalendarClient* client, uint64_t seed) {
  if (!(params.interval_seconds() > 0)) {
    return absl::InvalidArgumentError("Tasker interval must be > 0");
  }
  absl::StatusOr<DateTimeSampler> due = DateTimeSampler::Create(params.task_due());
  if (!due.ok()) return due.status();
  return std::unique_ptr<Tasker>(
      new Tasker(client, params.interval_seconds(), seed, *std::move(due)));
}

Tasker::Tasker(CalendarClient* client, double interval_s, uint64_t seed, DateTimeSampler due)
    : Profile(client, interval_s, seed), due_(std::move(due)) {}

bool Tasker::Tick(int64_t due_ns) {
  const CachedCalendar* calendar = PickCalendar("VTODO");
  if (calendar == nullptr) return false;
  absl::Time now = absl::Now();
  TaskSpec spec;
  spec.uid = RandomUuid(rng_);
  spec.created = now;
  spec.due = due_.Sample(rng_, now);
  if (due_.tzname() != "UTC") spec.tzid = due_.tzname();
  absl::StatusOr<CalendarObject> task = CalendarObject::NewTask(spec);
  PutNew(*calendar, std::move(task), due_ns);
  return true;
}

std::vector<v1::DirectoryEntry> DirectoryOf(const std::vector<v1::Account>& accounts) {
  std::vector<v1::DirectoryEntry> out;
  out.reserve(accounts.size());
  for (const v1::Account& a : accounts) {
    v1::DirectoryEntry& e = out.emplace_back();
    e.set_uid(a.uid());
    e.set_common_name(a.common_name());
    e.set_email(a.email());
  }
  return out;
}

bool ProfileImplemented(const v1::ProfileSpec& spec, bool have_directory) {
  if (spec.has_inviter() || spec.has_realistic_inviter()) return have_directory;
  return spec.has_eventer() || spec.has_tasker() || spec.has_accepter();
}

absl::StatusOr<std::unique_ptr<Profile>> CreateProfile(const v1::ProfileSpec& spec,
                                                       CalendarClient* client, uint64_t seed,
                                                       const ProfileContext& context) {
  if (!spec.enabled()) return std::unique_ptr<Profile>();
  if (spec.has_eventer()) {
    absl::StatusOr<std::unique_ptr<Eventer>> p = Eventer::Create(spec.eventer(), client, seed);
    if (!p.ok()) return p.status();
    return std::unique_ptr<Profile>(*std::move(p));
  }
  if (spec.has_tasker()) {
    absl::StatusOr<std::unique_ptr<Tasker>> p = Tasker::Create(spec.tasker(), client, seed);
    if (!p.ok()) return p.status();
    return std::unique_ptr<Profile>(*std::move(p));
  }
  if (!ProfileImplemented(spec, context.directory != nullptr)) return std::unique_ptr<Profile>();
  return CreateSchedulingProfile(spec, client, seed, context);
}

}  // namespace loadsim
