// A calendar client with AMP push (spec 3.7) against Radicale and a loopback AMP notifier.
// Radicale has no push, so the fault server in front of it adds a CS:pushkey to the home's
// PROPFIND answer, as CalendarServer does when notifications are enabled.
#include <functional>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/servers/amp_notifier.h"
#include "tests/servers/fault_server.h"
#include "tests/servers/radicale_server.h"
#include "tests/worker/calendar_test_util.h"
#include "tests/worker/direct_put.h"
#include "worker/amp_push.h"
#include "worker/caldav_client.h"
#include "worker/calendar_client.h"
#include "worker/http1_client.h"

namespace loadsim {
namespace {

using ::testing::HasSubstr;

constexpr char kKey[] = "/CalDAV/localhost/user01/";

class CalendarPushTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(radicale_.Start(2));
    ASSERT_TRUE(proxy_.Start(radicale_.port()));
    proxy_.SetResponseFilter([](const testing::FaultServer::Request& req,
                                testing::FaultServer::Response& resp) {
      if (req.method != "PROPFIND" || req.target != "/user01/" ||
          req.body.find("pushkey") == std::string::npos) {
        return;
      }
      // A propstat of its own (Radicale lists the push key it lacks under 404).
      const std::string anchor = "<href>/user01/</href>";
      size_t at = resp.body.find(anchor);
      if (at == std::string::npos) return;
      resp.body.insert(at + anchor.size(),
                       absl::StrCat("<propstat><prop><pushkey xmlns=\"http://calendarserver.org/ns/\">",
                                    kKey, "</pushkey></prop><status>HTTP/1.1 200 OK</status>",
                                    "</propstat>"));
    });
    loop_ = *EventLoop::Create();
    recorder_ = std::make_unique<Recorder>();
  }
  void TearDown() override { client_.reset(); }

  void MakeClient(double poll_s, int push_port) {
    CalendarClientOptions o;
    o.traits = &TraitsOf(ClientSoftware::kOsX10_7);
    o.root = proxy_.Url("");
    o.principal_path_template = "/%s/";
    o.poll_interval_s = poll_s;
    o.uid = "user01";
    o.password = "pass01";
    o.seed = 9;
    o.amp_push = true;
    o.amp_push_host = "127.0.0.1";
    o.amp_push_port = push_port;
    o.amp_backoff_initial_s = 0.05;
    o.amp_backoff_max_s = 0.2;
    client_ = *CalendarClient::Create(
        o, loop_.get(), std::make_unique<Http1Pool>(loop_.get(), ConnectionLimits{}),
        recorder_.get());
    client_->Start();
    ASSERT_TRUE(RunUntil([&] { return client_->started(); }, 20)) << Labels();
    EXPECT_EQ(client_->push_key(), kKey);
  }

  bool RunUntil(const std::function<bool()>& pred, double seconds) {
    return calendar_test::RunUntil(*loop_, pred, seconds, 0.01);
  }
  void RunFor(double seconds) { loop_->Run(MonotonicNowNs() + static_cast<int64_t>(seconds * 1e9)); }

  bool PushUp() const { return client_->push() != nullptr && client_->push()->up(); }

  // An event PUT straight to Radicale, behind the client's back.
  void PutEventDirectly(const std::string& href) {
    Http1Pool pool(loop_.get(), ConnectionLimits{});
    EXPECT_EQ(calendar_test::PutEventDirectly(*loop_, &pool, radicale_.Url(""), "user01", "pass01",
                                              href, "pushed-event"),
              "");
  }

  uint64_t Count(const std::string& label) const { return calendar_test::Count(*recorder_, label); }
  uint64_t Failures(const std::string& label) const {
    return calendar_test::Failures(*recorder_, label);
  }
  std::string Labels() const { return calendar_test::Labels(*recorder_); }

  testing::RadicaleServer radicale_;
  testing::FaultServer proxy_;
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<Recorder> recorder_;
  std::unique_ptr<CalendarClient> client_;
};

