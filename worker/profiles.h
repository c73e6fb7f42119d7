// Profiles: the user behaviours that drive a CalendarClient (spec 4).
//
// Eventer (4.2) and Tasker (4.3) tick at a fixed rate of `interval` seconds; unlike the
// original, the first tick is at a random point of [0, interval) so that clients created
// together do not tick together (spec 9.4-10). A tick does nothing while the client is not
// started or has no eligible calendar (one whose supported components include VEVENT /
// VTODO); otherwise it builds a new event (start, duration and recurrence sampled from the
// profile's distributions) or task (due date sampled), PUTs it with the client's AddEvent
// and records the operation "create" with its duration from the tick's due time.
//
// Inviter, RealisticInviter and Accepter (spec 4.4-4.6) live in scheduling_profiles.h; they
// override Start/Stop/Replan (their loops are not fixed-rate). The inviters pick invitees from
// the account directory of ProfileContext; without one they stay inactive (CreateProfile gives
// no profile and ProfileImplemented() says so, so that callers can warn).
//
// Not thread-safe: a profile lives on its client's loop thread and must be destroyed before
// the client.
#ifndef LOADSIM_WORKER_PROFILES_H_
#define LOADSIM_WORKER_PROFILES_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/distribution.h"
#include "common/random.h"
#include "loadsim/v1/cluster.pb.h"
#include "loadsim/v1/run_spec.pb.h"
#include "worker/calendar_client.h"
#include "worker/event_loop.h"
#include "worker/factor_curve.h"

namespace loadsim {

class Profile {
 public:
  virtual ~Profile();
  Profile(const Profile&) = delete;
  Profile& operator=(const Profile&) = delete;

  // Schedules the first tick within [0, interval) from now; no tick at or after `stop_ns`
  // (0: never stops by itself).
  virtual void Start(int64_t stop_ns = 0);
  virtual void Stop();
  // The phase's load factor (null: 100%): at 200% an interval of 60 s becomes 30 s
  // (FactorCurve). `curve` must outlive the profile.
  void SetLoadCurve(const FactorCurve* curve) { load_ = curve; }
  // The load curve changed: re-plan the next tick from now.
  virtual void Replan();
  // Operations started (ticks that issued a request).
  int operations() const { return operations_; }

 protected:
  Profile(CalendarClient* client, double interval_s, uint64_t seed);
  // One tick due at `due_ns`; returns true if it started an operation.
  virtual bool Tick(int64_t due_ns) = 0;
  // PUTs `object` into `calendar` and records the operation "create" (due at `due_ns`) when
  // it finishes; an object that could not be built is a failed "create".
  void PutNew(const CachedCalendar& calendar, absl::StatusOr<CalendarObject> object,
              int64_t due_ns);
  // A random calendar supporting `component`; null if none.
  const CachedCalendar* PickCalendar(absl::string_view component);
  const FactorCurve* load_curve() const { return load_; }
  void CountOperation() { ++operations_; }

  CalendarClient* client_;
  RandomStream rng_;

 private:
  void Schedule(int64_t due_ns);

  int64_t After(int64_t from_ns, double fraction_of_interval) const;

  int64_t interval_ns_;
  const FactorCurve* load_ = nullptr;
  int64_t stop_ns_ = 0;
  bool stopped_ = true;
  int operations_ = 0;
  EventLoop::TimerId timer_ = 0;
  std::shared_ptr<bool> alive_;
};

// The Eventer's event template (spec 4.2): a new UID, created now, start, duration and
// recurrence drawn from the profile's distributions. RealisticInviter builds its invitations
// from it too.
class EventTemplate {
 public:
  // `recurrence` may be null (never recurring).
  static absl::StatusOr<EventTemplate> Create(const v1::Distribution& start,
                                              const v1::Distribution& duration,
                                              const v1::Distribution* recurrence);
  EventSpec Sample(RandomStream& rng);

 private:
  EventTemplate(DateTimeSampler start, NumberSampler duration,
                std::optional<RecurrenceSampler> recurrence);

  DateTimeSampler start_;
  NumberSampler duration_;
  std::optional<RecurrenceSampler> recurrence_;
};

class Eventer : public Profile {
 public:
  static absl::StatusOr<std::unique_ptr<Eventer>> Create(const v1::EventerParams& params,
                                                         CalendarClient* client, uint64_t seed);

 protected:
  bool Tick(int64_t due_ns) override;

 private:
  Eventer(CalendarClient* client, double interval_s, uint64_t seed, EventTemplate event);

  EventTemplate event_;
};

class Tasker : public Profile {
 public:
  static absl::StatusOr<std::unique_ptr<Tasker>> Create(const v1::TaskerParams& params,
                                                        CalendarClient* client, uint64_t seed);

 protected:
  bool Tick(int64_t due_ns) override;

 private:
  Tasker(CalendarClient* client, double interval_s, uint64_t seed, DateTimeSampler due);

  DateTimeSampler due_;
};

// What a profile knows besides its client: the user's number and the account directory
// (uid, name and email of every account, no passwords: Assignment.directory, or the accounts
// of a standalone run) for invitee selection. The directory is shared read-only by every
// thread and must outlive the profiles.
struct ProfileContext {
  uint64_t user_number = 0;
  const std::vector<v1::DirectoryEntry>* directory = nullptr;
  // Invitees are taken among the first `population` entries, the simulated users
  // (groups x groupSize), so that every invitee can answer (0: the whole directory).
  uint64_t population = 0;
};

// The directory of `accounts` (passwords dropped), for standalone runs.
std::vector<v1::DirectoryEntry> DirectoryOf(const std::vector<v1::Account>& accounts);

// True for the profiles CreateProfile can build: Eventer, Tasker, Accepter, and the two
// inviters when there is a directory.
bool ProfileImplemented(const v1::ProfileSpec& spec, bool have_directory = false);

// The profile of `spec` for `client`: null (and OK) when it is disabled or cannot run (see
// ProfileImplemented); InvalidArgument for bad parameters.
absl::StatusOr<std::unique_ptr<Profile>> CreateProfile(const v1::ProfileSpec& spec,
                                                       CalendarClient* client, uint64_t seed,
                                                       const ProfileContext& context = {});

}  // namespace loadsim

#endif  // LOADSIM_WORKER_PROFILES_H_
