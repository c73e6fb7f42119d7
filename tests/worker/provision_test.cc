#include "worker/provision.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/servers/radicale_server.h"
#include "tests/servers/spawned_process.h"
#include "worker/caldav_client.h"
#include "worker/http_auth.h"

namespace loadsim {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

v1::Account Account(int i, const std::string& password = "") {
  v1::Account a;
  a.set_uid(absl::StrFormat("user%02d", i));
  a.set_password(password.empty() ? absl::StrFormat("pass%02d", i) : password);
  return a;
}

uint64_t Count(const LabelMap& labels, const std::string& label) {
  auto it = labels.find(label);
  return it == labels.end() ? 0 : it->second.count();
}

Multistatus Listing(const std::string& body) {
  absl::StatusOr<Multistatus> ms = ParseMultistatus(body);
  EXPECT_TRUE(ms.ok()) << ms.status();
  return ms.ok() ? *ms : Multistatus{};
}

std::string Calendar(const std::string& href, const std::string& comps) {
  return absl::StrCat(
      "<D:response><D:href>", href, "</D:href><D:propstat><D:prop><D:resourcetype><D:collection/>",
      comps.empty() ? "" : "<C:calendar/>", "</D:resourcetype>",
      comps.empty() ? "" : absl::StrCat("<C:supported-calendar-component-set>", comps,
                                        "</C:supported-calendar-component-set>"),
      "</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>");
}

std::string Home(const std::string& responses) {
  return absl::StrCat(
      "<?xml version=\"1.0\"?><D:multistatus xmlns:D=\"DAV:\" "
      "xmlns:C=\"urn:ietf:params:xml:ns:caldav\">",
      Calendar("/u/", ""), responses, "</D:multistatus>");
}

TEST(MissingCalendarRequestsTest, AsksOnlyForWhatIsMissingAndAvoidsTakenNames) {
  RequestBuilder b(TraitsOf(ClientSoftware::kOsX10_7), "http://127.0.0.1:1");
  std::vector<CaldavRequest> none = MissingCalendarRequests(b, "/u/", Listing(Home("")));
  ASSERT_EQ(none.size(), 2u);
  EXPECT_EQ(none[0].http.method, "MKCALENDAR");
  EXPECT_EQ(none[0].http.url, "http://127.0.0.1:1/u/calendar/");
  EXPECT_THAT(none[0].http.body, HasSubstr("name=\"VEVENT\""));
  EXPECT_EQ(none[1].http.url, "http://127.0.0.1:1/u/tasks/");
  EXPECT_THAT(none[1].http.body, HasSubstr("name=\"VTODO\""));

  // A calendar for both: nothing to do.
  EXPECT_TRUE(MissingCalendarRequests(
                  b, "/u/",
                  Listing(Home(Calendar("/u/x/", "<C:comp name=\"VEVENT\"/><C:comp name=\"VTODO\"/>"))))
                  .empty());
  // Events only, and "tasks/" is a plain collection: the task calendar goes to "tasks-2/".
  std::vector<CaldavRequest> tasks = MissingCalendarRequests(
      b, "/u/",
      Listing(Home(Calendar("/u/calendar/", "<C:comp name=\"VEVENT\"/>") + Calendar("/u/tasks/", ""))));
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].http.url, "http://127.0.0.1:1/u/tasks-2/");
}

class ProvisionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(radicale_.Start(6));
    spec_.mutable_server()->set_url(radicale_.Url(""));
    spec_.mutable_server()->set_principal_path_template("/%s/");
  }

  // The components of the calendars of `uid`'s home, straight from the server.
  std::vector<std::string> ServerComponents(int i) {
    std::unique_ptr<EventLoop> loop = *EventLoop::Create();
    std::unique_ptr<HttpEngine> engine = *HttpEngine::Create(loop.get());
    ConnectionPool pool(engine.get(), ConnectionLimits{});
    v1::Account a = Account(i);
    AuthSession auth(a.uid(), a.password(), 1);
    CaldavSession session(&pool, &auth);
    std::vector<std::string> comps;
    bool done = false;
    session.Send(RequestBuilder(TraitsOf(ClientSoftware::kOsX10_7), radicale_.Url(""))
                     .HomeProperties(absl::StrCat("/", a.uid(), "/")),
                 [&](CaldavResult& r) {
                   done = true;
                   ASSERT_TRUE(r.ok()) << r.reason;
                   for (const MultistatusResponse& resp : r.multistatus->responses) {
                     if (!resp.props.resourcetype || !resp.props.resourcetype->calendar) continue;
                     for (const std::string& c : resp.props.supported_components.value_or(
                              std::vector<std::string>{})) {
                       comps.push_back(c);
                     }
                   }
                 });
    int64_t deadline = MonotonicNowNs() + 10000000000;
    while (!done && MonotonicNowNs() < deadline) loop->Run(MonotonicNowNs() + 20000000);
    std::sort(comps.begin(), comps.end());
    return comps;
  }

  testing::RadicaleServer radicale_;
  v1::RunSpec spec_;
};

