#include "common/random.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <vector>

#include "gtest/gtest.h"

namespace loadsim {
namespace {

// Statistical checks use fixed seeds, so they are deterministic; the tolerances are five
// standard errors of the estimate, so a correct implementation passes for (almost) any seed
// while a wrong formula is off by many standard errors.
constexpr int kSamples = 200000;

// Five standard errors of a proportion p estimated from n draws.
double ProportionTolerance(double p, int n) { return 5 * std::sqrt(p * (1 - p) / n); }

TEST(RandomStreamTest, SameSeedSameSequence) {
  RandomStream a(7), b(7), c(8);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = a.NextU64();
    EXPECT_EQ(x, b.NextU64());
    differs |= x != c.NextU64();
  }
  EXPECT_TRUE(differs);
}

// Reference values from an independent transcription of splitmix64 + xoshiro256** (Python),
// pinned so that a change of generator (which would change every run) is noticed.
TEST(RandomStreamTest, MatchesReferenceXoshiro256StarStar) {
  RandomStream zero(0);
  EXPECT_EQ(zero.NextU64(), 0x99ec5f36cb75f2b4ULL);
  EXPECT_EQ(zero.NextU64(), 0xbf6e1f784956452aULL);
  EXPECT_EQ(zero.NextU64(), 0x1a5f849d4933e6e0ULL);
  RandomStream answer(42);
  EXPECT_EQ(answer.NextU64(), 0x15780b2e0c2ec716ULL);
  EXPECT_EQ(answer.NextU64(), 0x6104d9866d113a7eULL);
}

TEST(RandomStreamTest, Uniform01IsInHalfOpenUnitIntervalWithMeanHalf) {
  RandomStream rng(1);
  double sum = 0;
  for (int i = 0; i < kSamples; ++i) {
    const double u = rng.Uniform01();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
  }
  // Var(U) = 1/12.
  EXPECT_NEAR(sum / kSamples, 0.5, 5 * std::sqrt(1.0 / 12 / kSamples));
}

TEST(RandomStreamTest, UniformOpen01ExcludesZeroIncludesOne) {
  RandomStream rng(2);
  double sum = 0;
  for (int i = 0; i < kSamples; ++i) {
    const double u = rng.UniformOpen01();
    ASSERT_GT(u, 0.0);
    ASSERT_LE(u, 1.0);
    sum += u;
  }
  EXPECT_NEAR(sum / kSamples, 0.5, 5 * std::sqrt(1.0 / 12 / kSamples));
}

TEST(RandomStreamTest, NormalHasMeanZeroVarianceOneAndNormalTails) {
  RandomStream rng(3);
  double sum = 0, sum_sq = 0;
  int below_one = 0, beyond_three = 0;
  for (int i = 0; i < kSamples; ++i) {
    const double z = rng.Normal();
    sum += z;
    sum_sq += z * z;
    below_one += z < 1.0;
    beyond_three += std::fabs(z) > 3.0;
  }
  const double mean = sum / kSamples;
  const double var = sum_sq / kSamples - mean * mean;
  EXPECT_NEAR(mean, 0.0, 5 / std::sqrt(kSamples));       // SE of the mean = 1/sqrt(n)
  EXPECT_NEAR(var, 1.0, 5 * std::sqrt(2.0 / kSamples));  // SE of s^2 = sqrt(2/n) for N(0,1)
  EXPECT_NEAR(below_one / double(kSamples), 0.841345, ProportionTolerance(0.841345, kSamples));
  // P(|Z| > 3) = 0.0027: an Irwin-Hall or clipped approximation would get this wrong.
  EXPECT_NEAR(beyond_three / double(kSamples), 0.0026998, ProportionTolerance(0.0026998, kSamples));
}

TEST(RandomStreamTest, UniformIntStaysInRangeAndIsUnbiasedOnNegativeRanges) {
  RandomStream rng(4);
  constexpr int kLo = -3, kHi = 3;  // six values, half negative
  std::vector<int> counts(kHi - kLo, 0);
  for (int i = 0; i < kSamples; ++i) {
    const int64_t v = rng.UniformInt(kLo, kHi);
    ASSERT_GE(v, kLo);
    ASSERT_LT(v, kHi);
    ++counts[v - kLo];
  }
  for (int c : counts) {
    EXPECT_NEAR(c / double(kSamples), 1.0 / 6, ProportionTolerance(1.0 / 6, kSamples));
  }
}

TEST(RandomStreamTest, UniformIntEdgeRanges) {
  RandomStream rng(5);
  EXPECT_EQ(rng.UniformInt(9, 10), 9);
  EXPECT_EQ(rng.UniformInt(5, 5), 5);  // empty range: lo
  const int64_t min = std::numeric_limits<int64_t>::min();
  const int64_t max = std::numeric_limits<int64_t>::max();
  bool negative = false, positive = false;
  for (int i = 0; i < 100; ++i) {
    const int64_t v = rng.UniformInt(min, max);
    EXPECT_LT(v, max);
    negative |= v < 0;
    positive |= v > 0;
  }
  EXPECT_TRUE(negative && positive);
}

TEST(RandomStreamTest, UniformIntWithRangeJustAboveHalfOfTwoPow64IsUnbiased) {
  // range = 2^63 + 2^62: plain modulo would make the low third twice as likely.
  RandomStream rng(6);
  const int64_t lo = std::numeric_limits<int64_t>::min();
  const int64_t hi = int64_t{1} << 62;  // hi - lo = 2^62 + 2^63
  const uint64_t third = (uint64_t{1} << 62);
  int low = 0;
  for (int i = 0; i < kSamples; ++i) {
    const uint64_t offset =
        static_cast<uint64_t>(rng.UniformInt(lo, hi)) - static_cast<uint64_t>(lo);
    low += offset < third;
  }
  EXPECT_NEAR(low / double(kSamples), 1.0 / 3, ProportionTolerance(1.0 / 3, kSamples));
}

TEST(StableHashTest, IsFnv1a64) {
  EXPECT_EQ(StableHash64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(StableHash64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(StableHash64("foobar"), 0x85944171f73967e8ULL);
}

TEST(DeriveSeedTest, IsStableAcrossBuilds) {
  // Pinned values: a change would alter every seeded run.
  EXPECT_EQ(DeriveSeed(1, 0, ""), 0x14681df3075459cbULL);
  EXPECT_EQ(DeriveSeed(12345, 7, "Eventer.eventStartDistribution"), 0x5f40fede63e07decULL);
}

TEST(DeriveSeedTest, DistinctOwnersGetDistinctSeeds) {
  std::set<uint64_t> seeds;
  for (uint64_t user = 0; user < 100; ++user) {
    for (const char* name : {"a", "b", "Eventer", "Accepter"}) {
      seeds.insert(DeriveSeed(99, user, name));
    }
  }
  seeds.insert(DeriveSeed(98, 0, "a"));
  EXPECT_EQ(seeds.size(), 401u);
}

TEST(DeriveSeedTest, DerivedStreamsAreUncorrelated) {
  // Neighbouring users' streams: the correlation of their uniforms should be ~0 (SE 1/sqrt(n)).
  RandomStream a(DeriveSeed(1, 1, "x")), b(DeriveSeed(1, 2, "x"));
  double sab = 0, sa = 0, sb = 0, saa = 0, sbb = 0;
  for (int i = 0; i < kSamples; ++i) {
    const double x = a.Uniform01(), y = b.Uniform01();
    sab += x * y, sa += x, sb += y, saa += x * x, sbb += y * y;
  }
  const double n = kSamples;
  const double cov = sab / n - (sa / n) * (sb / n);
  const double corr = cov / std::sqrt((saa / n - sa * sa / n / n) * (sbb / n - sb * sb / n / n));
  EXPECT_NEAR(corr, 0.0, 5 / std::sqrt(n));
}

TEST(WeightedChoiceTest, FrequenciesFollowWeightsAndZeroWeightsAreNeverPicked) {
  absl::StatusOr<WeightedChoice> choice = WeightedChoice::Create({0, 1, 0, 3, 0});
  ASSERT_TRUE(choice.ok()) << choice.status();
  EXPECT_DOUBLE_EQ(choice->Probability(3), 0.75);
  RandomStream rng(10);
  std::vector<int> counts(5, 0);
  for (int i = 0; i < kSamples; ++i) ++counts[choice->Pick(rng)];
  EXPECT_EQ(counts[0], 0);
  EXPECT_EQ(counts[2], 0);
  EXPECT_EQ(counts[4], 0);
  EXPECT_NEAR(counts[3] / double(kSamples), 0.75, ProportionTolerance(0.75, kSamples));
}

TEST(WeightedChoiceTest, RejectsBadWeights) {
  EXPECT_FALSE(WeightedChoice::Create({}).ok());
  EXPECT_FALSE(WeightedChoice::Create({0, 0}).ok());
  EXPECT_FALSE(WeightedChoice::Create({1, -1}).ok());
  EXPECT_FALSE(WeightedChoice::Create({1, std::nan("")}).ok());
  EXPECT_FALSE(WeightedChoice::Create({1, std::numeric_limits<double>::infinity()}).ok());
}

}  // namespace
}  // namespace loadsim
