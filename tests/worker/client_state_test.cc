#include "worker/client_state.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/servers/radicale_server.h"
#include "tests/worker/calendar_test_util.h"
#include "tests/worker/direct_put.h"
#include "worker/caldav_client.h"
#include "worker/standalone.h"

namespace loadsim {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

fs::path FreshDir(const std::string& name) {
  fs::path dir = fs::path(::testing::TempDir()) / ("client_state_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

ClientIdentity Who() { return {"OS_X_10_7", "OS X 10.7", "http://127.0.0.1:5232", "user01"}; }

ClientSnapshot Sample() {
  ClientSnapshot s;
  s.principal = "/user01/";
  s.home = "/user01/";
  s.sync_mode = true;
  s.push_key = "/CalDAV/host/user01/";
  CachedCalendar& cal = s.calendars["/user01/calendar/"];
  cal.href = "/user01/calendar/";
  cal.name = "Calendar";
  cal.components = {"VEVENT"};
  cal.sync_report = true;
  cal.token = "ctag-1";
  cal.sync_token = "http://radicale.org/ns/sync/abc";
  CachedItem& item = cal.items["/user01/calendar/a b.ics"];
  item.etag = "\"e1\"";
  item.uid = "uid-a";
  item.summary = "Lunch";
  item.kind = ComponentKind::kEvent;
  CachedCalendar& inbox = s.calendars["/user01/inbox/"];
  inbox.href = "/user01/inbox/";
  inbox.inbox = true;
  return s;
}

TEST(ClientStatePathTest, OneFilePerAccountTitleAndClientIndex) {
  EXPECT_EQ(ClientStatePath("/d", "user01", "OS X 10.7", 0), "/d/user01-OS_X_10.7.state");
  EXPECT_EQ(ClientStatePath("/d/", "user01", "10.7", 2), "/d/user01-10.7-2.state");
  EXPECT_EQ(ClientStatePath("rel", "u", "a/b", 0), "rel/u-a_b.state");
}

TEST(ClientStateFileTest, RoundTripsEverythingTheClientKeeps) {
  fs::path dir = FreshDir("roundtrip");
  std::string path = (dir / "sub" / "user01.state").string();  // the directory is created
  ASSERT_TRUE(SaveClientState(path, Who(), Sample()).ok());
  absl::StatusOr<ClientSnapshot> got = LoadClientState(path, Who());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->principal, "/user01/");
  EXPECT_EQ(got->home, "/user01/");
  EXPECT_TRUE(got->sync_mode);
  EXPECT_EQ(got->push_key, "/CalDAV/host/user01/");
  ASSERT_EQ(got->calendars.size(), 2u);
  const CachedCalendar& cal = got->calendars.at("/user01/calendar/");
  EXPECT_EQ(cal.name, "Calendar");
  EXPECT_EQ(cal.components, std::vector<std::string>{"VEVENT"});
  EXPECT_TRUE(cal.sync_report);
  EXPECT_EQ(cal.token, "ctag-1");
  EXPECT_EQ(cal.sync_token, "http://radicale.org/ns/sync/abc");
  const CachedItem& item = cal.items.at("/user01/calendar/a b.ics");
  EXPECT_EQ(item.etag, "\"e1\"");
  EXPECT_EQ(item.uid, "uid-a");
  EXPECT_EQ(item.summary, "Lunch");
  EXPECT_EQ(item.kind, ComponentKind::kEvent);
  EXPECT_TRUE(got->calendars.at("/user01/inbox/").inbox);
  // No temporary file is left behind.
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir / "sub")) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
}

TEST(ClientStateFileTest, RejectsFilesOfOthersAndBrokenFilesNamingTheFile) {
  fs::path dir = FreshDir("reject");
  std::string path = (dir / "s.state").string();
  EXPECT_TRUE(absl::IsNotFound(LoadClientState(path, Who()).status()));

  ASSERT_TRUE(SaveClientState(path, Who(), Sample()).ok());
  ClientIdentity other = Who();
  other.server = "http://127.0.0.1:8008";
  absl::Status s = LoadClientState(path, other).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr(path));
  EXPECT_THAT(s.message(), HasSubstr("written for server 'http://127.0.0.1:5232'"));
  other = Who();
  other.uid = "user02";
  EXPECT_THAT(LoadClientState(path, other).status().message(), HasSubstr("account 'user01'"));
  other = Who();
  other.software = "iOS_5";
  EXPECT_THAT(LoadClientState(path, other).status().message(),
              HasSubstr("client software 'OS_X_10_7'"));

  std::ofstream(path, std::ios::trunc) << "{\"principalURL\": \"/x/\"}";  // r11831's index.json
  s = LoadClientState(path, Who()).status();
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr(path));
  EXPECT_THAT(s.message(), HasSubstr("not a loadsim client state file"));

  std::ofstream(path, std::ios::trunc) << "loadsim-client-state\n\xff\xff\xff\xff garbage";
  s = LoadClientState(path, Who()).status();
  EXPECT_THAT(s.message(), HasSubstr("corrupt"));

  v1::ClientState future = ToProto(Who(), Sample());
  future.set_format_version(2);
  std::ofstream(path, std::ios::trunc | std::ios::binary)
      << "loadsim-client-state\n" << future.SerializeAsString();
  s = LoadClientState(path, Who()).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("format version 2, expected 1"));
}

