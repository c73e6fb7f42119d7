#include "common/distribution_config.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "common/distribution.h"
#include "common/plist.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace loadsim {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Statistical checks: fixed seeds, 200k draws, tolerance of five standard errors computed
// from the sample size (see distribution_test.cc).
constexpr int kSamples = 200000;
constexpr char kFile[] = "clients.plist";
constexpr char kPath[] = "clients[0].profiles[1].params.acceptDelayDistribution";

double ProportionTolerance(double p, int n) { return 5 * std::sqrt(p * (1 - p) / n); }

// The 1-based line of the first occurrence of `marker` in `text`.
int LineOf(const std::string& text, const std::string& marker) {
  const size_t at = text.find(marker);
  EXPECT_NE(at, std::string::npos) << marker;
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
}

Value Plist(const std::string& xml) {
  absl::StatusOr<Value> v = ParsePlist(xml, kFile);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *std::move(v) : Value();
}

// A distribution dict {type, params} written one key per line.
std::string Dict(const std::string& type, const std::string& params) {
  return "<dict>\n<key>type</key><string>" + type + "</string>\n<key>params</key>\n<dict>\n" +
         params + "</dict>\n</dict>\n";
}

struct Result {
  std::optional<v1::Distribution> distribution;
  Diagnostics diags;
  std::vector<std::string> errors() const {
    std::vector<std::string> out;
    for (const Diagnostic& d : diags.entries()) {
      if (d.severity == Diagnostic::Severity::kError) out.push_back(d.ToString());
    }
    return out;
  }
};

Result Read(const Value& v, v1::ValueKind kind) {
  Result r;
  r.distribution = DistributionFromValue(v, kind, kPath, &r.diags);
  EXPECT_EQ(r.distribution.has_value(), !r.diags.has_errors());
  return r;
}

Result ReadXml(const std::string& xml, v1::ValueKind kind) { return Read(Plist(xml), kind); }

v1::Distribution Ok(const Result& r) {
  EXPECT_TRUE(r.distribution.has_value()) << r.diags.ToStatus();
  return r.distribution.value_or(v1::Distribution());
}

Result ReadPgl(const std::string& text, v1::ValueKind kind) {
  return Read(Value::String(text, Location{kFile, 7}), kind);
}

// The single error, as "file:line: key.path: message".
std::string OnlyError(const Result& r) {
  const std::vector<std::string> errors = r.errors();
  EXPECT_EQ(errors.size(), 1u) << r.diags.ToStatus();
  return errors.empty() ? "" : errors[0];
}

// The error for a dict whose parameter `key` is wrong, and the prefix it must start with.
void ExpectParamError(const std::string& xml, v1::ValueKind kind, const std::string& line_marker,
                      const std::string& key, const std::string& message) {
  const Result r = ReadXml(xml, kind);
  const std::string prefix = std::string(kFile) + ":" + std::to_string(LineOf(xml, line_marker)) +
                             ": " + kPath + key + ": ";
  EXPECT_THAT(OnlyError(r), AllOf(StartsWith(prefix), HasSubstr(message))) << xml;
}

std::vector<double> Draw(const v1::Distribution& d, uint64_t seed) {
  absl::StatusOr<NumberSampler> s = NumberSampler::Create(d);
  EXPECT_TRUE(s.ok()) << s.status();
  RandomStream rng(seed);
  std::vector<double> out(kSamples);
  for (double& x : out) x = s->Sample(rng);
  return out;
}

double MeanOf(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return sum / v.size();
}

double FractionBelow(const std::vector<double>& v, double limit) {
  return std::count_if(v.begin(), v.end(), [&](double x) { return x < limit; }) /
         static_cast<double>(v.size());
}

// Moments of exp(N(mu, sigma)): E[X^k] = exp(k mu + k^2 sigma^2 / 2).
double LogNormalMoment(double mu, double sigma, int k) {
  return std::exp(k * mu + k * k * sigma * sigma / 2);
}

// ---- LogNormalDistribution ------------------------------------------------------------------

