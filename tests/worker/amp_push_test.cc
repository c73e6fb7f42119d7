#include "worker/amp_push.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/servers/amp_notifier.h"
#include "tests/servers/spawned_process.h"

namespace loadsim {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

TEST(AmpBoxTest, EncodesLengthPrefixedPairsAndAnEmptyKey) {
  absl::StatusOr<std::string> wire = EncodeAmpBox({{"_ask", "1"}, {"id", ""}});
  ASSERT_TRUE(wire.ok()) << wire.status();
  std::string want = Bytes({0, 4}) + "_ask" + Bytes({0, 1}) + "1" + Bytes({0, 2}) + "id" +
                     Bytes({0, 0}) + Bytes({0, 0});
  EXPECT_EQ(*wire, want);
}

TEST(AmpBoxTest, RejectsKeysAndValuesOutOfRange) {
  EXPECT_THAT(EncodeAmpBox({{"", "x"}}).status().message(), HasSubstr("must be 1-255"));
  EXPECT_THAT(EncodeAmpBox({{std::string(256, 'k'), "x"}}).status().message(),
              HasSubstr("256 bytes"));
  EXPECT_TRUE(EncodeAmpBox({{std::string(255, 'k'), std::string(65535, 'v')}}).ok());
  EXPECT_THAT(EncodeAmpBox({{"id", std::string(65536, 'v')}}).status().message(),
              HasSubstr("max 65535"));
}

TEST(AmpBoxTest, ReaderTakesInputSplitAnywhere) {
  std::string stream = *EncodeAmpBox({{"_command", "NotificationForID"}, {"id", "/k/"}}) +
                       *EncodeAmpBox({{"_answer", "7"}, {"status", "OK"}});
  for (size_t chunk : {size_t{1}, size_t{3}, stream.size()}) {
    AmpBoxReader reader;
    std::vector<AmpBox> boxes;
    for (size_t at = 0; at < stream.size(); at += chunk) {
      ASSERT_TRUE(reader.Feed(absl::string_view(stream).substr(at, chunk), &boxes).ok());
    }
    ASSERT_EQ(boxes.size(), 2u) << "chunk " << chunk;
    EXPECT_THAT(boxes[0], ElementsAre(Pair("_command", "NotificationForID"), Pair("id", "/k/")));
    EXPECT_THAT(boxes[1], ElementsAre(Pair("_answer", "7"), Pair("status", "OK")));
    EXPECT_EQ(reader.buffered(), 0u);
  }
}

TEST(AmpBoxTest, ReaderKeepsAnUnfinishedBoxAndRejectsNonAmp) {
  AmpBoxReader reader;
  std::vector<AmpBox> boxes;
  std::string box = *EncodeAmpBox({{"id", "abc"}});
  ASSERT_TRUE(reader.Feed(box.substr(0, box.size() - 2), &boxes).ok());
  EXPECT_TRUE(boxes.empty());
  EXPECT_EQ(reader.buffered(), box.size() - 2);

  AmpBoxReader bad;
  absl::Status s = bad.Feed("HTTP/1.1 200 OK\r\n", &boxes);
  EXPECT_THAT(s.message(), HasSubstr("not an AMP stream"));
  EXPECT_FALSE(bad.Feed(box, &boxes).ok());
}

class AmpPushClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    loop_ = *EventLoop::Create();
    recorder_ = std::make_unique<Recorder>();
  }

  void Make(int port) {
    AmpPushOptions o;
    o.host = "127.0.0.1";
    o.port = port;
    o.keys = {"/CalDAV/localhost/user01/"};
    o.backoff_initial_s = 0.05;
    o.backoff_max_s = 0.2;
    o.handshake_timeout_s = 0.5;
    o.seed = 3;
    client_ = std::make_unique<AmpPushClient>(
        loop_.get(), recorder_.get(), o,
        [this](const std::string& id) { notified_.push_back(id); },
        [this](bool up, const std::string& reason) {
          states_.push_back(up);
          if (!up) reasons_.push_back(reason);
        });
  }

  bool RunUntil(const std::function<bool()>& pred, double seconds) {
    int64_t deadline = MonotonicNowNs() + static_cast<int64_t>(seconds * 1e9);
    while (!pred() && MonotonicNowNs() < deadline) loop_->Run(MonotonicNowNs() + 10000000);
    return pred();
  }

  uint64_t Count(const std::string& label, bool failures) const {
    auto it = recorder_->current().find(label);
    if (it == recorder_->current().end()) return 0;
    return failures ? it->second.failures() : it->second.count();
  }
  std::string FailureReasons() const {
    std::string out;
    auto it = recorder_->current().find("AMP{subscribe}");
    if (it == recorder_->current().end()) return out;
    for (const auto& [reason, n] : it->second.failure_reasons()) out += reason + "\n";
    return out;
  }

  const std::string key_ = "/CalDAV/localhost/user01/";
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<Recorder> recorder_;
  std::unique_ptr<AmpPushClient> client_;
  std::vector<std::string> notified_;
  std::vector<bool> states_;
  std::vector<std::string> reasons_;
};