// A client against Radicale that keeps its state in a file.
class PersistedClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(radicale_.Start(2));
    loop_ = *EventLoop::Create();
    engine_ = *HttpEngine::Create(loop_.get());
    state_ = (FreshDir("client") / "user01.state").string();
  }
  void TearDown() override {
    client_.reset();
    engine_.reset();
  }

  void MakeClient(bool use_old_data) {
    recorder_ = std::make_unique<Recorder>();
    CalendarClientOptions o;
    o.traits = &TraitsOf(ClientSoftware::kOsX10_7);
    o.root = radicale_.Url("");
    o.principal_path_template = "/%s/";
    o.poll_interval_s = 600;  // polls only through PollNow
    o.uid = "user01";
    o.password = "pass01";
    o.seed = 5;
    o.state_path = state_;
    o.use_old_data = use_old_data;
    client_ = *CalendarClient::Create(
        o, loop_.get(), std::make_unique<ConnectionPool>(engine_.get(), ConnectionLimits{}),
        recorder_.get());
  }

  bool RunUntil(const std::function<bool()>& pred, double seconds) {
    return calendar_test::RunUntil(*loop_, pred, seconds);
  }

  void PutEvent(const std::string& href, const std::string& uid) {
    ConnectionPool pool(engine_.get(), ConnectionLimits{});
    EXPECT_EQ(calendar_test::PutEventDirectly(*loop_, &pool, radicale_.Url(""), "user01", "pass01",
                                              href, uid),
              "");
  }

  void Poll() {
    bool done = false;
    client_->PollNow([&](bool ok, const std::string& reason) {
      EXPECT_TRUE(ok) << reason;
      done = true;
    });
    ASSERT_TRUE(RunUntil([&] { return done; }, 10));
  }

  uint64_t Count(const std::string& label) const { return calendar_test::Count(*recorder_, label); }
  std::string Labels() const { return calendar_test::Labels(*recorder_); }
  uint64_t Requests() const {
    uint64_t n = 0;
    for (const auto& [label, rec] : recorder_->current()) {
      if (label.find('{') != std::string::npos && !IsSchedulingLabel(label) &&
          label.rfind("AUTH", 0) != 0) {
        n += rec.count();
      }
    }
    return n;
  }

  testing::RadicaleServer radicale_;
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<HttpEngine> engine_;
  std::unique_ptr<Recorder> recorder_;
  std::unique_ptr<CalendarClient> client_;
  std::string state_;
};

TEST_F(PersistedClientTest, ReloadedStateSkipsDiscoveryAndUnchangedCalendars) {
  MakeClient(false);
  client_->Start();
  ASSERT_TRUE(RunUntil([&] { return client_->started(); }, 20)) << Labels();
  std::string events = client_->CalendarsFor("VEVENT")[0]->href;
  PutEvent(events + "one.ics", "uid-one");
  PutEvent(events + "two.ics", "uid-two");
  Poll();
  ASSERT_NE(client_->FindItem(events + "one.ics"), nullptr) << Labels();
  uint64_t first_requests = Requests();
  // Radicale answers the well-known PROPFIND with a redirect: two requests.
  EXPECT_GE(Count("PROPFIND{well-known}"), 1u) << Labels();
  EXPECT_GE(Count("REPORT{sync-init}"), 2u) << Labels();
  client_->Stop();
  ASSERT_TRUE(fs::exists(state_));
  client_.reset();

  // A second run: the state file replaces discovery and the full syncs.
  MakeClient(true);
  client_->Start();
  ASSERT_TRUE(RunUntil([&] { return client_->started(); }, 20)) << Labels();
  EXPECT_EQ(Count("PROPFIND{well-known}"), 0u) << Labels();
  EXPECT_EQ(Count("PROPFIND{find-principal}"), 0u) << Labels();
  EXPECT_EQ(Count("REPORT{sync-init}"), 0u) << Labels();
  EXPECT_EQ(Count("REPORT{sync}"), 0u) << Labels();  // no calendar changed
  EXPECT_EQ(Count("PROPFIND{principal}"), 1u) << Labels();
  EXPECT_LT(Requests(), first_requests) << Labels();
  ASSERT_NE(client_->FindItem(events + "two.ics"), nullptr);
  EXPECT_EQ(client_->FindItem(events + "two.ics")->uid, "uid-two");

  // A change made between the runs is picked up incrementally.
  PutEvent(events + "three.ics", "uid-three");
  Poll();
  EXPECT_EQ(Count("REPORT{sync}"), 1u) << Labels();
  EXPECT_EQ(Count("REPORT{sync-init}"), 0u) << Labels();
  ASSERT_NE(client_->FindItem(events + "three.ics"), nullptr) << Labels();
  for (const auto& [label, rec] : recorder_->current()) {
    EXPECT_EQ(rec.failures(), 0u) << label << "\n" << Labels();
  }
}