TEST(LogNormalConfigTest, ModeAndMedianHitBoth) {
  // The shipped accept delay, with the dotted class name.
  const std::string xml = Dict("contrib.performance.stats.LogNormalDistribution",
                               "<key>mode</key><integer>300</integer>\n"
                               "<key>median</key><integer>1800</integer>\n");
  const v1::Distribution d = Ok(ReadXml(xml, v1::VALUE_KIND_TIME));
  EXPECT_EQ(d.kind(), v1::VALUE_KIND_TIME);
  EXPECT_EQ(d.text(), "logn(mode=300s, median=1800s)");
  EXPECT_EQ(d.origin().file(), kFile);
  EXPECT_EQ(d.origin().line(), 1);
  ASSERT_TRUE(d.has_lognormal());
  const double mu = d.lognormal().mu(), sigma = d.lognormal().sigma();
  EXPECT_NEAR(mu, std::log(1800.0), 1e-12);
  EXPECT_NEAR(sigma * sigma, std::log(6.0), 1e-12);
  // The mode of exp(N(mu, sigma)) is exp(mu - sigma^2).
  EXPECT_NEAR(std::exp(mu - sigma * sigma), 300, 1e-9);
  const std::vector<double> v = Draw(d, 1);
  EXPECT_NEAR(FractionBelow(v, 1800), 0.5, ProportionTolerance(0.5, kSamples));
  // The mode from the samples: the densest bin of log-spaced bins, converted to a density on
  // the linear scale (count / bin width), lies near 300.
  std::vector<int> bins(100, 0);
  const double lo = std::log(30.0), hi = std::log(30000.0);
  for (double x : v) {
    const double t = (std::log(x) - lo) / (hi - lo) * bins.size();
    if (t >= 0 && t < bins.size()) ++bins[static_cast<size_t>(t)];
  }
  double best_density = 0, best_x = 0;
  for (size_t i = 0; i < bins.size(); ++i) {
    const double a = std::exp(lo + (hi - lo) * i / bins.size());
    const double b = std::exp(lo + (hi - lo) * (i + 1) / bins.size());
    if (bins[i] / (b - a) > best_density) best_density = bins[i] / (b - a), best_x = (a + b) / 2;
  }
  // The density is flat near the mode, so bin noise moves the peak by up to ~40%: the check
  // is loose but still tells 300 from a wrong formula's mode (e.g. 732 for sigma^2 = ln 6 / 2).
  EXPECT_GT(best_x, 150);
  EXPECT_LT(best_x, 600);
}

TEST(LogNormalConfigTest, IntegerRatiosUseFloatDivision) {
  // r11831 computed 8 / 6 == 1, giving sigma 0 and a constant 6.
  const v1::Distribution d = Ok(ReadXml(Dict("LogNormalDistribution",
                                             "<key>mode</key><integer>6</integer>\n"
                                             "<key>median</key><integer>8</integer>\n"),
                                        v1::VALUE_KIND_NUMBER));
  EXPECT_NEAR(d.lognormal().sigma() * d.lognormal().sigma(), std::log(8.0 / 6.0), 1e-12);
}

TEST(LogNormalConfigTest, ModeAndMeanGiveTheRequestedMean) {
  // CalendarServer treated "mean" as the median; here the sample mean is the mean.
  const v1::Distribution d = Ok(ReadXml(Dict("LogNormalDistribution",
                                             "<key>mode</key><integer>300</integer>\n"
                                             "<key>mean</key><integer>1800</integer>\n"),
                                        v1::VALUE_KIND_TIME));
  EXPECT_EQ(d.text(), "logn(mode=300s, mean=1800s)");
  const double mu = d.lognormal().mu(), sigma = d.lognormal().sigma();
  EXPECT_NEAR(sigma * sigma, 2.0 / 3.0 * std::log(6.0), 1e-12);
  EXPECT_NEAR(std::exp(mu - sigma * sigma), 300, 1e-9);  // mode
  const double var = LogNormalMoment(mu, sigma, 2) - 1800.0 * 1800.0;
  EXPECT_NEAR(MeanOf(Draw(d, 2)), 1800, 5 * std::sqrt(var / kSamples));
  EXPECT_NEAR(NumberSampler::Create(d)->Mean(), 1800, 1e-9);
}

TEST(LogNormalConfigTest, MuSigmaWithMaximum) {
  // The shipped invitee count: mode 1, median 6, maximum 60.0 (a real).
  const v1::Distribution d = Ok(ReadXml(Dict("LogNormalDistribution",
                                             "<key>mode</key><integer>1</integer>\n"
                                             "<key>median</key><integer>6</integer>\n"
                                             "<key>maximum</key><real>60.0</real>\n"),
                                        v1::VALUE_KIND_NUMBER));
  EXPECT_EQ(d.text(), "logn(mode=1, median=6, max=60)");
  EXPECT_EQ(d.lognormal().maximum(), 60);
  const std::vector<double> v = Draw(d, 3);
  EXPECT_LE(*std::max_element(v.begin(), v.end()), 60);

  const v1::Distribution m = Ok(ReadXml(Dict("LogNormalDistribution",
                                             "<key>mu</key><real>1.2</real>\n"
                                             "<key>sigma</key><real>1.2</real>\n"),
                                        v1::VALUE_KIND_NUMBER));
  EXPECT_EQ(m.text(), "logn(mu=1.2, sigma=1.2)");
  EXPECT_DOUBLE_EQ(m.lognormal().mu(), 1.2);
  EXPECT_DOUBLE_EQ(m.lognormal().sigma(), 1.2);
}

TEST(LogNormalConfigTest, ParametersMayCarryUnits) {
  const v1::Distribution d = Ok(ReadXml(Dict("LogNormalDistribution",
                                             "<key>mode</key><string>5min</string>\n"
                                             "<key>median</key><string>30min</string>\n"),
                                        v1::VALUE_KIND_TIME));
  EXPECT_EQ(d.text(), "logn(mode=300s, median=1800s)");
}

