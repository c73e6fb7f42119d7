// Calendar clients against a server that misbehaves: Radicale behind tests/servers/fault_server.h,
// which answers 500, drops connections mid-response, answers slowly, or sends malformed XML or
// iCalendar for chosen requests. Every fault must be a failure with a clear reason under the
// request's label (and fail the poll operation), and the client must go on: once the fault
// stops, the next poll succeeds.
#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/servers/fault_server.h"
#include "tests/servers/radicale_server.h"
#include "tests/worker/calendar_test_util.h"
#include "tests/worker/direct_put.h"
#include "worker/caldav_client.h"
#include "worker/calendar_client.h"
#include "worker/http1_client.h"

namespace loadsim {
namespace {

using ::testing::HasSubstr;
using Fault = testing::FaultServer::Fault;

enum class Engine { kCurl, kNative };

class CalendarFaultsTest : public ::testing::TestWithParam<std::tuple<ClientSoftware, Engine>> {
 protected:
  ClientSoftware Software() const { return std::get<0>(GetParam()); }
  bool Native() const { return std::get<1>(GetParam()) == Engine::kNative; }

  void SetUp() override {
    ASSERT_TRUE(radicale_.Start(2));
    ASSERT_TRUE(faults_.Start(radicale_.port()));
    loop_ = *EventLoop::Create();
    engine_ = *HttpEngine::Create(loop_.get());
    recorder_ = std::make_unique<Recorder>();
  }
  void TearDown() override {
    client_.reset();
    engine_.reset();
  }

  // A started client (polls only through Poll()).
  void StartClient(double request_timeout_s = 120) {
    CalendarClientOptions o;
    o.traits = &TraitsOf(Software());
    o.root = faults_.Url("");
    o.principal_path_template = "/%s/";
    o.poll_interval_s = 600;
    o.uid = "user01";
    o.password = "pass01";
    o.seed = 11;
    o.request_timeout_s = request_timeout_s;
    std::unique_ptr<HttpTransport> transport;
    if (Native()) {
      transport = std::make_unique<Http1Pool>(loop_.get(), ConnectionLimits{});
    } else {
      transport = std::make_unique<ConnectionPool>(engine_.get(), ConnectionLimits{});
    }
    client_ = *CalendarClient::Create(o, loop_.get(), std::move(transport), recorder_.get());
    client_->Start();
    ASSERT_TRUE(RunUntil([&] { return client_->started(); }, 20)) << Labels();
  }

  bool RunUntil(const std::function<bool()>& pred, double seconds) {
    return calendar_test::RunUntil(*loop_, pred, seconds);
  }

  // One poll operation; its outcome and reason.
  std::pair<bool, std::string> Poll() {
    std::vector<std::pair<bool, std::string>> out;
    client_->PollNow([&](bool ok, const std::string& reason) { out.emplace_back(ok, reason); });
    EXPECT_TRUE(RunUntil([&] { return !out.empty(); }, 20)) << Labels();
    return out.empty() ? std::make_pair(false, std::string("no answer")) : out[0];
  }

  // An event PUT straight to Radicale (not through the fault server).
  void PutEventDirectly(const std::string& href) {
    ConnectionPool pool(engine_.get(), ConnectionLimits{});
    EXPECT_EQ(calendar_test::PutEventDirectly(*loop_, &pool, radicale_.Url(""), "user01", "pass01",
                                              href, "direct-" + std::to_string(MonotonicNowNs())),
              "");
  }

  const LabelRecorder* Stats(const std::string& label) const {
    auto it = recorder_->current().find(label);
    return it == recorder_->current().end() ? nullptr : &it->second;
  }
  uint64_t Failures(const std::string& label) const {
    return calendar_test::Failures(*recorder_, label);
  }
  // The failure reasons of `label`, one per line.
  std::string Reasons(const std::string& label) const {
    std::string out;
    if (const LabelRecorder* s = Stats(label)) {
      for (const auto& [reason, n] : s->failure_reasons()) absl::StrAppend(&out, reason, "\n");
    }
    return out;
  }
  std::string Labels() const { return calendar_test::Labels(*recorder_); }

  // The home listing of a poll: a Depth 1 PROPFIND of /user01/ asking for the push key.
  testing::FaultServer::Rule HomeRule(Fault fault, int times, int delay_ms = 0) {
    testing::FaultServer::Rule r;
    r.method = "PROPFIND";
    r.path_contains = "/user01/";
    r.body_contains = "pushkey";
    r.fault = fault;
    r.times = times;
    r.delay_ms = delay_ms;
    return r;
  }

  void ExpectRecovery() {
    std::pair<bool, std::string> poll = Poll();
    EXPECT_TRUE(poll.first) << poll.second << "\n" << Labels();
  }