TEST_F(PersistedClientTest, CorruptStateFileMeansFreshDiscoveryAndIsReplaced) {
  std::ofstream(state_) << "loadsim-client-state\n\x0a\xff\xff garbage";
  MakeClient(true);
  client_->Start();
  ASSERT_TRUE(RunUntil([&] { return client_->started(); }, 20)) << Labels();
  EXPECT_GE(Count("PROPFIND{well-known}"), 1u) << Labels();
  client_->Stop();
  absl::StatusOr<ClientSnapshot> saved = LoadClientState(state_, IdentityOf(*client_));
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_EQ(saved->home, "/user01/");
}

// Both spellings of the configuration (r11831 {Enabled, Path}, r11832 {UseOldData, Path})
// through a standalone run: the second run starts from the first one's files.
TEST(ClientDataSerializationRunTest, SecondRunReusesTheFirstRunsState) {
  testing::RadicaleServer radicale;
  ASSERT_TRUE(radicale.Start(3));
  fs::path dir = FreshDir("run");
  {
    std::ofstream csv(dir / "accounts.csv");
    for (int i = 1; i <= 3; ++i) csv << "user0" << i << ",pass0" << i << ",U,u@example.com\n";
  }
  auto write_config = [&](const std::string& serialization) {
    std::ofstream(dir / "config.plist")
        << "<?xml version=\"1.0\" encoding=\"UTF-8\"?><plist version=\"1.0\"><dict>"
        << "<key>server</key><string>" << radicale.Url("") << "</string>"
        << "<key>principalPathTemplate</key><string>/%s/</string>"
        << "<key>accounts</key><dict><key>loader</key><string>recordsFromCSVFile</string>"
        << "<key>params</key><dict><key>path</key><string>accounts.csv</string></dict></dict>"
        << "<key>arrival</key><dict><key>params</key><dict><key>groups</key><integer>1</integer>"
        << "<key>groupSize</key><integer>3</integer><key>interval</key><integer>0</integer>"
        << "</dict></dict><key>clientDataSerialization</key><dict>" << serialization
        << "</dict><key>clients</key><array><dict><key>software</key><string>OS_X_10_7</string>"
        << "<key>params</key><dict><key>calendarHomePollInterval</key><integer>1</integer>"
        << "</dict><key>profiles</key><array/></dict></array></dict></plist>";
  };
  auto run = [&]() -> LabelMap {
    ConfigFiles files;
    files.config_path = (dir / "config.plist").string();
    absl::StatusOr<LoadedConfig> loaded = LoadConfig(files);
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    if (!loaded.ok()) return {};
    StandaloneOptions options;
    options.runtime_s = 3;
    options.drain_grace_s = 2;
    absl::StatusOr<StandaloneResult> result = RunStandalone(*loaded, options);
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok()) return {};
    std::printf("%s\n", FormatStandaloneReport(*result).c_str());
    return result->labels;
  };
  auto count = [](const LabelMap& m, const std::string& label) -> uint64_t {
    auto it = m.find(label);
    return it == m.end() ? 0 : it->second.count();
  };
  write_config("<key>Enabled</key><true/><key>Path</key><string>state</string>");
  LabelMap first = run();
  EXPECT_GE(count(first, "PROPFIND{well-known}"), 3u);
  EXPECT_EQ(count(first, "startup: OS X 10.7"), 3u);
  for (int i = 1; i <= 3; ++i) {
    EXPECT_TRUE(fs::exists(dir / "state" / absl::StrCat("user0", i, "-OS_X_10.7.state")));
  }
  write_config("<key>UseOldData</key><true/><key>Path</key><string>state</string>");
  LabelMap second = run();
  EXPECT_EQ(count(second, "startup: OS X 10.7"), 3u);
  EXPECT_EQ(count(second, "PROPFIND{well-known}"), 0u);
  EXPECT_EQ(count(second, "REPORT{sync-init}"), 0u);
  EXPECT_LT(count(second, "REPORT{sync}") + count(second, "REPORT{sync-init}"),
            count(first, "REPORT{sync}") + count(first, "REPORT{sync-init}"));
  for (const LabelMap* m : {&first, &second}) {
    for (const auto& [label, rec] : *m) EXPECT_EQ(rec.failures(), 0u) << label;
  }
}

}  // namespace
}  // namespace loadsim
