#include "worker/popularity.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace loadsim {
namespace {

// Shortest period a session draw may have, so that a zero draw cannot stall the clock.
constexpr int64_t kMinPeriodNs = 1000000;  // 1 ms
// Periods skipped at most per NextBusy call; past that the clock restarts busy at t.
constexpr int kMaxPeriodsPerCall = 1000000;

bool IsFraction(double f) { return std::isfinite(f) && f >= 0 && f <= 1; }

}  // namespace

absl::StatusOr<ObjectPicker> ObjectPicker::Create(const v1::RobotParams& params,
                                                  RandomStream& rng) {
  ObjectPicker p;
  p.recurrence_ = params.recurrence();
  p.model_ = params.pop_model();
  if (p.model_.pop_distr().empty()) p.model_.set_pop_distr("popUnif");
  if (!params.has_pop_model()) p.model_.set_hot_set_frac(1.0);
  if (!IsFraction(p.recurrence_)) {
    return absl::InvalidArgumentError(absl::StrCat("recurrence ", p.recurrence_,
                                                   " is not a fraction"));
  }
  if (p.model_.pop_distr() != "popUnif" && p.model_.pop_distr() != "popZipf") {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown pop_distr '", p.model_.pop_distr(), "'"));
  }
  if (p.model_.pop_distr() == "popZipf" &&
      !(std::isfinite(p.model_.zipf_skew()) && p.model_.zipf_skew() > 0)) {
    return absl::InvalidArgumentError("popZipf needs a skew > 0");
  }
  if (!IsFraction(p.model_.hot_set_frac()) || !IsFraction(p.model_.hot_set_prob())) {
    return absl::InvalidArgumentError("hot_set_frac and hot_set_prob must be fractions");
  }
  if (params.working_set_length_seconds() < 0 || params.working_set_cap() < 0) {
    return absl::InvalidArgumentError("working set limits must be >= 0");
  }
  p.working_set_length_s_ = params.working_set_length_seconds();
  p.working_set_cap_ = static_cast<uint64_t>(params.working_set_cap());
  p.hot_position_ = rng.Uniform01();
  return p;
}

uint64_t ObjectPicker::working_set_size() const {
  uint64_t w = created_;
  if (working_set_cap_ > 0) w = std::min(w, working_set_cap_);
  if (frozen_size_ > 0) w = std::min(w, frozen_size_);
  return w;
}

uint64_t ObjectPicker::HotSetSize(uint64_t window) const {
  const double h = std::round(model_.hot_set_frac() * static_cast<double>(window));
  return std::min(std::max<uint64_t>(window, 1), h < 1 ? uint64_t{1} : static_cast<uint64_t>(h));
}

uint64_t ObjectPicker::HotSetStart(uint64_t window) const {
  const uint64_t slots = window - HotSetSize(window) + 1;
  return std::min(slots - 1, static_cast<uint64_t>(hot_position_ * static_cast<double>(slots)));
}

uint64_t ObjectPicker::PickInWindow(const v1::PopModel& model, uint64_t window,
                                    RandomStream& rng) {
  if (window <= 1) return 0;
  if (model.pop_distr() == "popZipf") {
    // k = floor((W + 1)^(U^skew)) lies in [1, W]; position W + 1 - k counted from 1 at the
    // oldest object, so k = 1 (the likeliest) is the newest.
    const double w1 = static_cast<double>(window) + 1;
    const double u = std::pow(rng.Uniform01(), model.zipf_skew());
    const double k = std::clamp(std::floor(std::pow(w1, u)), 1.0, static_cast<double>(window));
    return window - static_cast<uint64_t>(k);
  }
  return static_cast<uint64_t>(rng.UniformInt(0, static_cast<int64_t>(window)));
}

ObjectPicker::Pick ObjectPicker::Next(RandomStream& rng, double elapsed_s) {
  if (working_set_length_s_ > 0 && frozen_size_ == 0 && elapsed_s >= working_set_length_s_) {
    frozen_size_ = std::max<uint64_t>(created_, 1);
  }
  Pick pick;
  const bool revisit = created_ > 0 && recurrence_ > 0 && rng.Uniform01() < recurrence_;
  if (!revisit) {
    pick.id = ++created_;
    return pick;
  }
  pick.revisit = true;
  const uint64_t window = working_set_size();
  const uint64_t oldest = created_ - window + 1;  // id of the working set's oldest object
  uint64_t start = 0;
  uint64_t size = window;
  if (model_.hot_set_prob() > 0 && rng.Uniform01() < model_.hot_set_prob()) {
    pick.hot = true;
    start = HotSetStart(window);
    size = HotSetSize(window);
  }
  pick.offset = start + PickInWindow(model_, size, rng);
  pick.id = oldest + pick.offset;
  return pick;
}

absl::StatusOr<SessionClock> SessionClock::Create(const v1::SessionSpec& spec, int64_t start_ns) {
  absl::StatusOr<NumberSampler> busy = NumberSampler::Create(spec.busy_period());
  if (!busy.ok()) return busy.status();
  absl::StatusOr<NumberSampler> idle = NumberSampler::Create(spec.idle_period_duration());
  if (!idle.ok()) return idle.status();
  return SessionClock(*std::move(busy), *std::move(idle), start_ns);
}

int64_t SessionClock::Draw(NumberSampler& sampler, RandomStream& rng) {
  const double ns = sampler.Sample(rng) * 1e9;
  if (!(ns > kMinPeriodNs)) return kMinPeriodNs;  // also NaN
  return static_cast<int64_t>(std::min(ns, 1e18));
}

int64_t SessionClock::NextBusy(int64_t t_ns, RandomStream& rng) {
  if (period_end_ns_ < 0) period_end_ns_ = period_start_ns_ + Draw(busy_, rng);
  for (int i = 0; t_ns >= period_end_ns_; ++i) {
    if (i == kMaxPeriodsPerCall) {  // far behind: start a fresh busy period at t
      in_busy_ = true;
      period_start_ns_ = t_ns;
      period_end_ns_ = t_ns + Draw(busy_, rng);
      break;
    }
    in_busy_ = !in_busy_;
    period_start_ns_ = period_end_ns_;
    period_end_ns_ = period_start_ns_ + Draw(in_busy_ ? busy_ : idle_, rng);
  }
  return in_busy_ ? t_ns : period_end_ns_;
}

int64_t LaunchDelayNs(double launch_win_seconds, RandomStream& rng) {
  if (!(launch_win_seconds > 0)) return 0;
  return static_cast<int64_t>(rng.Uniform01() * launch_win_seconds * 1e9);
}

std::string ObjectUrl(absl::string_view url, uint64_t id) {
  const std::string n = absl::StrCat(id);
  if (absl::StrContains(url, "{id}")) return absl::StrReplaceAll(url, {{"{id}", n}});
  const absl::string_view sep = absl::StrContains(url, "?") ? "&" : "?";
  return absl::StrCat(url, sep, "id=", n);
}

}  // namespace loadsim