TEST(LogNormalConfigTest, Rejections) {
  const auto T = v1::VALUE_KIND_TIME;
  ExpectParamError(Dict("LogNormalDistribution", "<key>mu</key><integer>1</integer>\n"), T,
                   "<key>mu</key>", ".params.mu", "given without sigma");
  ExpectParamError(Dict("LogNormalDistribution", "<key>sigma</key><integer>1</integer>\n"), T,
                   "<key>sigma</key>", ".params.sigma", "given without mu");
  ExpectParamError(Dict("LogNormalDistribution",
                        "<key>mode</key><integer>300</integer>\n"
                        "<key>median</key><integer>100</integer>\n"),
                   T, "<key>median</key>", ".params.median", "must be >= mode (300s)");
  ExpectParamError(Dict("LogNormalDistribution",
                        "<key>mode</key><integer>300</integer>\n"
                        "<key>mean</key><integer>100</integer>\n"),
                   T, "<key>mean</key>", ".params.mean", "must be >= mode (300s)");
  ExpectParamError(Dict("LogNormalDistribution", "<key>median</key><integer>100</integer>\n"), T,
                   "<dict>\n<key>median", ".params.mode", "required");
  ExpectParamError(Dict("LogNormalDistribution", "<key>mode</key><integer>100</integer>\n"), T,
                   "<dict>\n<key>mode", ".params.median", "mode needs median or mean");
  ExpectParamError(Dict("LogNormalDistribution",
                        "<key>mode</key><integer>1</integer>\n"
                        "<key>median</key><integer>6</integer>\n"
                        "<key>mean</key><integer>9</integer>\n"),
                   T, "<key>mean</key>", ".params.mean", "not both");
  ExpectParamError(Dict("LogNormalDistribution",
                        "<key>mu</key><integer>1</integer>\n"
                        "<key>sigma</key><integer>1</integer>\n"
                        "<key>mode</key><integer>1</integer>\n"),
                   T, "<key>mode</key>", ".params.mode", "conflicts with mu and sigma");
  ExpectParamError(Dict("LogNormalDistribution",
                        "<key>mode</key><integer>0</integer>\n"
                        "<key>median</key><integer>6</integer>\n"),
                   T, "<key>mode</key>", ".params.mode", "must be > 0");
  ExpectParamError(Dict("LogNormalDistribution",
                        "<key>mu</key><integer>1</integer>\n"
                        "<key>sigma</key><integer>-1</integer>\n"),
                   T, "<key>sigma</key>", ".params.sigma", "must be >= 0");
  // maximum far below the median: almost every draw would be redrawn.
  ExpectParamError(Dict("LogNormalDistribution",
                        "<key>mode</key><integer>300</integer>\n"
                        "<key>median</key><integer>1800</integer>\n"
                        "<key>maximum</key><integer>10</integer>\n"),
                   T, "<key>maximum</key>", ".params.maximum", "at least 1% is needed");
  ExpectParamError(Dict("LogNormalDistribution",
                        "<key>mode</key><integer>300</integer>\n"
                        "<key>median</key><integer>1800</integer>\n"
                        "<key>maximum</key><integer>0</integer>\n"),
                   T, "<key>maximum</key>", ".params.maximum", "must be > 0");
  ExpectParamError(Dict("LogNormalDistribution",
                        "<key>mode</key><string>5KB</string>\n"
                        "<key>median</key><integer>1800</integer>\n"),
                   T, "<key>mode</key>", ".params.mode",
                   "is a size but this parameter takes a time");
  ExpectParamError(Dict("LogNormalDistribution",
                        "<key>mu</key><string>5min</string>\n"
                        "<key>sigma</key><integer>1</integer>\n"),
                   T, "<key>mu</key>", ".params.mu", "takes a plain number");
  ExpectParamError(Dict("LogNormalDistribution",
                        "<key>mode</key><true/>\n"
                        "<key>median</key><integer>1800</integer>\n"),
                   T, "<key>mode</key>", ".params.mode", "must be a number, got boolean");
}

// ---- the other CalendarServer classes -------------------------------------------------------

TEST(CalendarServerConfigTest, UniformInteger) {
  const v1::Distribution d = Ok(ReadXml(Dict("UniformIntegerDistribution",
                                             "<key>min</key><integer>0</integer>\n"
                                             "<key>max</key><integer>99</integer>\n"),
                                        v1::VALUE_KIND_NUMBER));
  EXPECT_EQ(d.uniform_integer().min(), 0);
  EXPECT_EQ(d.uniform_integer().max(), 99);
  EXPECT_EQ(d.text(), "unif_int(0, 99)");
  const std::vector<double> v = Draw(d, 4);
  EXPECT_EQ(*std::max_element(v.begin(), v.end()), 98);
  EXPECT_EQ(*std::min_element(v.begin(), v.end()), 0);

  ExpectParamError(Dict("UniformIntegerDistribution",
                        "<key>min</key><integer>5</integer>\n"
                        "<key>max</key><integer>5</integer>\n"),
                   v1::VALUE_KIND_NUMBER, "<key>max</key>", ".params.max",
                   "must be greater than min (5)");
  ExpectParamError(Dict("UniformIntegerDistribution",
                        "<key>min</key><real>0.5</real>\n"
                        "<key>max</key><integer>5</integer>\n"),
                   v1::VALUE_KIND_NUMBER, "<key>min</key>", ".params.min", "whole number");
  ExpectParamError(Dict("UniformIntegerDistribution", "<key>min</key><integer>0</integer>\n"),
                   v1::VALUE_KIND_NUMBER, "<dict>\n<key>min", ".params.max", "required");
}

