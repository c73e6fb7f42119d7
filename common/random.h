// RandomStream: a small, fast, seeded pseudo-random generator (xoshiro256**, seeded through
// splitmix64) plus the draws every sampler needs: uniform reals, an exact standard normal and
// unbiased bounded integers. WeightedChoice picks an index with given weights (an exact
// cumulative table searched by bisection).
//
// Reproducibility: a run has one seed; DeriveSeed(seed, user number, name) gives every user,
// profile and distribution its own stream, using a hash that is stable across builds and
// platforms (FNV-1a 64 followed by a splitmix64 finaliser), so user n draws the same values
// whichever worker runs it.
//
// Thread-safety: a RandomStream is not thread-safe; each owner (user, profile, distribution)
// keeps its own. A WeightedChoice is immutable after Create and safe to share; Pick only
// advances the stream passed to it.
#ifndef LOADSIM_COMMON_RANDOM_H_
#define LOADSIM_COMMON_RANDOM_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace loadsim {

class RandomStream {
 public:
  // The same seed always gives the same sequence.
  explicit RandomStream(uint64_t seed);

  // 64 uniformly distributed bits.
  uint64_t NextU64();

  // Uniform on [0, 1), a multiple of 2^-53.
  double Uniform01();

  // Uniform on (0, 1], a multiple of 2^-53; safe to pass to log().
  double UniformOpen01();

  // Standard normal N(0, 1) by Marsaglia's polar method (exact, unbounded tails). Each
  // rejection round yields two values; the second is kept for the next call.
  double Normal();

  // Uniform integer on [lo, hi_exclusive), without modulo bias (rejection of the short tail).
  // Any range that fits int64 works, including negative bounds. REQUIRES: lo < hi_exclusive
  // (otherwise returns lo).
  int64_t UniformInt(int64_t lo, int64_t hi_exclusive);

 private:
  uint64_t state_[4];
  bool has_spare_normal_ = false;
  double spare_normal_ = 0;
};

// A stable 64-bit hash of bytes (FNV-1a 64). The same on every build and platform.
uint64_t StableHash64(absl::string_view bytes);

// The seed of the stream owned by `name` of user `user_number` in a run seeded `run_seed`.
// Distinct (user_number, name) pairs give statistically independent streams.
uint64_t DeriveSeed(uint64_t run_seed, uint64_t user_number, absl::string_view name);

// Picks index i with probability weights[i] / sum(weights). Zero weights are never picked.
class WeightedChoice {
 public:
  // InvalidArgument if `weights` is empty, holds a negative or non-finite weight, or sums to 0.
  static absl::StatusOr<WeightedChoice> Create(const std::vector<double>& weights);

  size_t Pick(RandomStream& rng) const;
  size_t size() const { return cumulative_.size(); }
  // weights[i] / sum(weights).
  double Probability(size_t i) const;

 private:
  WeightedChoice() = default;

  std::vector<double> cumulative_;  // cumulative_[i] = weights[0] + ... + weights[i]
  size_t last_positive_ = 0;        // the last index with a positive weight
};

}  // namespace loadsim

#endif  // LOADSIM_COMMON_RANDOM_H_
