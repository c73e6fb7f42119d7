// The calendar client's own flows (start-up with discovery, polls, Eventer and Tasker) against
// a real DAViCal, whose URL layout (/caldav.php/<user>/, inbox .in/, outbox .out/), two DAV:
// header lines and sync tokens differ from Radicale's.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/servers/davical_server.h"
#include "tests/worker/calendar_test_util.h"
#include "worker/calendar_client.h"
#include "worker/profiles.h"

namespace loadsim {
namespace {

using calendar_test::Constant;
using calendar_test::NearFuture;

class DavicalClientTest : public ::testing::TestWithParam<ClientSoftware> {
 protected:
  static void SetUpTestSuite() {
    server_ = new testing::DavicalServer();
    if (!server_->Start(20)) {
      std::string error = server_->error();
      delete server_;
      server_ = nullptr;
      FAIL() << "DAViCal did not start: " << error;
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    loop_ = *EventLoop::Create();
    engine_ = *HttpEngine::Create(loop_.get());
    recorder_ = std::make_unique<Recorder>();
  }
  void TearDown() override {
    profiles_.clear();
    client_.reset();
    engine_.reset();
  }

  // Each software uses its own account, so the tests do not see each other's data.
  static std::string UserFor(ClientSoftware software) {
    switch (software) {
      case ClientSoftware::kOsX10_6:
        return "user18";
      case ClientSoftware::kOsX10_7:
        return "user19";
      case ClientSoftware::kIos5:
        return "user20";
    }
    return "";
  }

  void MakeClient(ClientSoftware software, double poll_s) {
    std::string user = UserFor(software);
    CalendarClientOptions o;
    o.traits = &TraitsOf(software);
    o.root = server_->Url("");
    o.principal_path_template = testing::DavicalServer::PrincipalPathTemplate();
    o.poll_interval_s = poll_s;
    o.uid = user;
    o.password = "pass" + user.substr(4);
    o.email = user + "@example.com";
    o.seed = 11;
    absl::StatusOr<std::unique_ptr<CalendarClient>> c = CalendarClient::Create(
        std::move(o), loop_.get(),
        std::make_unique<ConnectionPool>(engine_.get(), ConnectionLimits{}), recorder_.get());
    ASSERT_TRUE(c.ok()) << c.status();
    client_ = *std::move(c);
  }

  bool RunUntil(const std::function<bool()>& pred, double seconds) {
    return calendar_test::RunUntil(*loop_, pred, seconds);
  }
  uint64_t Count(const std::string& label) const { return calendar_test::Count(*recorder_, label); }
  std::string Labels() const { return calendar_test::Labels(*recorder_); }

  static testing::DavicalServer* server_;
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<HttpEngine> engine_;
  std::unique_ptr<Recorder> recorder_;
  std::unique_ptr<CalendarClient> client_;
  std::vector<std::unique_ptr<Profile>> profiles_;
};

testing::DavicalServer* DavicalClientTest::server_ = nullptr;

TEST_P(DavicalClientTest, StartsPollsAndCreatesOnDavicalLayout) {
  const SoftwareTraits& t = TraitsOf(GetParam());
  const std::string user = UserFor(GetParam());
  MakeClient(GetParam(), 1.0);
  v1::ProfileSpec eventer;
  eventer.set_enabled(true);
  eventer.mutable_eventer()->set_interval_seconds(0.7);
  *eventer.mutable_eventer()->mutable_event_start() = NearFuture();
  *eventer.mutable_eventer()->mutable_event_duration() = Constant(v1::VALUE_KIND_TIME, 3600);
  v1::ProfileSpec tasker;
  tasker.set_enabled(true);
  tasker.mutable_tasker()->set_interval_seconds(0.7);
  *tasker.mutable_tasker()->mutable_task_due() = NearFuture();
  for (const v1::ProfileSpec& spec : {eventer, tasker}) {
    absl::StatusOr<std::unique_ptr<Profile>> p = CreateProfile(spec, client_.get(), 5);
    ASSERT_TRUE(p.ok()) << p.status();
    ASSERT_NE(*p, nullptr);
    profiles_.push_back(*std::move(p));
  }
  client_->Start();
  for (auto& p : profiles_) p->Start();
  ASSERT_TRUE(RunUntil([&] { return client_->started(); }, 60)) << Labels();

  // Discovery found DAViCal's layout: home = principal, inbox .in/, outbox .out/, mailto:.
  const std::string home = "/caldav.php/" + user + "/";
  EXPECT_EQ(client_->home(), home);
  EXPECT_EQ(client_->outbox(), home + ".out/");
  EXPECT_EQ(client_->principal_collection(), "/caldav.php/");
  EXPECT_EQ(client_->address(), "mailto:" + user + "@example.com");
  ASSERT_EQ(client_->CalendarsFor("VEVENT").size(), 1u) << Labels();
  EXPECT_EQ(client_->CalendarsFor("VEVENT")[0]->href, home + "calendar/");
  ASSERT_EQ(client_->CalendarsFor("VTODO").size(), 1u) << Labels();  // provisioned
  bool inbox = false;
  for (const auto& [href, cal] : client_->calendars()) inbox = inbox || (cal.inbox && href == home + ".in/");
  EXPECT_TRUE(inbox) << "the scheduling inbox is listed by type";

  ASSERT_TRUE(RunUntil([&] { return client_->polls() >= 4 && Count("create") >= 6; }, 60))
      << Labels();
  // Stop creating, then let one more poll fetch what was created.
  for (auto& p : profiles_) p->Stop();
  RunUntil([] { return false; }, 0.5);
  int polls = client_->polls();
  ASSERT_TRUE(RunUntil([&] { return client_->polls() >= polls + 1; }, 30)) << Labels();

  EXPECT_EQ(Count(absl::StrCat("startup: ", t.client_type)), 1u) << Labels();
  EXPECT_GE(Count(t.well_known_discovery ? "PROPFIND{well-known}" : "PROPFIND{find-principal}"),
            1u)
      << Labels();
  EXPECT_GE(Count("PUT{event}"), 6u) << Labels();
  switch (GetParam()) {
    case ClientSoftware::kOsX10_6:
      EXPECT_GE(Count("PROPFIND{calendar}"), 2u) << Labels();
      break;
    case ClientSoftware::kOsX10_7:
      EXPECT_GE(Count("REPORT{sync}"), 1u) << Labels();  // DAViCal's data:,N tokens
      break;
    case ClientSoftware::kIos5:
      EXPECT_GE(Count("REPORT{vevent}"), 1u) << Labels();
      EXPECT_GE(Count("REPORT{vtodo}"), 1u) << Labels();
      break;
  }
  for (const auto& [label, rec] : recorder_->current()) {
    EXPECT_EQ(rec.failures(), 0u) << label << "\n" << Labels();
  }

  // What the client cached is what DAViCal stores for this user's calendars.
  size_t cached = 0;
  for (const auto& [href, cal] : client_->calendars()) {
    if (!cal.inbox) cached += cal.items.size();
  }
  std::vector<std::string> stored = server_->Query(
      "SELECT count(*) FROM caldav_data WHERE dav_name LIKE '/" + user +
      "/%' AND dav_name NOT LIKE '/" + user + "/.in/%'");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0], std::to_string(cached)) << Labels();
  EXPECT_GE(cached, 6u);
}

INSTANTIATE_TEST_SUITE_P(Softwares, DavicalClientTest,
                         ::testing::Values(ClientSoftware::kOsX10_6, ClientSoftware::kOsX10_7,
                                           ClientSoftware::kIos5),
                         [](const ::testing::TestParamInfo<ClientSoftware>& info) {
                           return std::string(TraitsOf(info.param).name);
                         });

}  // namespace
}  // namespace loadsim
