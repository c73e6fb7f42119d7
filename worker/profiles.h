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
// Inviter, RealisticInviter and Accepter are recognised by the configuration but not
// implemented yet (TODO): CreateProfile gives no profile for them, so they stay inactive;
// ProfileImplemented() tells callers which ones, so that they can warn.
//
// Not thread-safe: a profile lives on its client's loop thread and must be destroyed before
// the client.
#ifndef LOADSIM_WORKER_PROFILES_H_
#define LOADSIM_WORKER_PROFILES_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/distribution.h"
#include "common/random.h"
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
  void Start(int64_t stop_ns = 0);
  void Stop();
  // The phase's load factor (null: 100%): at 200% an interval of 60 s becomes 30 s
  // (FactorCurve). `curve` must outlive the profile.
  void SetLoadCurve(const FactorCurve* curve) { load_ = curve; }
  // The load curve changed: re-plan the next tick from now.
  void Replan();
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

class Eventer : public Profile {
 public:
  static absl::StatusOr<std::unique_ptr<Eventer>> Create(const v1::EventerParams& params,
                                                         CalendarClient* client, uint64_t seed);

 protected:
  bool Tick(int64_t due_ns) override;

 private:
  Eventer(CalendarClient* client, double interval_s, uint64_t seed, DateTimeSampler start,
          NumberSampler duration, std::optional<RecurrenceSampler> recurrence);

  DateTimeSampler start_;
  NumberSampler duration_;
  std::optional<RecurrenceSampler> recurrence_;
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

// True for the profiles CreateProfile can build (Eventer, Tasker).
bool ProfileImplemented(const v1::ProfileSpec& spec);

// The profile of `spec` for `client`: null (and OK) when it is disabled or not implemented yet
// (see ProfileImplemented); InvalidArgument for bad parameters.
absl::StatusOr<std::unique_ptr<Profile>> CreateProfile(const v1::ProfileSpec& spec,
                                                       CalendarClient* client, uint64_t seed);

}  // namespace loadsim

#endif  // LOADSIM_WORKER_PROFILES_H_