  testing::RadicaleServer radicale_;
  testing::FaultServer faults_;
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<HttpEngine> engine_;
  std::unique_ptr<Recorder> recorder_;
  std::unique_ptr<CalendarClient> client_;
};

TEST_P(CalendarFaultsTest, ServerErrorIsAFailedRequestAndPoll) {
  StartClient();
  faults_.AddRule(HomeRule(Fault::kStatus500, 2));
  for (int i = 0; i < 2; ++i) {
    std::pair<bool, std::string> poll = Poll();
    EXPECT_FALSE(poll.first);
    EXPECT_EQ(poll.second, "HTTP 500");
  }
  EXPECT_EQ(Failures("PROPFIND{home}"), 2u) << Labels();
  EXPECT_EQ(Reasons("PROPFIND{home}"), "HTTP 500\n");
  EXPECT_EQ(Failures("poll"), 2u);
  ExpectRecovery();
}

TEST_P(CalendarFaultsTest, ConnectionDroppedMidResponseIsAFailure) {
  StartClient();
  faults_.AddRule(HomeRule(Fault::kDropMidResponse, 1));
  std::pair<bool, std::string> poll = Poll();
  EXPECT_FALSE(poll.first);
  EXPECT_EQ(Failures("PROPFIND{home}"), 1u) << Labels();
  EXPECT_THAT(Reasons("PROPFIND{home}"),
              HasSubstr(Native() ? "connection closed in the middle of the response"
                                 : "Transferred a partial file"))
      << Labels();
  EXPECT_EQ(poll.second + "\n", Reasons("PROPFIND{home}"));
  ExpectRecovery();
}

TEST_P(CalendarFaultsTest, SlowAnswerIsMeasuredAndOneTooSlowTimesOut) {
  StartClient(/*request_timeout_s=*/1.0);
  faults_.AddRule(HomeRule(Fault::kSlow, 1, 300));
  ASSERT_TRUE(Poll().first) << Labels();
  ASSERT_NE(Stats("PROPFIND{home}"), nullptr);
  EXPECT_GE(Stats("PROPFIND{home}")->max_us(), 300000u) << Labels();
  EXPECT_EQ(Failures("PROPFIND{home}"), 0u);

  faults_.AddRule(HomeRule(Fault::kSlow, 1, 2500));
  std::pair<bool, std::string> poll = Poll();
  EXPECT_FALSE(poll.first);
  EXPECT_EQ(Failures("PROPFIND{home}"), 1u) << Labels();
  EXPECT_THAT(Reasons("PROPFIND{home}"),
              HasSubstr(Native() ? "no complete response within 1000 ms" : "Timeout was reached"))
      << Labels();
  ExpectRecovery();
}

TEST_P(CalendarFaultsTest, MalformedXmlIsAFailureWithTheParsersReason) {
  StartClient();
  faults_.AddRule(HomeRule(Fault::kMalformedXml, 1));
  std::pair<bool, std::string> poll = Poll();
  EXPECT_FALSE(poll.first);
  EXPECT_EQ(Failures("PROPFIND{home}"), 1u) << Labels();
  std::string reasons = Reasons("PROPFIND{home}");
  EXPECT_THAT(reasons, ::testing::Not(HasSubstr("HTTP")));
  EXPECT_THAT(reasons, HasSubstr("XML")) << Labels();
  ExpectRecovery();
}

TEST_P(CalendarFaultsTest, MalformedICalendarIsAFailureAndTheItemIsFetchedAgain) {
  StartClient();
  const std::string item = client_->CalendarsFor("VEVENT")[0]->href + "spoilt.ics";
  PutEventDirectly(item);
  testing::FaultServer::Rule rule;
  rule.method = "REPORT";
  rule.body_contains = "calendar-multiget";
  rule.fault = Fault::kMalformedICalendar;
  rule.times = 1;
  faults_.AddRule(rule);
  std::pair<bool, std::string> poll = Poll();
  EXPECT_FALSE(poll.first);
  EXPECT_THAT(poll.second, HasSubstr("malformed iCalendar in calendar-data"));
  EXPECT_EQ(Failures("REPORT{multiget-small}"), 1u) << Labels();
  EXPECT_THAT(Reasons("REPORT{multiget-small}"), HasSubstr("malformed iCalendar")) << Labels();
  EXPECT_EQ(client_->FindItem(item), nullptr);
  EXPECT_EQ(faults_.faults(), 1);

  ExpectRecovery();
  ASSERT_NE(client_->FindItem(item), nullptr) << Labels();
  EXPECT_THAT(client_->FindItem(item)->uid, HasSubstr("direct-"));
}

INSTANTIATE_TEST_SUITE_P(
    SoftwaresAndEngines, CalendarFaultsTest,
    ::testing::Combine(::testing::Values(ClientSoftware::kOsX10_6, ClientSoftware::kOsX10_7,
                                         ClientSoftware::kIos5),
                       ::testing::Values(Engine::kCurl, Engine::kNative)),
    [](const ::testing::TestParamInfo<std::tuple<ClientSoftware, Engine>>& info) {
      return absl::StrCat(TraitsOf(std::get<0>(info.param)).name,
                          std::get<1>(info.param) == Engine::kNative ? "_native" : "_curl");
    });

}  // namespace
}  // namespace loadsim
