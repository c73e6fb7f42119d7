// Pacer: decides when an open-loop user's next request is due, separately from doing it
// (nighthawk's rate limiter / sequencer split). Modes: Poisson at `req_rate` (exponential gaps
// with mean 1/rate), gaps drawn from any `req_inter_arrival` distribution (a constant gives a
// fixed interval), or best effort (closed loop: no schedule, the next request goes when a
// previous one completes). A value type; not thread-safe.
#ifndef LOADSIM_WORKER_PACER_H_
#define LOADSIM_WORKER_PACER_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "common/distribution.h"
#include "common/random.h"
#include "loadsim/v1/run_spec.pb.h"

namespace loadsim {

class Pacer {
 public:
  static absl::StatusOr<Pacer> ForRobot(const v1::RobotParams& params);
  static Pacer Poisson(double rate_per_s);
  static Pacer BestEffort() { return Pacer(); }

  // False for best effort.
  bool open_loop() const { return mode_ != Mode::kBestEffort; }
  // The gap to the next due time. REQUIRES: open_loop().
  int64_t NextGapNs(RandomStream& rng);

 private:
  enum class Mode { kBestEffort, kPoisson, kDistribution };
  Pacer() = default;
  Mode mode_ = Mode::kBestEffort;
  double rate_per_s_ = 0;
  std::optional<NumberSampler> gaps_;
};

}  // namespace loadsim

#endif  // LOADSIM_WORKER_PACER_H_