TEST_F(ProvisionTest, GivesFreshAccountsBothCalendarsOnceAndReportsBadAccounts) {
  std::vector<v1::Account> accounts = {Account(1), Account(2), Account(3), Account(4)};
  ProvisionOptions options;
  options.concurrency = 3;
  absl::StatusOr<ProvisionResult> first = ProvisionAccounts(spec_, accounts, options);
  ASSERT_TRUE(first.ok()) << first.status();
  std::string report = FormatProvisionReport(*first);
  EXPECT_EQ(first->failed, 0) << report;
  EXPECT_EQ(first->created, 8) << report;
  EXPECT_EQ(Count(first->labels, "MKCALENDAR"), 8u) << report;
  for (int i = 1; i <= 4; ++i) {
    EXPECT_EQ(ServerComponents(i), (std::vector<std::string>{"VEVENT", "VTODO"})) << i;
  }
  EXPECT_THAT(report, HasSubstr("provisioned 4 accounts: 8 calendars created, 0 accounts failed"));

  // Idempotent: nothing more to create. A wrong password is one failed account, named.
  accounts.push_back(Account(5, "wrong"));
  absl::StatusOr<ProvisionResult> second = ProvisionAccounts(spec_, accounts, options);
  ASSERT_TRUE(second.ok()) << second.status();
  report = FormatProvisionReport(*second);
  EXPECT_EQ(second->created, 0) << report;
  EXPECT_EQ(Count(second->labels, "MKCALENDAR"), 0u) << report;
  EXPECT_EQ(second->failed, 1) << report;
  EXPECT_FALSE(second->accounts[4].ok);
  EXPECT_THAT(second->accounts[4].error,
              HasSubstr(absl::StrCat("PROPFIND{find-principal} ", radicale_.Url("/user05/"),
                                     ": HTTP 401")));
  EXPECT_THAT(report, HasSubstr("provision failed: user05: PROPFIND{find-principal}"));
  for (int i = 1; i <= 4; ++i) {
    EXPECT_EQ(ServerComponents(i), (std::vector<std::string>{"VEVENT", "VTODO"})) << i;
  }
}

TEST_F(ProvisionTest, RejectsASpecWithoutServerOrAnAccountWithoutUid) {
  v1::RunSpec empty;
  EXPECT_THAT(ProvisionAccounts(empty, {Account(1)}).status().message(),
              HasSubstr("no server URL"));
  EXPECT_THAT(ProvisionAccounts(spec_, {Account(1), v1::Account()}).status().message(),
              HasSubstr("account 1 has no uid"));
}

TEST_F(ProvisionTest, WorkerProvisionFlagProvisionsTheConfigurationsUsers) {
  std::string worker = std::string(LOADSIM_BINARY_DIR) + "/worker/loadsim-worker";
  ASSERT_TRUE(fs::exists(worker)) << "build loadsim-worker first: " << worker;
  fs::path dir = fs::path(::testing::TempDir()) / "provision_flag";
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    std::ofstream csv(dir / "accounts.csv");
    for (int i = 1; i <= 6; ++i) csv << absl::StrFormat("user%02d,pass%02d,U,u@x\n", i, i);
  }
  std::ofstream(dir / "config.plist")
      << "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict>"
      << "<key>server</key><string>" << radicale_.Url("") << "</string>"
      << "<key>principalPathTemplate</key><string>/%s/</string>"
      << "<key>accounts</key><dict><key>loader</key><string>recordsFromCSVFile</string>"
      << "<key>params</key><dict><key>path</key><string>accounts.csv</string></dict></dict>"
      << "<key>arrival</key><dict><key>params</key><dict><key>groups</key><integer>1</integer>"
      << "<key>groupSize</key><integer>5</integer></dict></dict>"
      << "<key>clients</key><array><dict><key>software</key><string>OS_X_10_7</string>"
      << "<key>profiles</key><array/></dict></array></dict></plist>";
  std::string log = (dir / "out.log").string();
  for (int round = 0; round < 2; ++round) {
    testing::SpawnedProcess p;
    ASSERT_TRUE(p.Start({worker, "--standalone", "--config", (dir / "config.plist").string(),
                         "--provision"},
                        {}, log));
    EXPECT_EQ(p.WaitExit(60), 0);
  }
  std::ifstream in(log);
  std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_THAT(out, HasSubstr("provisioned 5 accounts: 10 calendars created, 0 accounts failed"));
  EXPECT_THAT(out, HasSubstr("provisioned 5 accounts: 0 calendars created, 0 accounts failed"));
  for (int i = 1; i <= 5; ++i) {
    EXPECT_EQ(ServerComponents(i), (std::vector<std::string>{"VEVENT", "VTODO"})) << i;
  }
  EXPECT_TRUE(ServerComponents(6).empty());  // not one of the run's users
}

}  // namespace
}  // namespace loadsim
