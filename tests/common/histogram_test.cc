#include "common/histogram.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace loadsim {
namespace {

TEST(HistogramTest, BucketsAreContiguousAndNarrow) {
  EXPECT_EQ(Histogram::BucketOf(0), 0);
  EXPECT_EQ(Histogram::BucketOf(127), 127);
  EXPECT_EQ(Histogram::BucketOf(128), 128);
  EXPECT_EQ(Histogram::BucketOf(Histogram::kMaxValue), Histogram::kBucketCount - 1);
  EXPECT_EQ(Histogram::BucketOf(Histogram::kMaxValue * 4), Histogram::kBucketCount - 1);
  for (int i = 0; i < Histogram::kBucketCount; ++i) {
    EXPECT_EQ(Histogram::BucketOf(Histogram::BucketLow(i)), i);
    EXPECT_EQ(Histogram::BucketOf(Histogram::BucketHigh(i)), i);
    if (i + 1 < Histogram::kBucketCount) {
      EXPECT_EQ(Histogram::BucketHigh(i) + 1, Histogram::BucketLow(i + 1));
    }
    uint64_t width = Histogram::BucketHigh(i) - Histogram::BucketLow(i) + 1;
    if (i < 128) {
      EXPECT_EQ(width, 1u);  // small values are exact
    } else {
      EXPECT_LE(static_cast<double>(width) / static_cast<double>(Histogram::BucketLow(i)),
                1.0 / 64 + 1e-12);
    }
  }
  EXPECT_EQ(Histogram::BucketHigh(Histogram::kBucketCount - 1), Histogram::kMaxValue);
}

TEST(HistogramTest, QuantilesWithinOnePercentOfExact) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> dist(std::log(20000.0), 1.5);  // ~20 ms median
  std::vector<uint64_t> values;
  Histogram h;
  for (int i = 0; i < 100000; ++i) {
    uint64_t v = std::min<uint64_t>(static_cast<uint64_t>(dist(rng)) + 1, Histogram::kMaxValue);
    values.push_back(v);
    h.Record(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.0, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0}) {
    size_t rank = std::min(values.size() - 1, static_cast<size_t>(q * values.size()));
    double exact = static_cast<double>(values[rank]);
    double got = static_cast<double>(h.ValueAtQuantile(q));
    EXPECT_NEAR(got, exact, exact * 0.01 + 1) << "q=" << q;
  }
}

TEST(HistogramTest, UpperMedianLikeCalendarServer) {
  Histogram h;
  for (uint64_t v : {10, 20, 30, 40}) h.Record(v);
  EXPECT_EQ(h.ValueAtQuantile(0.5), 30u);  // element floor(4/2) = index 2 of the sorted list
}

LabelRecorder Fill(const std::vector<uint64_t>& values, uint64_t seed) {
  LabelRecorder r("PUT{event}", {100000, 500000, 1000000, 3000000});
  std::mt19937_64 rng(seed);
  for (uint64_t v : values) {
    bool ok = (rng() % 10) != 0;
    r.Record(v, ok, ok ? "" : (rng() % 2 ? "timeout" : "HTTP 500"));
  }
  return r;
}

std::vector<uint64_t> Samples(uint64_t seed, int n) {
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> dist(1.0 / 400000);
  std::vector<uint64_t> out;
  for (int i = 0; i < n; ++i) out.push_back(static_cast<uint64_t>(dist(rng)));
  return out;
}

TEST(LabelRecorderTest, MergeEqualsRecordingBothStreams) {
  std::vector<uint64_t> a = Samples(1, 5000);
  std::vector<uint64_t> b = Samples(2, 7000);
  LabelRecorder ra("PUT{event}", {100000, 500000, 1000000, 3000000});
  LabelRecorder rb("PUT{event}", {100000, 500000, 1000000, 3000000});
  LabelRecorder both("PUT{event}", {100000, 500000, 1000000, 3000000});
  std::mt19937_64 rng(9);
  auto feed = [&](LabelRecorder& one, const std::vector<uint64_t>& values) {
    for (uint64_t v : values) {
      bool ok = (rng() % 10) != 0;
      const char* reason = ok ? "" : (rng() % 2 ? "timeout" : "HTTP 500");
      one.Record(v, ok, reason);
      both.Record(v, ok, reason);
    }
  };
  feed(ra, a);
  feed(rb, b);
  ASSERT_TRUE(ra.Merge(rb).ok());
  EXPECT_TRUE(ra == both);
  EXPECT_EQ(ra.count(), 12000u);
  EXPECT_EQ(ra.ValueAtQuantileUs(0.99), both.ValueAtQuantileUs(0.99));
}