TEST(CalendarServerConfigTest, UniformDiscrete) {
  const v1::Distribution d =
      Ok(ReadXml(Dict("UniformDiscreteDistribution",
                      "<key>values</key><array><integer>0</integer><integer>5</integer>"
                      "<integer>10</integer></array>\n"),
                 v1::VALUE_KIND_TIME));
  EXPECT_THAT(d.uniform_discrete().values(), ElementsAre(0, 5, 10));
  EXPECT_TRUE(d.uniform_discrete().randomize());
  EXPECT_EQ(d.text(), "discrete(0s, 5s, 10s)");
  const v1::Distribution ordered =
      Ok(ReadXml(Dict("UniformDiscreteDistribution",
                      "<key>values</key><array><integer>1</integer></array>\n"
                      "<key>randomize</key><false/>\n"),
                 v1::VALUE_KIND_NUMBER));
  EXPECT_FALSE(ordered.uniform_discrete().randomize());

  ExpectParamError(Dict("UniformDiscreteDistribution", "<key>values</key><array/>\n"),
                   v1::VALUE_KIND_TIME, "<key>values</key>", ".params.values", "must not be empty");
  ExpectParamError(Dict("UniformDiscreteDistribution",
                        "<key>values</key><array><integer>0</integer>\n<string>x</string>"
                        "</array>\n"),
                   v1::VALUE_KIND_TIME, "<string>x", ".params.values[1]", "invalid value \"x\"");
  ExpectParamError(Dict("UniformDiscreteDistribution",
                        "<key>values</key><array><integer>1</integer></array>\n"
                        "<key>randomize</key><string>no</string>\n"),
                   v1::VALUE_KIND_TIME, "<key>randomize</key>", ".params.randomize",
                   "must be a boolean");
}

TEST(CalendarServerConfigTest, NormalIsNonNegative) {
  const v1::Distribution d = Ok(ReadXml(Dict("NormalDistribution",
                                             "<key>mu</key><integer>60</integer>\n"
                                             "<key>sigma</key><integer>5</integer>\n"),
                                        v1::VALUE_KIND_TIME));
  EXPECT_EQ(d.normal().mean(), 60);
  EXPECT_EQ(d.normal().sd(), 5);
  EXPECT_TRUE(d.normal().non_negative());
  EXPECT_EQ(d.text(), "norm(60s, 5s; non-negative)");
  ExpectParamError(Dict("NormalDistribution",
                        "<key>mu</key><integer>60</integer>\n"
                        "<key>sigma</key><integer>-5</integer>\n"),
                   v1::VALUE_KIND_TIME, "<key>sigma</key>", ".params.sigma", "must be >= 0");
  ExpectParamError(Dict("NormalDistribution",
                        "<key>mu</key><integer>-600</integer>\n"
                        "<key>sigma</key><integer>60</integer>\n"),
                   v1::VALUE_KIND_TIME, "<key>mu</key>", ".params.mu", "at least 1% is needed");
}

TEST(CalendarServerConfigTest, Fixed) {
  const v1::Distribution d = Ok(ReadXml(
      Dict("FixedDistribution", "<key>value</key><integer>120</integer>\n"), v1::VALUE_KIND_TIME));
  EXPECT_EQ(d.constant().value(), 120);
  EXPECT_EQ(d.text(), "const(120s)");
  ExpectParamError(Dict("FixedDistribution", ""), v1::VALUE_KIND_TIME, "<dict>\n</dict>",
                   ".params.value", "required");
}

TEST(CalendarServerConfigTest, NearFuture) {
  const Result r = ReadXml(Dict("NearFutureDistribution", ""), v1::VALUE_KIND_DATETIME);
  const v1::Distribution d = Ok(r);
  EXPECT_EQ(d.near_future().mu(), 7);
  EXPECT_DOUBLE_EQ(d.near_future().sigma(), 0.8);
  EXPECT_EQ(d.text(), "near_future(mu=7, sigma=0.8)");
  EXPECT_TRUE(r.diags.Warnings().empty());
}

TEST(CalendarServerConfigTest, WorkAsShipped) {
  const std::string xml = Dict(
      "contrib.performance.stats.WorkDistribution",
      "<key>daysOfWeek</key><array><string>mon</string><string>tue</string><string>wed</string>"
      "<string>thu</string><string>fri</string></array>\n"
      "<key>beginHour</key><integer>8</integer>\n"
      "<key>endHour</key><integer>16</integer>\n"
      "<key>tzname</key><string>America/Los_Angeles</string>\n");
  const v1::Distribution d = Ok(ReadXml(xml, v1::VALUE_KIND_DATETIME));
  EXPECT_EQ(d.text(), "work(mon-fri 08:00-16:00 America/Los_Angeles)");
  EXPECT_THAT(d.work().days_of_week(), ElementsAre(1, 2, 3, 4, 5));
  EXPECT_EQ(d.work().offset_mean_seconds(), 172800);
  EXPECT_EQ(d.work().offset_sd_seconds(), 115200);
  EXPECT_TRUE(DateTimeSampler::Create(d).ok());
}

