#include "common/distribution.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace loadsim {
namespace {

using ::testing::HasSubstr;

// Every statistical check uses a fixed seed (so it is deterministic) and a tolerance of five
// standard errors computed from the sample size: a correct sampler passes, a wrong formula
// (off by a few percent or more) fails by many standard errors.
constexpr int kSamples = 200000;

double MeanTolerance(double sd, int n) { return 5 * sd / std::sqrt(n); }
double ProportionTolerance(double p, int n) { return 5 * std::sqrt(p * (1 - p) / n); }

v1::Distribution Parse(const std::string& text) {
  v1::Distribution d;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &d)) << text;
  return d;
}

NumberSampler Number(const std::string& text) {
  absl::StatusOr<NumberSampler> s = NumberSampler::Create(Parse(text));
  EXPECT_TRUE(s.ok()) << text << ": " << s.status();
  return *std::move(s);
}

std::vector<double> Draw(NumberSampler sampler, uint64_t seed, int n = kSamples) {
  RandomStream rng(seed);
  std::vector<double> out(n);
  for (double& v : out) v = sampler.Sample(rng);
  return out;
}

double MeanOf(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return sum / v.size();
}

double SdOf(const std::vector<double>& v) {
  const double m = MeanOf(v);
  double ss = 0;
  for (double x : v) ss += (x - m) * (x - m);
  return std::sqrt(ss / (v.size() - 1));
}

double FractionBelow(const std::vector<double>& v, double limit) {
  return std::count_if(v.begin(), v.end(), [&](double x) { return x < limit; }) /
         static_cast<double>(v.size());
}

// ---- numeric shapes -------------------------------------------------------------------------

TEST(NumberSamplerTest, Constant) {
  NumberSampler s = Number("kind: VALUE_KIND_TIME constant { value: 60 }");
  RandomStream rng(1);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(s.Sample(rng), 60);
  EXPECT_EQ(s.Mean(), 60);
  EXPECT_EQ(s.kind(), v1::VALUE_KIND_TIME);
}

TEST(NumberSamplerTest, UniformIsOnHalfOpenRangeWithCorrectMean) {
  NumberSampler s = Number("kind: VALUE_KIND_NUMBER uniform { lo: -2 hi: 6 }");
  const std::vector<double> v = Draw(s, 2);
  for (double x : v) {
    ASSERT_GE(x, -2);
    ASSERT_LT(x, 6);
  }
  EXPECT_EQ(s.Mean(), 2);
  EXPECT_NEAR(MeanOf(v), 2, MeanTolerance(8 / std::sqrt(12.0), kSamples));
  EXPECT_NEAR(FractionBelow(v, 0), 0.25, ProportionTolerance(0.25, kSamples));
}

TEST(NumberSamplerTest, UniformIntegerNeverReturnsMaxAndHitsMin) {
  NumberSampler s = Number("kind: VALUE_KIND_NUMBER uniform_integer { min: 0 max: 99 }");
  const std::vector<double> v = Draw(s, 3);
  std::map<double, int> counts;
  for (double x : v) {
    ASSERT_EQ(x, std::floor(x));
    ++counts[x];
  }
  EXPECT_EQ(counts.count(99), 0u);
  EXPECT_GT(counts[0], 0);
  EXPECT_EQ(counts.size(), 99u);
  EXPECT_EQ(counts.begin()->first, 0);
  EXPECT_EQ(counts.rbegin()->first, 98);
  EXPECT_DOUBLE_EQ(s.Mean(), 49);
}

TEST(NumberSamplerTest, UniformIntegerIsUnbiasedOnNegativeRanges) {
  // CalendarServer's int(uniform(-5, 5)) makes 0 twice as likely and -5 almost impossible.
  NumberSampler s = Number("kind: VALUE_KIND_NUMBER uniform_integer { min: -5 max: 5 }");
  const std::vector<double> v = Draw(s, 4);
  std::map<double, int> counts;
  for (double x : v) ++counts[x];
  ASSERT_EQ(counts.size(), 10u);
  EXPECT_EQ(counts.begin()->first, -5);
  EXPECT_EQ(counts.rbegin()->first, 4);
  for (const auto& [value, count] : counts) {
    EXPECT_NEAR(count / double(kSamples), 0.1, ProportionTolerance(0.1, kSamples)) << value;
  }
  EXPECT_NEAR(MeanOf(v), -0.5, MeanTolerance(std::sqrt((100 - 1) / 12.0), kSamples));
}