TEST_F(CalendarPushTest, NotificationRefreshesTheHomeAndReplacesPolling) {
  testing::AmpNotifier notifier;
  ASSERT_TRUE(notifier.Start());
  MakeClient(0.2, notifier.port());
  ASSERT_TRUE(RunUntil([&] { return PushUp(); }, 10)) << Labels();
  EXPECT_EQ(notifier.subscriptions(kKey), 1);

  // Subscribed: poll ticks come and go without polling (a poll that was running when the
  // subscription came may still finish; polling would have made about five).
  uint64_t polls = Count("poll");
  uint64_t ticks = Count("lag{poll}");
  RunFor(1.0);
  EXPECT_GE(Count("lag{poll}"), ticks + 3);
  EXPECT_LE(Count("poll"), polls + 1) << Labels();

  // A change, then its notification: a "push" operation fetches it.
  const std::string item = client_->CalendarsFor("VEVENT")[0]->href + "pushed.ics";
  PutEventDirectly(item);
  EXPECT_EQ(client_->FindItem(item), nullptr);
  ASSERT_EQ(notifier.Notify(kKey), 1);
  ASSERT_TRUE(RunUntil([&] { return client_->FindItem(item) != nullptr; }, 10)) << Labels();
  EXPECT_EQ(Count("push"), 1u) << Labels();
  EXPECT_EQ(Failures("push"), 0u);
  EXPECT_TRUE(RunUntil([&] { return notifier.ok_answers() == 1; }, 10));
  EXPECT_EQ(notifier.protocol_errors(), 0);
  EXPECT_EQ(Failures("AMP{subscribe}"), 0u);
}

TEST_F(CalendarPushTest, UnreachableNotifierMeansPollingUntilItAnswers) {
  int port = testing::FreePort();
  MakeClient(0.2, port);
  uint64_t polls = Count("poll");
  ASSERT_TRUE(RunUntil([&] { return Count("poll") >= polls + 3; }, 10)) << Labels();
  EXPECT_FALSE(PushUp());
  EXPECT_GE(Failures("AMP{subscribe}"), 1u);
  auto it = recorder_->current().find("AMP{subscribe}");
  ASSERT_NE(it, recorder_->current().end());
  EXPECT_THAT(it->second.failure_reasons().begin()->first, HasSubstr("Connection refused"));

  testing::AmpNotifier notifier;
  ASSERT_TRUE(notifier.Start(port));
  ASSERT_TRUE(RunUntil([&] { return PushUp(); }, 10)) << Labels();
  // A poll that was running when the subscription came may still finish; no new one starts.
  polls = Count("poll");
  RunFor(1.0);
  EXPECT_LE(Count("poll"), polls + 1) << Labels();
}

TEST_F(CalendarPushTest, DroppedNotifierMeansPollingThenResubscribeAndCatchUp) {
  testing::AmpNotifier notifier;
  ASSERT_TRUE(notifier.Start());
  int port = notifier.port();
  MakeClient(0.2, port);
  ASSERT_TRUE(RunUntil([&] { return PushUp(); }, 10)) << Labels();

  // The notifier goes away: polling takes over.
  notifier.Stop();
  ASSERT_TRUE(RunUntil([&] { return !PushUp(); }, 10));
  uint64_t polls = Count("poll");
  ASSERT_TRUE(RunUntil([&] { return Count("poll") >= polls + 2; }, 10)) << Labels();

  // It comes back: the client resubscribes and catches up with one push operation.
  ASSERT_TRUE(notifier.Start(port));
  ASSERT_TRUE(RunUntil([&] { return PushUp(); }, 10)) << Labels();
  EXPECT_EQ(notifier.subscriptions(kKey), 2);  // before and after the restart
  EXPECT_EQ(client_->push()->subscriptions(), 2);
  ASSERT_TRUE(RunUntil([&] { return Count("push") >= 1; }, 10)) << Labels();
  EXPECT_EQ(Failures("push"), 0u);

  // Notifications flow on the new connection.
  const std::string item = client_->CalendarsFor("VEVENT")[0]->href + "after-drop.ics";
  PutEventDirectly(item);
  ASSERT_EQ(notifier.Notify(kKey), 1);
  ASSERT_TRUE(RunUntil([&] { return client_->FindItem(item) != nullptr; }, 10)) << Labels();
  EXPECT_EQ(Failures("poll"), 0u) << Labels();
}

}  // namespace
}  // namespace loadsim
