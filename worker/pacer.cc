#include "worker/pacer.h"

#include <cmath>

namespace loadsim {

absl::StatusOr<Pacer> Pacer::ForRobot(const v1::RobotParams& params) {
  if (params.has_req_inter_arrival()) {
    absl::StatusOr<NumberSampler> gaps = NumberSampler::Create(params.req_inter_arrival());
    if (!gaps.ok()) return gaps.status();
    Pacer p;
    p.mode_ = Mode::kDistribution;
    p.gaps_ = *std::move(gaps);
    return p;
  }
  if (params.req_rate() > 0) return Poisson(params.req_rate());
  return BestEffort();
}

Pacer Pacer::Poisson(double rate_per_s) {
  Pacer p;
  p.mode_ = Mode::kPoisson;
  p.rate_per_s_ = rate_per_s;
  return p;
}

int64_t Pacer::NextGapNs(RandomStream& rng) {
  if (mode_ == Mode::kPoisson) {
    return static_cast<int64_t>(-std::log(rng.UniformOpen01()) / rate_per_s_ * 1e9);
  }
  if (mode_ == Mode::kDistribution) {
    double s = gaps_->Sample(rng);
    return s > 0 ? static_cast<int64_t>(s * 1e9) : 0;
  }
  return 0;
}

}  // namespace loadsim