TEST(NumberSamplerTest, UniformDiscreteDrawsWithoutReplacementThenRefills) {
  NumberSampler s = Number(
      "kind: VALUE_KIND_TIME uniform_discrete { values: [0, 5, 10, 15, 20, 25, 30] "
      "randomize: true }");
  RandomStream rng(5);
  for (int round = 0; round < 50; ++round) {
    std::multiset<double> got;
    for (int i = 0; i < 7; ++i) got.insert(s.Sample(rng));
    EXPECT_EQ(got, (std::multiset<double>{0, 5, 10, 15, 20, 25, 30}));
  }
  EXPECT_DOUBLE_EQ(s.Mean(), 15);
}

TEST(NumberSamplerTest, UniformDiscreteIsShuffledUniformly) {
  // The first draw of each fresh pool is uniform over the values.
  std::map<double, int> first;
  constexpr int kRounds = 30000;
  for (int i = 0; i < kRounds; ++i) {
    NumberSampler s =
        Number("kind: VALUE_KIND_NUMBER uniform_discrete { values: [1, 2, 3] randomize: true }");
    RandomStream rng(1000 + i);
    ++first[s.Sample(rng)];
  }
  for (const auto& [value, count] : first) {
    EXPECT_NEAR(count / double(kRounds), 1.0 / 3, ProportionTolerance(1.0 / 3, kRounds)) << value;
  }
}

TEST(NumberSamplerTest, UniformDiscreteNotRandomizedPopsFromTheEnd) {
  NumberSampler s =
      Number("kind: VALUE_KIND_NUMBER uniform_discrete { values: [1, 2, 3] randomize: false }");
  RandomStream rng(6);
  std::vector<double> got;
  for (int i = 0; i < 7; ++i) got.push_back(s.Sample(rng));
  EXPECT_EQ(got, (std::vector<double>{3, 2, 1, 3, 2, 1, 3}));
}

TEST(NumberSamplerTest, ExponentialMeanAndMedian) {
  NumberSampler s = Number("kind: VALUE_KIND_TIME exponential { mean: 60 }");
  const std::vector<double> v = Draw(s, 7);
  for (double x : v) ASSERT_GE(x, 0);
  EXPECT_EQ(s.Mean(), 60);
  EXPECT_NEAR(MeanOf(v), 60, MeanTolerance(60, kSamples));  // sd = mean
  EXPECT_NEAR(FractionBelow(v, 60 * std::log(2.0)), 0.5, ProportionTolerance(0.5, kSamples));
}

TEST(NumberSamplerTest, NormalMeanAndSd) {
  NumberSampler s = Number("kind: VALUE_KIND_TIME normal { mean: 600 sd: 60 }");
  const std::vector<double> v = Draw(s, 8);
  EXPECT_NEAR(MeanOf(v), 600, MeanTolerance(60, kSamples));
  // SE of the sample sd of a normal is about sd / sqrt(2n).
  EXPECT_NEAR(SdOf(v), 60, 5 * 60 / std::sqrt(2.0 * kSamples));
  // A true normal: P(X > mean + 3 sd) = 0.00135 (the 12-uniform approximation is too light).
  EXPECT_NEAR(1 - FractionBelow(v, 780), 0.0013499, ProportionTolerance(0.0013499, kSamples));
}

TEST(NumberSamplerTest, NonNegativeNormalRedrawsNegativeValues) {
  // N(10, 20) loses 31% of its mass below 0; the redrawn distribution is truncated there.
  NumberSampler s = Number("kind: VALUE_KIND_TIME normal { mean: 10 sd: 20 non_negative: true }");
  const std::vector<double> v = Draw(s, 9);
  for (double x : v) ASSERT_GE(x, 0);
  // Truncated-normal mean: 10 + 20 * pdf(-0.5) / cdf(0.5) = 10 + 20 * 0.352065 / 0.691462.
  const double expected = 10 + 20 * 0.3520653 / 0.6914625;
  EXPECT_NEAR(s.Mean(), expected, 1e-5);
  EXPECT_NEAR(MeanOf(v), expected, MeanTolerance(20, kSamples));
}

