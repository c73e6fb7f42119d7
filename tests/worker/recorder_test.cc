#include "worker/recorder.h"

#include <string>

#include "gtest/gtest.h"

namespace loadsim {
namespace {

TEST(RecorderTest, KeepsOnlyTheFirstFailureSamples) {
  Recorder r;
  for (int i = 0; i < Recorder::kMaxFailureSamples + 3; ++i) {
    if (!r.WantsFailureSample()) break;
    r.AddFailureSample(MakeFailureSample("user01", "PUT{event}", "PUT", "http://x/a.ics", 412,
                                         "HTTP 412", "precondition", 1000000000LL * i));
  }
  EXPECT_FALSE(r.WantsFailureSample());
  std::vector<v1::FailureSample> samples = r.TakeFailureSamples();
  ASSERT_EQ(samples.size(), static_cast<size_t>(Recorder::kMaxFailureSamples));
  EXPECT_EQ(samples[1].status(), 412);
  EXPECT_EQ(samples[1].url(), "http://x/a.ics");
  EXPECT_DOUBLE_EQ(samples[1].at_seconds(), 1.0);
  // Taken once; the budget is for the recorder's life, not per interval.
  EXPECT_TRUE(r.TakeFailureSamples().empty());
  EXPECT_FALSE(r.WantsFailureSample());
}

TEST(RecorderTest, BodyExcerptIsShortAndPrintable) {
  std::string body = "<error>\r\n\tbad\x01</error>" + std::string(500, 'x');
  v1::FailureSample s = MakeFailureSample("u", "L", "GET", "u", 500, "HTTP 500", body, 0);
  EXPECT_EQ(s.body_excerpt().size(), 200u);
  EXPECT_EQ(s.body_excerpt().substr(0, 22), "<error>   bad </error>");
}

}  // namespace
}  // namespace loadsim
