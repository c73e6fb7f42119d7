// Polygraph's robot object model (polygraph.md 1.5 and 2.4 steps 3-4), for a Robot's
// recurrence, pop_model, working_set_length/working_set_cap, launch_win and session fields.
//
// ObjectPicker decides which object each request targets. Objects are numbered 1, 2, 3, ... in
// creation order. With probability `recurrence` a request revisits an object already requested
// (forced to be new while none exists); otherwise it asks for the next new object. A revisit
// looks in the working set, the newest W objects, where W is unlimited until capped by
// working_set_cap and/or frozen at the object count reached when working_set_length has
// elapsed (from then on W stays the same while the window slides with new objects). With
// probability hot_set_prob the window shrinks to the hot set, max(1, round(hot_set_frac * W))
// objects at a position inside the working set drawn once per picker (kept relative to the
// window as it slides). Inside a window of W objects popUnif picks uniformly and
// popZipf(skew) picks position W + 1 - floor((W + 1)^(U^skew)) counted from the oldest, so
// the newest objects are the most popular.
//
// SessionClock alternates busy and idle periods (PGL Session): busy for a draw of
// busy_period, then idle for a draw of idle_period_duration, repeated from the robot's start;
// NextBusy maps a due time that falls in an idle period to the start of the next busy one.
//
// LaunchDelayNs draws the first request's delay uniformly in [0, launch_win).
//
// Value types; not thread-safe (each robot owns its own and passes its own RandomStream).
#ifndef LOADSIM_WORKER_POPULARITY_H_
#define LOADSIM_WORKER_POPULARITY_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/distribution.h"
#include "common/random.h"
#include "loadsim/v1/run_spec.pb.h"

namespace loadsim {

class ObjectPicker {
 public:
  struct Pick {
    uint64_t id = 0;      // 1-based object id
    bool revisit = false;
    bool hot = false;     // chosen from the hot set
    uint64_t offset = 0;  // revisits: position in the working set, 0 = its oldest object
  };

  // InvalidArgument for a pop_model that cannot be used (unknown pop_distr, skew <= 0,
  // fractions outside [0, 1]).
  static absl::StatusOr<ObjectPicker> Create(const v1::RobotParams& params, RandomStream& rng);

  // The target of the next request; `elapsed_s` is the time since the robot started (it
  // freezes the working set after working_set_length).
  Pick Next(RandomStream& rng, double elapsed_s);

  // The position, counted from the oldest object (0-based), that a pick inside a window of
  // `window` >= 1 objects lands on.
  static uint64_t PickInWindow(const v1::PopModel& model, uint64_t window, RandomStream& rng);

  uint64_t created() const { return created_; }
  // The current working-set size W (0 before the first object).
  uint64_t working_set_size() const;
  // Where the hot set starts in a working set of `window` objects, and its size.
  uint64_t HotSetStart(uint64_t window) const;
  uint64_t HotSetSize(uint64_t window) const;

 private:
  ObjectPicker() = default;

  double recurrence_ = 0;
  v1::PopModel model_;
  double working_set_length_s_ = 0;
  uint64_t working_set_cap_ = 0;
  double hot_position_ = 0;  // in [0, 1): where the hot set sits inside the working set
  uint64_t created_ = 0;
  uint64_t frozen_size_ = 0;  // 0 = not frozen
};

class SessionClock {
 public:
  // InvalidArgument if either distribution is not a usable time distribution.
  static absl::StatusOr<SessionClock> Create(const v1::SessionSpec& spec, int64_t start_ns);

  // Restarts the alternation with a busy period at `start_ns` (a robot's (re)start).
  void Restart(int64_t start_ns) {
    period_start_ns_ = start_ns;
    period_end_ns_ = -1;
    in_busy_ = true;
  }

  // `t_ns` if it falls in a busy period, else the start of the next busy period. Calls should
  // come with non-decreasing times (earlier times are answered from the current period).
  int64_t NextBusy(int64_t t_ns, RandomStream& rng);

 private:
  SessionClock(NumberSampler busy, NumberSampler idle, int64_t start_ns)
      : busy_(std::move(busy)), idle_(std::move(idle)), period_start_ns_(start_ns) {}
  int64_t Draw(NumberSampler& sampler, RandomStream& rng);

  NumberSampler busy_;
  NumberSampler idle_;
  int64_t period_start_ns_;
  int64_t period_end_ns_ = -1;  // -1: the first busy period is not drawn yet
  bool in_busy_ = true;
};

// Uniform in [0, launch_win_seconds) in nanoseconds; 0 when the window is 0.
int64_t LaunchDelayNs(double launch_win_seconds, RandomStream& rng);

// `url` with "{id}" replaced by `id`, or with "?id=<id>" (or "&id=<id>") appended when it has
// no "{id}".
std::string ObjectUrl(absl::string_view url, uint64_t id);

}  // namespace loadsim

#endif  // LOADSIM_WORKER_POPULARITY_H_