TEST(NumberSamplerTest, LogNormalMedianAndMean) {
  // The shipped invitee count: mu = sigma^2 = ln 6.
  const double mu = std::log(6.0), sigma = std::sqrt(std::log(6.0));
  v1::Distribution d;
  d.set_kind(v1::VALUE_KIND_NUMBER);
  d.mutable_lognormal()->set_mu(mu);
  d.mutable_lognormal()->set_sigma(sigma);
  NumberSampler s = *NumberSampler::Create(d);
  const std::vector<double> v = Draw(s, 10);
  for (double x : v) ASSERT_GT(x, 0);
  EXPECT_NEAR(FractionBelow(v, 6), 0.5, ProportionTolerance(0.5, kSamples));  // median e^mu
  const double mean = std::exp(mu + sigma * sigma / 2);
  const double sd = mean * std::sqrt(std::exp(sigma * sigma) - 1);
  EXPECT_DOUBLE_EQ(s.Mean(), mean);
  EXPECT_NEAR(MeanOf(v), mean, MeanTolerance(sd, kSamples));
}

TEST(NumberSamplerTest, LogNormalWithMaximumIsTruncated) {
  // P(X > 60) is about 4%: those draws are redrawn, never clamped.
  v1::Distribution d;
  d.set_kind(v1::VALUE_KIND_NUMBER);
  d.mutable_lognormal()->set_mu(std::log(6.0));
  d.mutable_lognormal()->set_sigma(std::sqrt(std::log(6.0)));
  d.mutable_lognormal()->set_maximum(60);
  NumberSampler s = *NumberSampler::Create(d);
  const std::vector<double> v = Draw(s, 11);
  for (double x : v) ASSERT_LE(x, 60);
  EXPECT_LT(std::count(v.begin(), v.end(), 60.0), 5);  // no pile-up at the cap
  // The truncated mean from the closed form; the truncated sd is below the untruncated
  // one's 60 % (bounded by 60 / 2), so 30 is a safe sd for the tolerance.
  EXPECT_LT(s.Mean(), 6 * std::exp(std::log(6.0) / 2));
  EXPECT_NEAR(MeanOf(v), s.Mean(), MeanTolerance(30, kSamples));
  EXPECT_NEAR(FractionBelow(v, 6), 0.5 / NormalCdf(std::log(10.0) / std::sqrt(std::log(6.0))),
              ProportionTolerance(0.52, kSamples));
}

TEST(NumberSamplerTest, ZipfProbabilitiesAndRange) {
  NumberSampler s = Number("kind: VALUE_KIND_NUMBER zipf { n: 64 }");
  const std::vector<double> v = Draw(s, 12);
  std::map<double, int> counts;
  for (double x : v) {
    ASSERT_GE(x, 1);
    ASSERT_LE(x, 64);
    ASSERT_EQ(x, std::floor(x));
    ++counts[x];
  }
  const double p1 = std::log(2.0) / std::log(65.0);
  EXPECT_NEAR(counts[1] / double(kSamples), p1, ProportionTolerance(p1, kSamples));
  const double p64 = std::log(65.0 / 64) / std::log(65.0);
  EXPECT_NEAR(counts[64] / double(kSamples), p64, ProportionTolerance(p64, kSamples));
  double mean = 0;  // sum of k P(k), against the closed form used by Mean()
  for (int k = 1; k <= 64; ++k) mean += k * std::log((k + 1.0) / k) / std::log(65.0);
  EXPECT_NEAR(s.Mean(), mean, 1e-9);
  double var = 0;
  for (int k = 1; k <= 64; ++k)
    var += (k - mean) * (k - mean) * std::log((k + 1.0) / k) / std::log(65.0);
  EXPECT_NEAR(MeanOf(v), mean, MeanTolerance(std::sqrt(var), kSamples));
}

TEST(NumberSamplerTest, ZipfOfOneIsAlwaysOne) {
  NumberSampler s = Number("kind: VALUE_KIND_NUMBER zipf { n: 1 }");
  RandomStream rng(13);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(s.Sample(rng), 1);
  EXPECT_DOUBLE_EQ(s.Mean(), 1);
}

TEST(NumberSamplerTest, SequentialCountsUpFromStart) {
  NumberSampler s = Number("kind: VALUE_KIND_NUMBER sequential { start: -2 }");
  RandomStream rng(14);
  for (int i = -2; i < 10; ++i) EXPECT_EQ(s.Sample(rng), i);
  EXPECT_TRUE(std::isnan(s.Mean()));
}

TEST(NumberSamplerTest, CopiesKeepIndependentState) {
  NumberSampler a = Number("kind: VALUE_KIND_NUMBER sequential { start: 1 }");
  RandomStream rng(15);
  a.Sample(rng);
  NumberSampler b = a;
  EXPECT_EQ(a.Sample(rng), 2);
  EXPECT_EQ(b.Sample(rng), 2);
}

