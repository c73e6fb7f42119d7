#include "common/units.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace loadsim {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

double TimeOf(const std::string& text) {
  absl::StatusOr<double> v = ParseTime(text);
  EXPECT_TRUE(v.ok()) << text << ": " << v.status();
  return v.ok() ? *v : -1;
}

double SizeOf(const std::string& text) {
  absl::StatusOr<double> v = ParseSize(text);
  EXPECT_TRUE(v.ok()) << text << ": " << v.status();
  return v.ok() ? *v : -1;
}

std::string ErrorOf(const absl::StatusOr<double>& v) {
  EXPECT_FALSE(v.ok());
  return std::string(v.status().message());
}

TEST(ParseTimeTest, AcceptsEveryPglSuffix) {
  EXPECT_DOUBLE_EQ(TimeOf("250ms"), 0.25);
  EXPECT_DOUBLE_EQ(TimeOf("250msec"), 0.25);
  EXPECT_DOUBLE_EQ(TimeOf("0.5s"), 0.5);
  EXPECT_DOUBLE_EQ(TimeOf("0.5sec"), 0.5);
  EXPECT_DOUBLE_EQ(TimeOf("5min"), 300);
  EXPECT_DOUBLE_EQ(TimeOf("2hour"), 7200);
  EXPECT_DOUBLE_EQ(TimeOf("2hr"), 7200);
  EXPECT_DOUBLE_EQ(TimeOf("7day"), 7 * 86400);
  EXPECT_DOUBLE_EQ(TimeOf("1year"), 365.0 * 86400);
}

TEST(ParseTimeTest, BareNumberIsSecondsAndBareSuffixIsOneUnit) {
  EXPECT_DOUBLE_EQ(TimeOf("42"), 42);
  EXPECT_DOUBLE_EQ(TimeOf("1e3"), 1000);
  EXPECT_DOUBLE_EQ(TimeOf("sec"), 1);
  EXPECT_DOUBLE_EQ(TimeOf("min"), 60);
  EXPECT_DOUBLE_EQ(TimeOf(" 5 min "), 300);
  EXPECT_DOUBLE_EQ(TimeOf(".5s"), 0.5);
  EXPECT_DOUBLE_EQ(TimeOf("-2s"), -2);
}

TEST(ParseTimeTest, RejectsUnknownSuffixListingValidOnes) {
  EXPECT_THAT(ErrorOf(ParseTime("3weeks")),
              AllOf(HasSubstr("\"3weeks\""), HasSubstr("unknown suffix \"weeks\""),
                    HasSubstr("ms, msec, s, sec, min, hour, hr, day, year")));
  // Case matters, as in PGL.
  EXPECT_THAT(ErrorOf(ParseTime("5Min")), HasSubstr("unknown suffix \"Min\""));
  // A size is not a time.
  EXPECT_THAT(ErrorOf(ParseTime("5KB")), HasSubstr("unknown suffix \"KB\""));
}

TEST(ParseTimeTest, RejectsEmptyJunkAndNonFinite) {
  EXPECT_THAT(ErrorOf(ParseTime("")), HasSubstr("empty time"));
  EXPECT_THAT(ErrorOf(ParseTime("   ")), HasSubstr("empty time"));
  EXPECT_THAT(ErrorOf(ParseTime("5min3")), HasSubstr("unknown suffix \"min3\""));
  EXPECT_THAT(ErrorOf(ParseTime("5 min x")), HasSubstr("unknown suffix"));
  EXPECT_THAT(ErrorOf(ParseTime("-")), HasSubstr("expected a number"));
  EXPECT_THAT(ErrorOf(ParseTime(".")), HasSubstr("expected a number"));
  EXPECT_THAT(ErrorOf(ParseTime("1e999")), HasSubstr("out of range"));
  EXPECT_THAT(ErrorOf(ParseTime("1e308year")), HasSubstr("out of range"));
  EXPECT_FALSE(ParseTime("inf").ok());
  EXPECT_FALSE(ParseTime("nan").ok());
  EXPECT_FALSE(ParseTime("0x10").ok());
}