TEST(CalendarServerConfigTest, WorkDefaults) {
  const v1::Distribution d = Ok(ReadXml(Dict("WorkDistribution", ""), v1::VALUE_KIND_DATETIME));
  EXPECT_EQ(d.text(), "work(mon-fri 08:00-17:00 UTC)");
  const v1::Distribution weekend = Ok(ReadXml(
      Dict("WorkDistribution",
           "<key>daysOfWeek</key><array><string>Sun</string><string>sat</string></array>\n"),
      v1::VALUE_KIND_DATETIME));
  EXPECT_EQ(weekend.text(), "work(sun,sat 08:00-17:00 UTC)");
}

TEST(CalendarServerConfigTest, WorkRejections) {
  const auto D = v1::VALUE_KIND_DATETIME;
  ExpectParamError(Dict("WorkDistribution",
                        "<key>daysOfWeek</key><array><string>mon</string>\n"
                        "<string>funday</string></array>\n"),
                   D, "<string>funday", ".params.daysOfWeek[1]",
                   "unknown day \"funday\"; days are sun, mon, tue, wed, thu, fri, sat");
  ExpectParamError(Dict("WorkDistribution", "<key>daysOfWeek</key><array/>\n"), D,
                   "<key>daysOfWeek</key>", ".params.daysOfWeek", "at least one day");
  ExpectParamError(Dict("WorkDistribution",
                        "<key>beginHour</key><integer>17</integer>\n"
                        "<key>endHour</key><integer>8</integer>\n"),
                   D, "<key>endHour</key>", ".params.endHour", "later than beginHour (17)");
  ExpectParamError(Dict("WorkDistribution", "<key>endHour</key><integer>25</integer>\n"), D,
                   "<key>endHour</key>", ".params.endHour", "from 0 to 24");
  ExpectParamError(Dict("WorkDistribution", "<key>beginHour</key><integer>-1</integer>\n"), D,
                   "<key>beginHour</key>", ".params.beginHour", "from 0 to 24");
  ExpectParamError(Dict("WorkDistribution", "<key>tzname</key><string>Mars/Olympus</string>\n"), D,
                   "<key>tzname</key>", ".params.tzname", "unknown time zone \"Mars/Olympus\"");
}

TEST(CalendarServerConfigTest, RecurrenceAsShipped) {
  const std::string xml = Dict("RecurrenceDistribution",
                               "<key>allowRecurrence</key><true/>\n"
                               "<key>weights</key>\n<dict>\n"
                               "<key>none</key><integer>50</integer>\n"
                               "<key>daily</key><integer>10</integer>\n"
                               "<key>weekly</key><integer>20</integer>\n"
                               "<key>monthly</key><integer>2</integer>\n"
                               "<key>yearly</key><integer>1</integer>\n"
                               "<key>dailylimit</key><integer>2</integer>\n"
                               "<key>weeklylimit</key><integer>5</integer>\n"
                               "<key>workdays</key><integer>10</integer>\n"
                               "</dict>\n");
  const v1::Distribution d = Ok(ReadXml(xml, v1::VALUE_KIND_RRULE));
  ASSERT_TRUE(d.recurrence().allow());
  std::vector<std::string> names, rrules;
  for (const v1::RecurrenceRule& r : d.recurrence().rules()) {
    names.push_back(r.name());
    rrules.push_back(r.rrule());
  }
  EXPECT_THAT(names, ElementsAre("daily", "dailylimit", "monthly", "none", "weekly", "weeklylimit",
                                 "workdays", "yearly"));
  EXPECT_THAT(rrules,
              ElementsAre("FREQ=DAILY", "FREQ=DAILY;COUNT=14", "FREQ=MONTHLY", "", "FREQ=WEEKLY",
                          "FREQ=WEEKLY;COUNT=4", "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", "FREQ=YEARLY"));
  EXPECT_EQ(d.text(),
            "recurrence(daily=10, dailylimit=2, monthly=2, none=50, weekly=20, weeklylimit=5, "
            "workdays=10, yearly=1)");
  // The alphabetically last rule is drawn with probability weight / sum.
  absl::StatusOr<RecurrenceSampler> s = RecurrenceSampler::Create(d);
  ASSERT_TRUE(s.ok()) << s.status();
  RandomStream rng(5);
  int yearly = 0;
  for (int i = 0; i < kSamples; ++i) yearly += s->Sample(rng) == "FREQ=YEARLY";
  EXPECT_NEAR(yearly / double(kSamples), 0.01, ProportionTolerance(0.01, kSamples));
}

TEST(CalendarServerConfigTest, RecurrenceNotAllowed) {
  const v1::Distribution d = Ok(ReadXml(Dict("RecurrenceDistribution", ""), v1::VALUE_KIND_RRULE));
  EXPECT_FALSE(d.recurrence().allow());
  EXPECT_EQ(d.text(), "recurrence(none)");
}