TEST(NumberSamplerTest, RejectsWrongKindShapeAndParameters) {
  struct Case {
    const char* text;
    const char* message;
  };
  for (const Case& c : {
           Case{"kind: VALUE_KIND_DATETIME constant { value: 1 }", "cannot produce numbers"},
           Case{"kind: VALUE_KIND_RRULE constant { value: 1 }", "cannot produce numbers"},
           Case{"kind: VALUE_KIND_UNSPECIFIED constant { value: 1 }", "cannot produce numbers"},
           Case{"kind: VALUE_KIND_TIME", "not a numeric distribution shape"},
           Case{"kind: VALUE_KIND_TIME work { }", "not a numeric distribution shape"},
           Case{"kind: VALUE_KIND_TIME uniform { lo: 5 hi: 1 }", "hi must be >= lo"},
           Case{"kind: VALUE_KIND_TIME uniform { lo: -1e308 hi: 1e308 }", "finite"},
           Case{"kind: VALUE_KIND_TIME uniform_integer { min: 5 max: 5 }", "must be > min"},
           Case{"kind: VALUE_KIND_TIME uniform_discrete { }", "must not be empty"},
           Case{"kind: VALUE_KIND_TIME exponential { mean: 0 }", "mean must be > 0"},
           Case{"kind: VALUE_KIND_TIME normal { mean: 1 sd: -1 }", "sd must be >= 0"},
           Case{"kind: VALUE_KIND_TIME normal { mean: -100 sd: 1 non_negative: true }", "too rare"},
           Case{"kind: VALUE_KIND_TIME lognormal { mu: 1 sigma: -1 }", "sigma must be >= 0"},
           Case{"kind: VALUE_KIND_TIME lognormal { mu: 800 sigma: 1 }", "overflow"},
           // z can reach 12: mu + 13 sigma must stay below 700.
           Case{"kind: VALUE_KIND_TIME lognormal { mu: 0 sigma: 60 }", "overflow"},
           // Draws of these overflowed to infinity (pgl_fuzzer aborts on such inputs).
           Case{"kind: VALUE_KIND_TIME exponential { mean: 1e308 }", "beyond +/-1e15"},
           Case{"kind: VALUE_KIND_TIME normal { mean: 0 sd: 1e308 }", "beyond +/-1e15"},
           Case{"kind: VALUE_KIND_TIME uniform { lo: 0 hi: 1e300 }", "beyond +/-1e15"},
           Case{"kind: VALUE_KIND_TIME constant { value: -1e16 }", "beyond +/-1e15"},
           Case{"kind: VALUE_KIND_TIME uniform_discrete { values: [1, 1e16] }", "beyond +/-1e15"},
           Case{"kind: VALUE_KIND_TIME lognormal { mu: 1 sigma: 1 maximum: 1e16 }", "1e15"},
           Case{"kind: VALUE_KIND_TIME lognormal { mu: 10 sigma: 1 maximum: 1 }", "too rare"},
           Case{"kind: VALUE_KIND_TIME lognormal { mu: 1 sigma: 1 maximum: -1 }", "maximum"},
           Case{"kind: VALUE_KIND_NUMBER zipf { n: 0 }", "n must be >= 1"},
           Case{"kind: VALUE_KIND_NUMBER sequential { start: 9007199254740993 }", "2^53"},
       }) {
    absl::StatusOr<NumberSampler> s = NumberSampler::Create(Parse(c.text));
    ASSERT_FALSE(s.ok()) << c.text;
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(s.status().message(), HasSubstr(c.message)) << c.text;
  }
  v1::Distribution nan;
  nan.set_kind(v1::VALUE_KIND_NUMBER);
  nan.mutable_constant()->set_value(std::nan(""));
  EXPECT_FALSE(NumberSampler::Create(nan).ok());
}

// ---- date-times -----------------------------------------------------------------------------

absl::TimeZone Zone(const std::string& name) {
  absl::TimeZone tz;
  EXPECT_TRUE(absl::LoadTimeZone(name, &tz)) << name;
  return tz;
}

absl::Time At(const absl::CivilSecond& cs, const std::string& zone) {
  return absl::FromCivil(cs, Zone(zone));
}

DateTimeSampler Work(const std::string& extra) {
  absl::StatusOr<DateTimeSampler> s = DateTimeSampler::Create(
      Parse("kind: VALUE_KIND_DATETIME work { days_of_week: [1, 2, 3, 4, 5] begin_hour: 8 "
            "end_hour: 17 " +
            extra + " }"));
  EXPECT_TRUE(s.ok()) << s.status();
  return *std::move(s);
}