TEST(ParseSizeTest, BytesAndBinaryMultiples) {
  EXPECT_DOUBLE_EQ(SizeOf("3Byte"), 3);
  EXPECT_DOUBLE_EQ(SizeOf("3Bytes"), 3);
  EXPECT_DOUBLE_EQ(SizeOf("13KB"), 13 * 1024);
  EXPECT_DOUBLE_EQ(SizeOf("2.5MB"), 2.5 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(SizeOf("1GB"), 1024.0 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(SizeOf("1KByte"), 1024);
  EXPECT_DOUBLE_EQ(SizeOf("1MByte"), 1024 * 1024);
  EXPECT_DOUBLE_EQ(SizeOf("1GByte"), 1024.0 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(SizeOf("100"), 100);
}

TEST(ParseSizeTest, LowercaseBIsBitsAsInPgl) {
  EXPECT_DOUBLE_EQ(SizeOf("1Kb"), 128);  // never silently a kilobyte
  EXPECT_DOUBLE_EQ(SizeOf("500Kb"), 64000);
  EXPECT_DOUBLE_EQ(SizeOf("1Mb"), 131072);
  EXPECT_DOUBLE_EQ(SizeOf("1Gb"), 134217728);
  EXPECT_DOUBLE_EQ(SizeOf("16bit"), 2);
  EXPECT_DOUBLE_EQ(SizeOf("1Kbit"), 128);
  EXPECT_DOUBLE_EQ(SizeOf("1Mbit"), 131072);
  EXPECT_DOUBLE_EQ(SizeOf("1Gbit"), 134217728);
}

TEST(ParseSizeTest, RejectsPartialBytesAndUnknownSuffixes) {
  EXPECT_THAT(ErrorOf(ParseSize("3bit")), HasSubstr("not a whole number of bytes"));
  EXPECT_THAT(ErrorOf(ParseSize("13kb")),
              AllOf(HasSubstr("\"13kb\""), HasSubstr("unknown suffix \"kb\""),
                    HasSubstr("Byte, Bytes, KB")));
  EXPECT_THAT(ErrorOf(ParseSize("5s")), HasSubstr("unknown suffix \"s\""));
}

TEST(ParseRateTest, NumberPerTime) {
  EXPECT_DOUBLE_EQ(*ParseRate("10/sec"), 10);
  EXPECT_DOUBLE_EQ(*ParseRate("3/5min"), 3.0 / 300);
  EXPECT_DOUBLE_EQ(*ParseRate("10.5/s"), 10.5);
  EXPECT_DOUBLE_EQ(*ParseRate("60/hour"), 1.0 / 60);
  EXPECT_DOUBLE_EQ(*ParseRate("7"), 7);
  EXPECT_DOUBLE_EQ(*ParseRate("0"), 0);
}

TEST(ParseRateTest, RejectsMalformedRates) {
  EXPECT_THAT(ErrorOf(ParseRate("13/5")), HasSubstr("must be a time with a suffix"));
  EXPECT_THAT(ErrorOf(ParseRate("1/0sec")), HasSubstr("must be > 0"));
  EXPECT_THAT(ErrorOf(ParseRate("x/sec")), HasSubstr("expected <number>/<time>"));
  EXPECT_THAT(ErrorOf(ParseRate("5s/sec")), HasSubstr("expected <number>/<time>"));
  EXPECT_THAT(ErrorOf(ParseRate("1/5weeks")), HasSubstr("unknown suffix \"weeks\""));
  EXPECT_FALSE(ParseRate("5KB").ok());
  EXPECT_FALSE(ParseRate("").ok());
  EXPECT_FALSE(ParseRate("1e300/1e-300sec").ok());  // overflows
}

TEST(ParseRatioTest, PercentOrFraction) {
  EXPECT_DOUBLE_EQ(*ParseRatio("55%"), 0.55);
  EXPECT_DOUBLE_EQ(*ParseRatio("0.55"), 0.55);
  EXPECT_DOUBLE_EQ(*ParseRatio(" 100 % "), 1.0);
  EXPECT_THAT(ErrorOf(ParseRatio("55 percent")), HasSubstr("expected a fraction"));
  EXPECT_FALSE(ParseRatio("%").ok());
  EXPECT_FALSE(ParseRatio("").ok());
}

TEST(ParseQuantityTest, InfersTheKindFromTheSuffix) {
  struct Case {
    const char* text;
    Quantity::Kind kind;
    double value;
  };
  for (const Case& c : {Case{"64", Quantity::kNumber, 64}, Case{"3sec", Quantity::kTime, 3},
                        Case{"13KB", Quantity::kSize, 13312}, Case{"10/sec", Quantity::kRate, 10},
                        Case{"55%", Quantity::kRatio, 0.55}, Case{"sec", Quantity::kTime, 1},
                        Case{"500Kb", Quantity::kSize, 64000}}) {
    absl::StatusOr<Quantity> q = ParseQuantity(c.text);
    ASSERT_TRUE(q.ok()) << c.text << ": " << q.status();
    EXPECT_EQ(q->kind, c.kind) << c.text;
    EXPECT_DOUBLE_EQ(q->value, c.value) << c.text;
  }
}

TEST(ParseQuantityTest, RejectsUnknownSuffixListingAllKinds) {
  absl::StatusOr<Quantity> q = ParseQuantity("5parsecs");
  ASSERT_FALSE(q.ok());
  EXPECT_THAT(q.status().message(), AllOf(HasSubstr("\"5parsecs\""), HasSubstr("time ms"),
                                          HasSubstr("size Byte"), HasSubstr("ratio %")));
  EXPECT_FALSE(ParseQuantity("").ok());
  EXPECT_FALSE(ParseQuantity("abc").ok());
}

TEST(ParseQuantityTest, QuotesUnprintableInputEscaped) {
  absl::StatusOr<Quantity> q = ParseQuantity(std::string("5\x01\xff", 3));
  ASSERT_FALSE(q.ok());
  EXPECT_THAT(q.status().message(), HasSubstr("\\x01\\xff"));
}

TEST(FormatTest, CanonicalSpellings) {
  EXPECT_EQ(FormatNumber(172800), "172800");
  EXPECT_EQ(FormatNumber(0.1), "0.1");
  EXPECT_EQ(FormatNumber(-0.0), "0");
  EXPECT_EQ(FormatNumber(1.7917594692280550), "1.791759469228055");
  EXPECT_EQ(FormatTime(60), "60s");
  EXPECT_EQ(FormatTime(0.25), "0.25s");
  EXPECT_EQ(FormatSize(13312), "13KB");
  EXPECT_EQ(FormatSize(3 * 1024 * 1024), "3MB");
  EXPECT_EQ(FormatSize(2.0 * 1024 * 1024 * 1024), "2GB");
  EXPECT_EQ(FormatSize(100), "100Byte");
  EXPECT_EQ(FormatQuantity(0.55, Quantity::kRatio), "55%");
  EXPECT_EQ(FormatQuantity(2, Quantity::kRate), "2/sec");
  EXPECT_EQ(FormatQuantity(5, Quantity::kNumber), "5");
}

TEST(FormatTest, TimesAndSizesReadBack) {
  for (double v : {0.001, 0.5, 60.0, 1800.0, 31536000.0, 1e-7, 123456.789}) {
    EXPECT_DOUBLE_EQ(*ParseTime(FormatTime(v)), v);
  }
  for (double v : {1.0, 100.0, 1024.0, 13312.0, 1536.0, 5e9}) {
    EXPECT_DOUBLE_EQ(*ParseSize(FormatSize(v)), v);
  }
}

}  // namespace
}  // namespace loadsim