TEST(LabelRecorderTest, MergeIntoEmptyAndProtoRoundTrip) {
  LabelRecorder filled = Fill(Samples(3, 3000), 4);
  LabelRecorder empty("PUT{event}", {100000, 500000, 1000000, 3000000});
  ASSERT_TRUE(empty.Merge(filled).ok());
  EXPECT_TRUE(empty == filled);
  absl::StatusOr<LabelRecorder> back = LabelRecorder::FromProto(filled.ToProto());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(*back == filled);
  LabelRecorder none("x");
  absl::StatusOr<LabelRecorder> none_back = LabelRecorder::FromProto(none.ToProto());
  ASSERT_TRUE(none_back.ok());
  EXPECT_TRUE(*none_back == none);
}

TEST(LabelRecorderTest, MergeProtoEqualsMergeOfTheDecodedRecorder) {
  LabelRecorder a = Fill(Samples(5, 2000), 6);
  LabelRecorder b = Fill(Samples(7, 3000), 8);
  LabelRecorder via_proto = a;
  ASSERT_TRUE(via_proto.MergeProto(b.ToProto()).ok());
  ASSERT_TRUE(a.Merge(b).ok());
  EXPECT_TRUE(via_proto == a);
  LabelRecorder other("GET{event}", {100000, 500000, 1000000, 3000000});
  EXPECT_FALSE(other.MergeProto(b.ToProto()).ok());
  v1::LabelStats bad = b.ToProto();
  bad.mutable_histogram()->add_index(1u << 30);
  bad.mutable_histogram()->add_count(1);
  LabelRecorder untouched = via_proto;
  EXPECT_FALSE(via_proto.MergeProto(bad).ok());
  EXPECT_TRUE(via_proto == untouched);  // a rejected merge changes nothing
}

TEST(LabelRecorderTest, ExactCountsOverLimitsSumsAndStddev) {
  LabelRecorder r("GET{event}", {100, 1000});
  for (uint64_t v : {50, 100, 101, 999, 1000, 1001, 5000}) r.Record(v, true);
  r.Record(70, false, "HTTP 404");
  EXPECT_EQ(r.count(), 8u);
  EXPECT_EQ(r.failures(), 1u);
  EXPECT_EQ(r.over_limit(), (std::vector<uint64_t>{5, 2}));  // strictly greater
  EXPECT_EQ(r.min_us(), 50u);
  EXPECT_EQ(r.max_us(), 5000u);
  double mean = (50 + 100 + 101 + 999 + 1000 + 1001 + 5000 + 70) / 8.0;
  EXPECT_DOUBLE_EQ(r.MeanUs(), mean);
  EXPECT_DOUBLE_EQ(r.SuccessMeanUs(), (50 + 100 + 101 + 999 + 1000 + 1001 + 5000) / 7.0);
  double ss = 0;
  for (double v : {50, 100, 101, 999, 1000, 1001, 5000, 70}) ss += (v - mean) * (v - mean);
  EXPECT_NEAR(r.StddevUs(), std::sqrt(ss / 8), 1e-6);  // population stddev
  EXPECT_EQ(r.failure_reasons().at("HTTP 404"), 1u);
}

TEST(LabelRecorderTest, HugeSumOfSquaresDoesNotOverflow) {
  LabelRecorder a("x"), b("x");
  for (int i = 0; i < 1000; ++i) a.Record(Histogram::kMaxValue, true);
  for (int i = 0; i < 1000; ++i) b.Record(Histogram::kMaxValue, true);
  ASSERT_TRUE(a.Merge(b).ok());
  EXPECT_NEAR(a.StddevUs(), 0, 1e-3);
  EXPECT_DOUBLE_EQ(a.MeanUs(), static_cast<double>(Histogram::kMaxValue));
}

TEST(LabelRecorderTest, MismatchedMergeAndBadProtoAreRejected) {
  LabelRecorder a("x", {1}), b("y", {1}), c("x", {2});
  EXPECT_FALSE(a.Merge(b).ok());
  EXPECT_FALSE(a.Merge(c).ok());
  v1::LabelStats bad = a.ToProto();
  bad.add_over_limit(1);
  EXPECT_FALSE(LabelRecorder::FromProto(bad).ok());
  v1::LabelStats bucket = a.ToProto();
  bucket.mutable_histogram()->add_index(999999);
  bucket.mutable_histogram()->add_count(1);
  EXPECT_FALSE(LabelRecorder::FromProto(bucket).ok());
}

}  // namespace
}  // namespace loadsim