TEST(DateTimeSamplerTest, NearFutureIsNowPlusWholeSecondsWithLogNormalMedian) {
  absl::StatusOr<DateTimeSampler> s =
      DateTimeSampler::Create(Parse("kind: VALUE_KIND_DATETIME near_future { mu: 7 sigma: 0.8 }"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->tzname(), "UTC");
  const absl::Time now = absl::FromUnixMillis(1700000000123);
  RandomStream rng(20);
  int below_median = 0;
  for (int i = 0; i < kSamples; ++i) {
    const absl::Duration d = s->Sample(rng, now) - now;
    ASSERT_GE(d, absl::ZeroDuration());
    ASSERT_EQ(d, absl::Trunc(d, absl::Seconds(1)));
    below_median += d < absl::Seconds(1097);
  }
  // floor(X) < 1097 iff X < 1097: P = cdf((ln 1097 - 7) / 0.8).
  const double p = NormalCdf((std::log(1097.0) - 7) / 0.8);
  EXPECT_NEAR(below_median / double(kSamples), p, ProportionTolerance(p, kSamples));
}

// The checks every work result must pass.
void ExpectWorkResult(absl::Time t, absl::Time now, const absl::TimeZone& zone,
                      const std::set<absl::Weekday>& days, int begin, int end) {
  const absl::CivilSecond cs = zone.At(t).cs;
  ASSERT_GE(t, now) << "in the past: " << absl::FormatCivilTime(cs);
  ASSERT_TRUE(days.count(absl::GetWeekday(absl::CivilDay(cs)))) << absl::FormatCivilTime(cs);
  ASSERT_GE(cs.hour(), begin) << absl::FormatCivilTime(cs);
  ASSERT_LT(cs.hour(), end) << absl::FormatCivilTime(cs);
  ASSERT_EQ(cs.minute() % 15, 0) << absl::FormatCivilTime(cs);
  ASSERT_EQ(cs.second(), 0) << absl::FormatCivilTime(cs);
}

TEST(DateTimeSamplerTest, WorkResultsAreFutureWorkingQuarterHoursInTheZone) {
  const std::string zone = "America/Los_Angeles";
  DateTimeSampler s =
      Work("tzname: \"America/Los_Angeles\" offset_mean_seconds: 172800 offset_sd_seconds: 115200");
  EXPECT_EQ(s.tzname(), zone);
  const std::set<absl::Weekday> weekdays = {absl::Weekday::monday, absl::Weekday::tuesday,
                                            absl::Weekday::wednesday, absl::Weekday::thursday,
                                            absl::Weekday::friday};
  // Mid-morning Wednesday (the case CalendarServer got wrong), late Friday, Saturday, Sunday
  // night, and an instant with sub-second precision.
  const std::vector<absl::Time> nows = {
      At(absl::CivilSecond(2024, 5, 15, 10, 7, 30), zone),
      At(absl::CivilSecond(2024, 5, 17, 16, 59, 59), zone),
      At(absl::CivilSecond(2024, 5, 18, 12, 0, 0), zone),
      At(absl::CivilSecond(2024, 5, 19, 23, 50, 0), zone),
      At(absl::CivilSecond(2024, 5, 15, 8, 0, 0), zone) + absl::Milliseconds(1),
  };
  RandomStream rng(21);
  for (absl::Time now : nows) {
    for (int i = 0; i < 20000; ++i) {
      ExpectWorkResult(s.Sample(rng, now), now, s.zone(), weekdays, 8, 17);
    }
  }
}

TEST(DateTimeSamplerTest, WorkOffsetDistributionIsTheNonNegativeNormal) {
  // From Monday 08:00, a result on the same Monday means fewer than 9 work hours of offset:
  // P(W < 32400 | W >= 0) for W ~ N(172800, 115200).
  DateTimeSampler s = Work("offset_mean_seconds: 172800 offset_sd_seconds: 115200");
  const absl::Time now = At(absl::CivilSecond(2024, 5, 13, 8, 0, 0), "UTC");
  const absl::Time monday_end = At(absl::CivilSecond(2024, 5, 13, 17, 0, 0), "UTC");
  RandomStream rng(22);
  int same_day = 0;
  for (int i = 0; i < kSamples; ++i) same_day += s.Sample(rng, now) < monday_end;
  const double p = (NormalCdf((32400 - 172800) / 115200.0) - NormalCdf(-1.5)) / NormalCdf(1.5);
  EXPECT_NEAR(same_day / double(kSamples), p, ProportionTolerance(p, kSamples));
}

// With sd 0 the offset is exactly the mean, so the walk through work periods is checked
// exactly.
absl::CivilSecond WorkAt(double offset, const absl::CivilSecond& now, const std::string& zone,
                         const std::string& extra = "") {
  DateTimeSampler s =
      Work("tzname: \"" + zone + "\" offset_mean_seconds: " + std::to_string(offset) +
           " offset_sd_seconds: 0 " + extra);
  RandomStream rng(23);
  return s.zone().At(s.Sample(rng, At(now, zone))).cs;
}

TEST(DateTimeSamplerTest, WorkCountsFromNowNotFromThePeriodStart) {
  // CalendarServer: Wednesday 14:07 + 0 work seconds = Wednesday 08:00, in the past.
  EXPECT_EQ(WorkAt(0, absl::CivilSecond(2024, 5, 15, 14, 7, 0), "UTC"),
            absl::CivilSecond(2024, 5, 15, 14, 15, 0));
  // Exactly on a quarter hour stays there.
  EXPECT_EQ(WorkAt(0, absl::CivilSecond(2024, 5, 15, 14, 15, 0), "UTC"),
            absl::CivilSecond(2024, 5, 15, 14, 15, 0));
  // One second past a quarter hour moves to the next one.
  EXPECT_EQ(WorkAt(0, absl::CivilSecond(2024, 5, 15, 14, 15, 1), "UTC"),
            absl::CivilSecond(2024, 5, 15, 14, 30, 0));
  // 1 h 10 min from 14:07 (counted from 14:15) is 15:25, floored to 15:15.
  EXPECT_EQ(WorkAt(4200, absl::CivilSecond(2024, 5, 15, 14, 7, 0), "UTC"),
            absl::CivilSecond(2024, 5, 15, 15, 15, 0));
}

TEST(DateTimeSamplerTest, WorkCarriesOverToTheNextWorkDay) {
  // Friday 16:30 + 1 h: 30 min on Friday, 30 min on Monday.
  EXPECT_EQ(WorkAt(3600, absl::CivilSecond(2024, 5, 17, 16, 30, 0), "UTC"),
            absl::CivilSecond(2024, 5, 20, 8, 30, 0));
  // Exactly the rest of the day: the next period's start, never the end instant.
  EXPECT_EQ(WorkAt(1800, absl::CivilSecond(2024, 5, 17, 16, 30, 0), "UTC"),
            absl::CivilSecond(2024, 5, 20, 8, 0, 0));
  // Saturday: Monday's start.
  EXPECT_EQ(WorkAt(0, absl::CivilSecond(2024, 5, 18, 10, 0, 0), "UTC"),
            absl::CivilSecond(2024, 5, 20, 8, 0, 0));
  // After hours: the next day.
  EXPECT_EQ(WorkAt(0, absl::CivilSecond(2024, 5, 15, 17, 0, 0), "UTC"),
            absl::CivilSecond(2024, 5, 16, 8, 0, 0));
  // Before hours: the same day's start.
  EXPECT_EQ(WorkAt(0, absl::CivilSecond(2024, 5, 15, 6, 0, 0), "UTC"),
            absl::CivilSecond(2024, 5, 15, 8, 0, 0));
}

TEST(DateTimeSamplerTest, WorkSkipsWholeWeeksExactly) {
  // From Monday 08:00: three weeks of 5 x 9 h, then 1 h more: Monday three weeks on, 09:00.
  EXPECT_EQ(WorkAt(3 * 5 * 9 * 3600 + 3600, absl::CivilSecond(2024, 5, 13, 8, 0, 0), "UTC"),
            absl::CivilSecond(2024, 6, 3, 9, 0, 0));
  // Starting mid-week: Wednesday 12:00 + 2 weeks + 6 h (5 h left on Wednesday, then 1 h).
  EXPECT_EQ(WorkAt(2 * 45 * 3600 + 6 * 3600, absl::CivilSecond(2024, 5, 15, 12, 0, 0), "UTC"),
            absl::CivilSecond(2024, 5, 30, 9, 0, 0));
}

TEST(DateTimeSamplerTest, WorkHonoursOtherDaysAndHours) {
  // Only Sunday and Saturday, 0-24: Friday noon + 25 h = Saturday all day + Sunday 01:00.
  absl::StatusOr<DateTimeSampler> s = DateTimeSampler::Create(
      Parse("kind: VALUE_KIND_DATETIME work { days_of_week: [0, 6] begin_hour: 0 end_hour: 24 "
            "tzname: \"UTC\" offset_mean_seconds: 90000 offset_sd_seconds: 0 }"));
  ASSERT_TRUE(s.ok()) << s.status();
  RandomStream rng(24);
  const absl::Time now = At(absl::CivilSecond(2024, 5, 17, 12, 0, 0), "UTC");
  EXPECT_EQ(absl::UTCTimeZone().At(s->Sample(rng, now)).cs,
            absl::CivilSecond(2024, 5, 19, 1, 0, 0));
}

// Offset 0 every day, all day, in Los Angeles: the result is `utc_now` rounded up to a
// quarter hour, mapped through the zone's daylight-saving changes.
absl::Time AllDayInLosAngeles(const absl::CivilSecond& utc_now) {
  absl::StatusOr<DateTimeSampler> s = DateTimeSampler::Create(
      Parse("kind: VALUE_KIND_DATETIME work { days_of_week: [0, 1, 2, 3, 4, 5, 6] begin_hour: 0 "
            "end_hour: 24 tzname: \"America/Los_Angeles\" }"));
  EXPECT_TRUE(s.ok()) << s.status();
  RandomStream rng(25);
  return s->Sample(rng, absl::FromCivil(utc_now, absl::UTCTimeZone()));
}

TEST(DateTimeSamplerTest, WorkInRepeatedLocalHourIsNeverBeforeNow) {
  // 2023-11-05 in Los Angeles: 01:00-02:00 happens twice. 09:20 UTC is the second 01:20 (PST);
  // 01:30 local must be the second one too (09:30 UTC), not the first (08:30 UTC).
  EXPECT_EQ(AllDayInLosAngeles(absl::CivilSecond(2023, 11, 5, 9, 20, 0)),
            absl::FromCivil(absl::CivilSecond(2023, 11, 5, 9, 30, 0), absl::UTCTimeZone()));
}

TEST(DateTimeSamplerTest, WorkInSkippedLocalHourMovesPastTheGap) {
  // 2023-03-12 in Los Angeles: 02:00 PST jumps to 03:00 PDT at 10:00 UTC. From 01:50 PST the
  // next quarter hour, 02:00, does not exist: the result is 03:00 PDT.
  EXPECT_EQ(AllDayInLosAngeles(absl::CivilSecond(2023, 3, 12, 9, 50, 0)),
            absl::FromCivil(absl::CivilSecond(2023, 3, 12, 10, 0, 0), absl::UTCTimeZone()));
}

TEST(DateTimeSamplerTest, RejectsBadWorkParameters) {
  struct Case {
    const char* text;
    const char* message;
  };
  for (const Case& c : {
           Case{"kind: VALUE_KIND_TIME work { days_of_week: 1 begin_hour: 8 end_hour: 17 }",
                "cannot produce date-times"},
           Case{"kind: VALUE_KIND_DATETIME constant { value: 1 }", "not a date-time"},
           Case{"kind: VALUE_KIND_DATETIME work { begin_hour: 8 end_hour: 17 }",
                "at least one day"},
           Case{"kind: VALUE_KIND_DATETIME work { days_of_week: 7 begin_hour: 8 end_hour: 17 }",
                "0 (Sunday) to 6"},
           Case{"kind: VALUE_KIND_DATETIME work { days_of_week: 1 begin_hour: 17 end_hour: 8 }",
                "begin_hour < end_hour"},
           Case{"kind: VALUE_KIND_DATETIME work { days_of_week: 1 begin_hour: 8 end_hour: 25 }",
                "end_hour <= 24"},
           Case{"kind: VALUE_KIND_DATETIME work { days_of_week: 1 begin_hour: 8 end_hour: 17 "
                "tzname: \"Mars/Olympus\" }",
                "unknown time zone 'Mars/Olympus'"},
           Case{"kind: VALUE_KIND_DATETIME work { days_of_week: 1 begin_hour: 8 end_hour: 17 "
                "offset_mean_seconds: -1 }",
                "offset mean"},
           Case{"kind: VALUE_KIND_DATETIME near_future { mu: 7 sigma: -1 }", "sigma"},
           Case{"kind: VALUE_KIND_DATETIME near_future { mu: 30 sigma: 1 }", "100 years"},
       }) {
    absl::StatusOr<DateTimeSampler> s = DateTimeSampler::Create(Parse(c.text));
    ASSERT_FALSE(s.ok()) << c.text;
    EXPECT_THAT(s.status().message(), HasSubstr(c.message)) << c.text;
  }
}

// ---- recurrence -----------------------------------------------------------------------------

v1::Distribution ShippedRecurrence() {
  // The shipped clients.plist weights, in alphabetical order as configuration builds them.
  return Parse(R"pb(
    kind: VALUE_KIND_RRULE
    recurrence {
      allow: true
      rules { name: "daily" rrule: "FREQ=DAILY" weight: 10 }
      rules { name: "dailylimit" rrule: "FREQ=DAILY;COUNT=14" weight: 2 }
      rules { name: "monthly" rrule: "FREQ=MONTHLY" weight: 2 }
      rules { name: "none" rrule: "" weight: 50 }
      rules { name: "weekly" rrule: "FREQ=WEEKLY" weight: 20 }
      rules { name: "weeklylimit" rrule: "FREQ=WEEKLY;COUNT=4" weight: 5 }
      rules { name: "workdays" rrule: "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR" weight: 10 }
      rules { name: "yearly" rrule: "FREQ=YEARLY" weight: 1 }
    })pb");
}

TEST(RecurrenceSamplerTest, FrequenciesAreWeightOverSumIncludingTheLastEntry) {
  absl::StatusOr<RecurrenceSampler> s = RecurrenceSampler::Create(ShippedRecurrence());
  ASSERT_TRUE(s.ok()) << s.status();
  RandomStream rng(30);
  std::map<std::string, int> counts;
  for (int i = 0; i < kSamples; ++i) ++counts[s->Sample(rng)];
  const std::map<std::string, double> expected = {
      {"FREQ=DAILY", 0.10},
      {"FREQ=DAILY;COUNT=14", 0.02},
      {"FREQ=MONTHLY", 0.02},
      {"", 0.50},
      {"FREQ=WEEKLY", 0.20},
      {"FREQ=WEEKLY;COUNT=4", 0.05},
      {"FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", 0.10},
      {"FREQ=YEARLY", 0.01},  // alphabetically last: CalendarServer never picks it
  };
  for (const auto& [rrule, p] : expected) {
    EXPECT_NEAR(counts[rrule] / double(kSamples), p, ProportionTolerance(p, kSamples))
        << "'" << rrule << "'";
  }
  EXPECT_DOUBLE_EQ(s->Probability("yearly"), 0.01);
}

TEST(RecurrenceSamplerTest, NotAllowedIsAlwaysNone) {
  v1::Distribution d = ShippedRecurrence();
  d.mutable_recurrence()->set_allow(false);
  absl::StatusOr<RecurrenceSampler> s = RecurrenceSampler::Create(d);
  ASSERT_TRUE(s.ok());
  RandomStream rng(31);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(s->Sample(rng), "");
  EXPECT_EQ(s->Probability("none"), 1.0);
}

TEST(RecurrenceSamplerTest, SingleRuleIsAlwaysChosen) {
  absl::StatusOr<RecurrenceSampler> s = RecurrenceSampler::Create(
      Parse("kind: VALUE_KIND_RRULE recurrence { allow: true rules { name: \"daily\" rrule: "
            "\"FREQ=DAILY\" weight: 100 } }"));
  ASSERT_TRUE(s.ok());
  RandomStream rng(32);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(s->Sample(rng), "FREQ=DAILY");
}

TEST(RecurrenceSamplerTest, RejectsEmptyOrZeroWeightsWhenAllowedAndWrongKinds) {
  EXPECT_THAT(RecurrenceSampler::Create(Parse("kind: VALUE_KIND_RRULE recurrence { allow: true }"))
                  .status()
                  .message(),
              HasSubstr("no weights"));
  EXPECT_FALSE(RecurrenceSampler::Create(
                   Parse("kind: VALUE_KIND_RRULE recurrence { allow: true rules { name: \"daily\" "
                         "weight: 0 } }"))
                   .ok());
  EXPECT_FALSE(RecurrenceSampler::Create(
                   Parse("kind: VALUE_KIND_RRULE recurrence { allow: true rules { name: \"daily\" "
                         "weight: -1 } }"))
                   .ok());
  EXPECT_THAT(
      RecurrenceSampler::Create(Parse("kind: VALUE_KIND_TIME recurrence { }")).status().message(),
      HasSubstr("cannot produce recurrence rules"));
  EXPECT_FALSE(
      RecurrenceSampler::Create(Parse("kind: VALUE_KIND_RRULE constant { value: 1 }")).ok());
}

}  // namespace
}  // namespace loadsim