TEST_F(AmpPushClientTest, SubscribesAnswersNotificationsAndReportsOnlyItsKeys) {
  testing::AmpNotifier notifier;
  ASSERT_TRUE(notifier.Start());
  Make(notifier.port());
  client_->Start();
  ASSERT_TRUE(RunUntil([&] { return client_->up(); }, 10));
  EXPECT_EQ(notifier.subscriptions(key_), 1);
  EXPECT_EQ(notifier.last_token().size(), 36u);  // a uuid4 string
  EXPECT_THAT(states_, ElementsAre(true));
  EXPECT_EQ(Count("AMP{subscribe}", false), 1u);

  EXPECT_EQ(notifier.Notify(key_), 1);
  EXPECT_EQ(notifier.Notify("/CalDAV/localhost/someone-else/"), 0);
  ASSERT_TRUE(RunUntil([&] { return notifier.ok_answers() == 1; }, 10));
  ASSERT_TRUE(RunUntil([&] { return notified_.size() == 1; }, 10));
  EXPECT_EQ(notified_[0], key_);
  EXPECT_EQ(client_->notifications(), 1);
  EXPECT_EQ(notifier.protocol_errors(), 0);
}

TEST_F(AmpPushClientTest, UnreachableHostIsReportedAndRetriedUntilItAnswers) {
  int port = testing::FreePort();
  Make(port);
  client_->Start();
  ASSERT_TRUE(RunUntil([&] { return client_->attempts() >= 3; }, 10));
  EXPECT_FALSE(client_->up());
  EXPECT_GE(Count("AMP{subscribe}", true), 2u);
  EXPECT_THAT(FailureReasons(), HasSubstr("Connection refused"));
  EXPECT_THAT(reasons_.front(), HasSubstr(std::to_string(port)));

  testing::AmpNotifier notifier;
  ASSERT_TRUE(notifier.Start(port));
  ASSERT_TRUE(RunUntil([&] { return client_->up(); }, 10));
  EXPECT_EQ(notifier.subscriptions(key_), 1);
  EXPECT_EQ(states_.back(), true);
}

TEST_F(AmpPushClientTest, DroppedConnectionIsReportedAndResubscribed) {
  testing::AmpNotifier notifier;
  ASSERT_TRUE(notifier.Start());
  Make(notifier.port());
  client_->Start();
  ASSERT_TRUE(RunUntil([&] { return client_->up(); }, 10));
  notifier.DropAll();
  ASSERT_TRUE(RunUntil([&] { return !client_->up(); }, 10));
  EXPECT_THAT(reasons_.front(), HasSubstr("closed the connection"));
  ASSERT_TRUE(RunUntil([&] { return client_->up(); }, 10));
  EXPECT_EQ(notifier.subscriptions(key_), 2);
  EXPECT_EQ(client_->subscriptions(), 2);
  // The new connection carries notifications again.
  EXPECT_EQ(notifier.Notify(key_), 1);
  ASSERT_TRUE(RunUntil([&] { return notified_.size() == 1; }, 10));
}

TEST_F(AmpPushClientTest, RefusedSubscriptionIsAFailureWithTheServersReason) {
  testing::AmpNotifier notifier;
  notifier.SetRefuse(true);
  ASSERT_TRUE(notifier.Start());
  Make(notifier.port());
  client_->Start();
  ASSERT_TRUE(RunUntil([&] { return Count("AMP{subscribe}", true) >= 1; }, 10));
  EXPECT_FALSE(client_->up());
  EXPECT_THAT(FailureReasons(), HasSubstr("REFUSED: subscriptions are refused"));
}

TEST_F(AmpPushClientTest, SilentHostTimesOut) {
  // A socket that listens (the kernel completes the handshake) but never answers.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 8), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  Make(ntohs(addr.sin_port));
  client_->Start();
  ASSERT_TRUE(RunUntil([&] { return Count("AMP{subscribe}", true) >= 1; }, 10));
  EXPECT_THAT(FailureReasons(), HasSubstr("not answered in time"));
  client_.reset();
  close(fd);
}

TEST_F(AmpPushClientTest, StopEndsReconnects) {
  Make(testing::FreePort());
  client_->Start();
  ASSERT_TRUE(RunUntil([&] { return client_->attempts() >= 1; }, 10));
  client_->Stop();
  int attempts = client_->attempts();
  loop_->Run(MonotonicNowNs() + 300000000);  // longer than the backoff cap
  EXPECT_EQ(client_->attempts(), attempts);
}

}  // namespace
}  // namespace loadsim