TEST(CalendarServerConfigTest, RecurrenceRejections) {
  const auto R = v1::VALUE_KIND_RRULE;
  ExpectParamError(Dict("RecurrenceDistribution",
                        "<key>allowRecurrence</key><true/>\n"
                        "<key>weights</key><dict>\n<key>fortnightly</key><integer>5</integer>\n"
                        "</dict>\n"),
                   R, "<key>fortnightly", ".params.weights.fortnightly",
                   "unknown recurrence rule; known: daily, dailylimit");
  ExpectParamError(Dict("RecurrenceDistribution",
                        "<key>allowRecurrence</key><true/>\n"
                        "<key>weights</key><dict>\n<key>daily</key><integer>-5</integer>\n"
                        "</dict>\n"),
                   R, "<key>daily", ".params.weights.daily", "must be >= 0");
  ExpectParamError(Dict("RecurrenceDistribution",
                        "<key>allowRecurrence</key><true/>\n"
                        "<key>weights</key><dict/>\n"),
                   R, "<key>weights", ".params.weights", "no weights are given");
  ExpectParamError(Dict("RecurrenceDistribution", "<key>allowRecurrence</key><true/>\n"), R,
                   "<key>allowRecurrence", ".params.weights", "no weights are given");
  ExpectParamError(Dict("RecurrenceDistribution",
                        "<key>allowRecurrence</key><true/>\n"
                        "<key>weights</key><dict>\n<key>daily</key><integer>0</integer>\n"
                        "</dict>\n"),
                   R, "<key>weights", ".params.weights", "every weight is 0");
}

// ---- dict-level checks ----------------------------------------------------------------------

TEST(DistributionDictTest, UnknownTypeListsKnownNames) {
  const std::string xml = Dict("contrib.performance.stats.GammaDistribution", "");
  EXPECT_THAT(OnlyError(ReadXml(xml, v1::VALUE_KIND_TIME)),
              AllOf(StartsWith(std::string(kFile) + ":2: " + kPath + ".type: "),
                    HasSubstr("unknown distribution"), HasSubstr("LogNormalDistribution"),
                    HasSubstr("WorkDistribution")));
}

TEST(DistributionDictTest, MissingOrBadTypeAndParams) {
  EXPECT_THAT(
      OnlyError(ReadXml("<dict>\n<key>params</key><dict/>\n</dict>\n", v1::VALUE_KIND_TIME)),
      AllOf(StartsWith(std::string(kFile) + ":1: " + kPath + ": "), HasSubstr("needs 'type'")));
  EXPECT_THAT(OnlyError(ReadXml("<dict>\n<key>type</key><integer>1</integer>\n</dict>\n",
                                v1::VALUE_KIND_TIME)),
              HasSubstr(".type: must be a string"));
  EXPECT_THAT(OnlyError(ReadXml("<dict>\n<key>type</key><string>FixedDistribution</string>\n"
                                "<key>params</key><array/>\n</dict>\n",
                                v1::VALUE_KIND_TIME)),
              AllOf(HasSubstr(":3: "), HasSubstr(".params: must be a dict")));
}

TEST(DistributionDictTest, UnknownKeysAreWarnings) {
  const std::string xml =
      "<dict>\n<key>type</key><string>FixedDistribution</string>\n"
      "<key>comment</key><string>x</string>\n"
      "<key>params</key>\n<dict>\n<key>value</key><integer>1</integer>\n"
      "<key>valeu</key><integer>2</integer>\n</dict>\n</dict>\n";
  const Result r = ReadXml(xml, v1::VALUE_KIND_NUMBER);
  Ok(r);
  EXPECT_THAT(
      r.diags.Warnings(),
      ElementsAre(
          AllOf(StartsWith(std::string(kFile) + ":3: warning: " + kPath + ".comment: ")),
          AllOf(StartsWith(std::string(kFile) + ":7: warning: " + kPath + ".params.valeu: "),
                HasSubstr("unknown parameter of FixedDistribution"), HasSubstr("known: value"))));
}

TEST(DistributionDictTest, KindsMustMatchTheSlot) {
  const std::string type_prefix = std::string(kFile) + ":2: " + kPath + ".type: ";
  EXPECT_THAT(OnlyError(ReadXml(Dict("WorkDistribution", ""), v1::VALUE_KIND_TIME)),
              AllOf(StartsWith(type_prefix), HasSubstr("WorkDistribution gives date-times; "
                                                       "this parameter takes a time")));
  EXPECT_THAT(OnlyError(ReadXml(Dict("NearFutureDistribution", ""), v1::VALUE_KIND_RRULE)),
              AllOf(StartsWith(type_prefix), HasSubstr("RecurrenceDistribution")));
  EXPECT_THAT(OnlyError(ReadXml(Dict("RecurrenceDistribution", ""), v1::VALUE_KIND_NUMBER)),
              AllOf(StartsWith(type_prefix), HasSubstr("gives recurrence rules")));
  EXPECT_THAT(OnlyError(ReadXml(Dict("FixedDistribution", "<key>value</key><integer>1</integer>\n"),
                                v1::VALUE_KIND_DATETIME)),
              AllOf(StartsWith(type_prefix),
                    HasSubstr("gives numbers; this parameter takes a "
                              "date-time distribution"),
                    HasSubstr("WorkDistribution")));
  EXPECT_THAT(OnlyError(ReadPgl("exp(60s)", v1::VALUE_KIND_DATETIME)),
              AllOf(StartsWith(std::string(kFile) + ":7: " + kPath + ": "),
                    HasSubstr("takes a date-time distribution")));
  EXPECT_THAT(OnlyError(Read(Value::Integer(5, Location{kFile, 9}), v1::VALUE_KIND_RRULE)),
              AllOf(StartsWith(std::string(kFile) + ":9: " + kPath + ": "),
                    HasSubstr("RecurrenceDistribution")));
  EXPECT_THAT(OnlyError(Read(Value::Bool(true, Location{kFile, 9}), v1::VALUE_KIND_TIME)),
              HasSubstr("expected a distribution"));
}

