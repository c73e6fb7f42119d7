#include "common/random.h"

#include <algorithm>
#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace loadsim {
namespace {

constexpr double kTwoPowMinus53 = 1.0 / 9007199254740992.0;  // 2^-53

uint64_t RotateLeft(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// splitmix64: advances *state by the golden-ratio increment and returns a well-mixed value.
uint64_t SplitMix64(uint64_t* state) {
  *state += 0x9e3779b97f4a7c15ULL;
  uint64_t z = *state;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;

uint64_t FnvAppend(uint64_t hash, absl::string_view bytes) {
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= kFnvPrime;
  }
  return hash;
}

// Appends the 8 bytes of v, least significant first (independent of host byte order).
uint64_t FnvAppendU64(uint64_t hash, uint64_t v) {
  for (int i = 0; i < 8; ++i) {
    hash ^= (v >> (8 * i)) & 0xff;
    hash *= kFnvPrime;
  }
  return hash;
}

}  // namespace

RandomStream::RandomStream(uint64_t seed) {
  // splitmix64 never yields four zero words from one seed, so the state is never all zero.
  uint64_t s = seed;
  for (uint64_t& word : state_) word = SplitMix64(&s);
}

uint64_t RandomStream::NextU64() {
  // xoshiro256** (Blackman and Vigna).
  const uint64_t result = RotateLeft(state_[1] * 5, 7) * 9;
  const uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = RotateLeft(state_[3], 45);
  return result;
}

double RandomStream::Uniform01() { return static_cast<double>(NextU64() >> 11) * kTwoPowMinus53; }

double RandomStream::UniformOpen01() {
  return static_cast<double>((NextU64() >> 11) + 1) * kTwoPowMinus53;
}

double RandomStream::Normal() {
  if (has_spare_normal_) {
    has_spare_normal_ = false;
    return spare_normal_;
  }
  // Marsaglia polar method: a point uniform in the unit disc (origin excluded) gives two
  // independent standard normals u*f and v*f with f = sqrt(-2 ln s / s).
  double u, v, s;
  do {
    u = 2.0 * Uniform01() - 1.0;
    v = 2.0 * Uniform01() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  const double f = std::sqrt(-2.0 * std::log(s) / s);
  spare_normal_ = v * f;
  has_spare_normal_ = true;
  return u * f;
}

int64_t RandomStream::UniformInt(int64_t lo, int64_t hi_exclusive) {
  if (lo >= hi_exclusive) return lo;
  // Unsigned arithmetic: the width of any int64 range fits uint64.
  const uint64_t range = static_cast<uint64_t>(hi_exclusive) - static_cast<uint64_t>(lo);
  // 2^64 mod range: drawing below this would favour the low residues, so redraw.
  const uint64_t threshold = (0 - range) % range;
  uint64_t x;
  do {
    x = NextU64();
  } while (x < threshold);
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + x % range);
}

uint64_t StableHash64(absl::string_view bytes) { return FnvAppend(kFnvOffset, bytes); }

uint64_t DeriveSeed(uint64_t run_seed, uint64_t user_number, absl::string_view name) {
  uint64_t h = FnvAppendU64(kFnvOffset, run_seed);
  h = FnvAppendU64(h, user_number);
  h = FnvAppend(h, name);
  // FNV's low bits mix poorly for short inputs; finish with splitmix64's avalanche.
  return SplitMix64(&h);
}

absl::StatusOr<WeightedChoice> WeightedChoice::Create(const std::vector<double>& weights) {
  if (weights.empty()) return absl::InvalidArgumentError("no weights");
  WeightedChoice choice;
  choice.cumulative_.reserve(weights.size());
  double total = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    const double w = weights[i];
    if (!std::isfinite(w) || w < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("weight ", i, " is ", w, "; weights must be finite and >= 0"));
    }
    total += w;
    if (w > 0) choice.last_positive_ = i;
    choice.cumulative_.push_back(total);
  }
  if (!(total > 0) || !std::isfinite(total)) {
    return absl::InvalidArgumentError("weights must have a positive, finite sum");
  }
  return choice;
}

size_t WeightedChoice::Pick(RandomStream& rng) const {
  const double x = rng.Uniform01() * cumulative_.back();
  // The first index whose cumulative weight exceeds x; a zero weight never exceeds its
  // predecessor, so it is never chosen.
  const size_t i = static_cast<size_t>(std::upper_bound(cumulative_.begin(), cumulative_.end(), x) -
                                       cumulative_.begin());
  // Rounding in x can reach the total; the draw then belongs to the last positive weight.
  return std::min(i, last_positive_);
}

double WeightedChoice::Probability(size_t i) const {
  if (i >= cumulative_.size()) return 0;
  const double before = i == 0 ? 0 : cumulative_[i - 1];
  return (cumulative_[i] - before) / cumulative_.back();
}

}  // namespace loadsim