// ---- PGL strings and plain numbers ----------------------------------------------------------

TEST(PglDistributionTest, ShapesWithUnits) {
  struct Case {
    const char* text;
    v1::ValueKind kind;
    const char* canonical;
  };
  for (const Case& c : {
           Case{"exp(60s)", v1::VALUE_KIND_TIME, "exp(60s)"},
           Case{"exp(60)", v1::VALUE_KIND_TIME, "exp(60s)"},
           Case{" logn( 30min , 10min ) ", v1::VALUE_KIND_TIME, "logn(1800s, 600s)"},
           Case{"unif(1, 5)", v1::VALUE_KIND_NUMBER, "unif(1, 5)"},
           Case{"unif(1, 5)", v1::VALUE_KIND_TIME, "unif(1s, 5s)"},
           Case{"exp(13KB)", v1::VALUE_KIND_SIZE, "exp(13KB)"},
           Case{"norm(2.5sec, 1sec)", v1::VALUE_KIND_TIME, "norm(2.5s, 1s)"},
           Case{"zipf(64)", v1::VALUE_KIND_NUMBER, "zipf(64)"},
           Case{"seq(5)", v1::VALUE_KIND_NUMBER, "seq(5)"},
           Case{"const(2)", v1::VALUE_KIND_NUMBER, "const(2)"},
           Case{"const(50%)", v1::VALUE_KIND_NUMBER, "const(0.5)"},
           Case{"5min", v1::VALUE_KIND_TIME, "const(300s)"},
       }) {
    const v1::Distribution d = Ok(ReadPgl(c.text, c.kind));
    EXPECT_EQ(d.text(), c.canonical) << c.text;
    EXPECT_EQ(d.kind(), c.kind) << c.text;
    EXPECT_EQ(d.origin().line(), 7) << c.text;
  }
  EXPECT_EQ(Ok(ReadPgl("exp(13KB)", v1::VALUE_KIND_SIZE)).exponential().mean(), 13312);
  EXPECT_EQ(Ok(ReadPgl("zipf(64)", v1::VALUE_KIND_NUMBER)).zipf().n(), 64);
  EXPECT_EQ(Ok(ReadPgl("seq(5)", v1::VALUE_KIND_NUMBER)).sequential().start(), 5);
  EXPECT_FALSE(Ok(ReadPgl("norm(1, 1)", v1::VALUE_KIND_NUMBER)).normal().non_negative());
}

TEST(PglDistributionTest, LognMeanAndSdAreThoseOfTheVariable) {
  const v1::Distribution d = Ok(ReadPgl("logn(30min, 10min)", v1::VALUE_KIND_TIME));
  const double mu = d.lognormal().mu(), sigma = d.lognormal().sigma();
  const std::vector<double> v = Draw(d, 6);
  // Standard errors from the lognormal's own moments: Var(mean) = var / n; for the sample
  // variance, Var(s^2) ~ (m4 - var^2) / n with m4 the fourth central moment; SE(s) ~
  // SE(s^2) / (2 sd).
  const double m1 = LogNormalMoment(mu, sigma, 1), m2 = LogNormalMoment(mu, sigma, 2);
  const double m3 = LogNormalMoment(mu, sigma, 3), m4 = LogNormalMoment(mu, sigma, 4);
  const double var = m2 - m1 * m1;
  const double central4 = m4 - 4 * m1 * m3 + 6 * m1 * m1 * m2 - 3 * m1 * m1 * m1 * m1;
  EXPECT_NEAR(m1, 1800, 1e-6);
  EXPECT_NEAR(var, 600 * 600, 1e-3);
  const double mean = MeanOf(v);
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  const double sd = std::sqrt(ss / (v.size() - 1));
  EXPECT_NEAR(mean, 1800, 5 * std::sqrt(var / kSamples));
  EXPECT_NEAR(sd, 600, 5 * std::sqrt((central4 - var * var) / kSamples) / (2 * 600));
}

TEST(PglDistributionTest, PlainNumbersAreConstants) {
  const v1::Distribution i = Ok(Read(Value::Integer(42, Location{kFile, 3}), v1::VALUE_KIND_TIME));
  EXPECT_EQ(i.constant().value(), 42);
  EXPECT_EQ(i.text(), "const(42s)");
  EXPECT_EQ(i.origin().line(), 3);
  const v1::Distribution r = Ok(Read(Value::Real(1.5, Location{kFile, 3}), v1::VALUE_KIND_SIZE));
  EXPECT_EQ(r.constant().value(), 1.5);
}

TEST(PglDistributionTest, Rejections) {
  struct Case {
    const char* text;
    v1::ValueKind kind;
    const char* message;
  };
  for (const Case& c : {
           Case{"exp(13KB)", v1::VALUE_KIND_TIME,
                "\"exp(13KB)\": is a size distribution; this parameter takes a time"},
           Case{"exp(60s)", v1::VALUE_KIND_NUMBER, "is a time distribution"},
           Case{"gamma(1, 2)", v1::VALUE_KIND_NUMBER,
                "unknown distribution \"gamma\"; known: "
                "const(v), unif(lo, hi)"},
           Case{"exp(1, 2)", v1::VALUE_KIND_NUMBER, "exp takes 1 argument (exp(mean)), got 2"},
           Case{"unif(1)", v1::VALUE_KIND_NUMBER, "unif takes 2 arguments"},
           Case{"exp(60s)x", v1::VALUE_KIND_TIME, "nothing after ')'"},
           Case{"exp((60s))", v1::VALUE_KIND_TIME, "unexpected parenthesis"},
           Case{"exp(60s", v1::VALUE_KIND_TIME, "expected name(arguments)"},
           Case{"exp()", v1::VALUE_KIND_TIME, "argument 1: empty value"},
           Case{"unif(1s, 1KB)", v1::VALUE_KIND_TIME, "mixes times and sizes"},
           Case{"exp(10/sec)", v1::VALUE_KIND_TIME, "is a rate"},
           Case{"exp(-1)", v1::VALUE_KIND_TIME, "the mean must be > 0"},
           Case{"exp(0)", v1::VALUE_KIND_TIME, "the mean must be > 0"},
           Case{"unif(5, 1)", v1::VALUE_KIND_TIME, "hi must be >= lo"},
           Case{"norm(1, -1)", v1::VALUE_KIND_TIME, "sd must be >= 0"},
           Case{"logn(0, 1)", v1::VALUE_KIND_TIME, "the mean must be > 0"},
           Case{"logn(1, -1)", v1::VALUE_KIND_TIME, "sd must be >= 0"},
           Case{"zipf(2.5)", v1::VALUE_KIND_NUMBER, "N must be a whole number"},
           Case{"zipf(0)", v1::VALUE_KIND_NUMBER, "N must be >= 1"},
           Case{"seq(1e300)", v1::VALUE_KIND_NUMBER, "start must be a whole number below 2^53"},
           Case{"exp(5 weeks)", v1::VALUE_KIND_TIME, "unknown suffix \"weeks\""},
           Case{"", v1::VALUE_KIND_TIME, "empty; expected one of"},
           Case{"soon", v1::VALUE_KIND_TIME, "unknown suffix \"soon\""},
           // Accepted, then drew infinities (pgl_fuzzer aborts on such inputs).
           Case{"exp(1e308)", v1::VALUE_KIND_TIME, "beyond +/-1e15"},
           Case{"norm(0,1e308)", v1::VALUE_KIND_NUMBER, "beyond +/-1e15"},
       }) {
    const Result r = ReadPgl(c.text, c.kind);
    EXPECT_THAT(OnlyError(r),
                AllOf(StartsWith(std::string(kFile) + ":7: " + kPath + ": "), HasSubstr(c.message)))
        << c.text;
  }
}

TEST(PglDistributionTest, ParsePglDistributionDirectly) {
  absl::StatusOr<v1::Distribution> d = ParsePglDistribution("exp(2min)", v1::VALUE_KIND_TIME);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->exponential().mean(), 120);
  EXPECT_EQ(FormatDistribution(*d), "exp(120s)");
  EXPECT_FALSE(ParsePglDistribution("exp(2min)", v1::VALUE_KIND_UNSPECIFIED).ok());
}

TEST(FormatDistributionTest, EveryShape) {
  v1::Distribution d;
  d.set_kind(v1::VALUE_KIND_NUMBER);
  EXPECT_EQ(FormatDistribution(d), "(no distribution)");
  d.mutable_lognormal()->set_mu(1.5);
  d.mutable_lognormal()->set_sigma(0.5);
  d.mutable_lognormal()->set_maximum(60);
  EXPECT_EQ(FormatDistribution(d), "logn(mu=1.5, sigma=0.5, max=60)");
  d.mutable_uniform_discrete()->add_values(1);
  d.mutable_uniform_discrete()->set_randomize(false);
  EXPECT_EQ(FormatDistribution(d), "discrete(1; in order)");
  d.set_kind(v1::VALUE_KIND_DATETIME);
  v1::WorkShape* w = d.mutable_work();
  for (int day : {0, 2, 3, 4, 6}) w->add_days_of_week(day);
  w->set_begin_hour(0);
  w->set_end_hour(24);
  EXPECT_EQ(FormatDistribution(d), "work(sun,tue-thu,sat 00:00-24:00 UTC)");
}

}  // namespace
}  // namespace loadsim
