#include "worker/calendar_client.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/servers/radicale_server.h"
#include "tests/servers/spawned_process.h"
#include "worker/caldav_client.h"
#include "worker/http1_client.h"
#include "worker/profiles.h"
#include "worker/standalone.h"

namespace loadsim {
namespace {

using ::testing::HasSubstr;

// Forwards to a real pool, or answers 500 to everything while `fail` is set.
class FlakyTransport : public HttpTransport {
 public:
  FlakyTransport(EventLoop* loop, std::unique_ptr<HttpTransport> inner, std::shared_ptr<bool> fail)
      : loop_(loop), inner_(std::move(inner)), fail_(std::move(fail)) {}
  void Submit(HttpRequest req, HttpDone done) override {
    if (!*fail_) return inner_->Submit(std::move(req), std::move(done));
    ++fake_in_flight_;
    int64_t now = MonotonicNowNs();
    loop_->Post([this, now, done = std::move(done)] {
      --fake_in_flight_;
      HttpResponse r;
      r.status = 500;
      r.queued_ns = r.sent_ns = now;
      r.done_ns = MonotonicNowNs();
      done(r);
    });
  }
  int in_flight() const override { return inner_->in_flight() + fake_in_flight_; }
  size_t queued() const override { return inner_->queued(); }

 private:
  EventLoop* loop_;
  std::unique_ptr<HttpTransport> inner_;
  std::shared_ptr<bool> fail_;
  int fake_in_flight_ = 0;
};

v1::Distribution NearFuture() {
  v1::Distribution d;
  d.set_kind(v1::VALUE_KIND_DATETIME);
  d.mutable_near_future()->set_mu(10);
  d.mutable_near_future()->set_sigma(1);
  return d;
}

class CalendarClientTest : public ::testing::TestWithParam<ClientSoftware> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(radicale_.Start(4));
    loop_ = *EventLoop::Create();
    engine_ = *HttpEngine::Create(loop_.get());
    recorder_ = std::make_unique<Recorder>();
    fail_ = std::make_shared<bool>(false);
  }
  void TearDown() override {
    profiles_.clear();
    client_.reset();
    engine_.reset();
  }

  void MakeClient(ClientSoftware software, double poll_s, const std::string& user = "user01",
                  const std::string& password = "pass01") {
    CalendarClientOptions o;
    o.traits = &TraitsOf(software);
    o.root = radicale_.Url("");
    o.principal_path_template = "/%s/";
    o.poll_interval_s = poll_s;
    o.uid = user;
    o.password = password;
    o.email = user + "@example.com";
    o.seed = 7;
    auto transport = std::make_unique<FlakyTransport>(
        loop_.get(), std::make_unique<ConnectionPool>(engine_.get(), ConnectionLimits{}), fail_);
    absl::StatusOr<std::unique_ptr<CalendarClient>> c =
        CalendarClient::Create(std::move(o), loop_.get(), std::move(transport), recorder_.get());
    ASSERT_TRUE(c.ok()) << c.status();
    client_ = *std::move(c);
  }

  // Runs the loop until `pred` or `seconds` pass; returns pred().
  bool RunUntil(const std::function<bool()>& pred, double seconds) {
    int64_t deadline = MonotonicNowNs() + static_cast<int64_t>(seconds * 1e9);
    while (!pred() && MonotonicNowNs() < deadline) loop_->Run(MonotonicNowNs() + 20000000);
    return pred();
  }

  // A direct request as the same user, outside the client.
  CaldavResult Direct(CaldavRequest req) {
    ConnectionPool pool(engine_.get(), ConnectionLimits{});
    AuthSession auth("user01", "pass01", 3);
    CaldavSession session(&pool, &auth);
    std::vector<CaldavResult> got;
    session.Send(std::move(req), [&got](CaldavResult& r) { got.push_back(std::move(r)); });
    RunUntil([&got] { return !got.empty(); }, 20);
    EXPECT_EQ(got.size(), 1u);
    return got.empty() ? CaldavResult{} : std::move(got[0]);
  }

  uint64_t Count(const std::string& label) const {
    auto it = recorder_->current().find(label);
    return it == recorder_->current().end() ? 0 : it->second.count();
  }
  uint64_t Failures(const std::string& label) const {
    auto it = recorder_->current().find(label);
    return it == recorder_->current().end() ? 0 : it->second.failures();
  }
  std::string Labels() const {
    std::string out;
    for (const auto& [label, rec] : recorder_->current()) {
      absl::StrAppend(&out, label, " n=", rec.count(), " failed=", rec.failures(), "\n");
      for (const auto& [reason, n] : rec.failure_reasons()) {
        absl::StrAppend(&out, "    ", reason, " x", n, "\n");
      }
    }
    return out;
  }

  testing::RadicaleServer radicale_;
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<HttpEngine> engine_;
  std::unique_ptr<Recorder> recorder_;
  std::shared_ptr<bool> fail_;
  std::unique_ptr<CalendarClient> client_;
  std::vector<std::unique_ptr<Profile>> profiles_;
};

TEST_P(CalendarClientTest, StartsPollsCreatesAndSyncsDeletions) {
  MakeClient(GetParam(), 0.5);
  v1::ProfileSpec eventer;
  eventer.set_enabled(true);
  eventer.mutable_eventer()->set_interval_seconds(0.3);
  *eventer.mutable_eventer()->mutable_event_start() = NearFuture();
  v1::Distribution* duration = eventer.mutable_eventer()->mutable_event_duration();
  duration->set_kind(v1::VALUE_KIND_TIME);
  duration->mutable_constant()->set_value(3600);
  v1::ProfileSpec tasker;
  tasker.set_enabled(true);
  tasker.mutable_tasker()->set_interval_seconds(0.3);
  *tasker.mutable_tasker()->mutable_task_due() = NearFuture();
  for (const v1::ProfileSpec& spec : {eventer, tasker}) {
    absl::StatusOr<std::unique_ptr<Profile>> p = CreateProfile(spec, client_.get(), 5);
    ASSERT_TRUE(p.ok()) << p.status();
    ASSERT_NE(*p, nullptr);
    profiles_.push_back(*std::move(p));
  }
  client_->Start();
  for (auto& p : profiles_) p->Start();  // no-ops until the client has started

  ASSERT_TRUE(RunUntil([&] { return client_->started(); }, 20)) << Labels();
  EXPECT_EQ(client_->home(), "/user01/");
  ASSERT_EQ(client_->CalendarsFor("VEVENT").size(), 1u) << Labels();
  ASSERT_EQ(client_->CalendarsFor("VTODO").size(), 1u);
  const std::string events = client_->CalendarsFor("VEVENT")[0]->href;

  // Two more polls, and a few events and tasks.
  ASSERT_TRUE(RunUntil(
      [&] { return client_->polls() >= 3 && Count("create") >= 4 && Count("PUT{event}") >= 4; },
      20))
      << Labels();

  // An event created behind the client's back is fetched by the next poll (multiget).
  std::string outside = events + "outside.ics";
  EventSpec e;
  e.uid = "outside-uid";
  e.created = absl::Now();
  e.start = absl::Now() + absl::Hours(30);
  e.summary = "From elsewhere";
  CaldavRequest put = RequestBuilder(TraitsOf(GetParam()), radicale_.Url(""))
                          .PutEvent(outside, CalendarObject::NewEvent(e)->Serialize());
  ASSERT_TRUE(Direct(std::move(put)).ok());
  ASSERT_TRUE(RunUntil([&] { return client_->FindItem(outside) != nullptr; }, 10)) << Labels();
  EXPECT_EQ(client_->FindItem(outside)->uid, "outside-uid");
  EXPECT_EQ(client_->FindItem(outside)->summary, "From elsewhere");

  // Deleted on the server: the next sync drops it from the cache.
  ASSERT_TRUE(Direct(RequestBuilder(TraitsOf(GetParam()), radicale_.Url("")).Delete(outside)).ok());
  ASSERT_TRUE(RunUntil([&] { return client_->FindItem(outside) == nullptr; }, 10)) << Labels();
  int polls = client_->polls();
  ASSERT_TRUE(RunUntil([&] { return client_->polls() >= polls + 1; }, 10));
  EXPECT_EQ(client_->FindItem(outside), nullptr);

  const SoftwareTraits& t = TraitsOf(GetParam());
  // DeleteEvent: gone from the cache at once, and stays gone after the next poll.
  std::string victim;
  for (const auto& [href, item] : client_->CalendarsFor("VEVENT")[0]->items) victim = href;
  ASSERT_FALSE(victim.empty());
  std::vector<bool> deleted;
  client_->DeleteEvent(victim, [&](bool ok, const std::string& reason) {
    EXPECT_TRUE(ok) << reason;
    deleted.push_back(ok);
  });
  EXPECT_EQ(client_->FindItem(victim), nullptr);
  ASSERT_TRUE(RunUntil([&] { return !deleted.empty(); }, 10));
  polls = client_->polls();
  ASSERT_TRUE(RunUntil([&] { return client_->polls() >= polls + 1; }, 10));
  EXPECT_EQ(client_->FindItem(victim), nullptr);
  EXPECT_EQ(Count("DELETE{event}"), 1u);

  // Labels of spec 3.9, and nothing failed.
  EXPECT_EQ(Count("PROPPATCH{calendar}"), t.well_known_discovery && !t.expand_proxies ? 4u : 6u)
      << Labels();
  EXPECT_EQ(Count(absl::StrCat("startup: ", t.client_type)), 1u) << Labels();
  EXPECT_GE(Count("poll"), 3u);
  EXPECT_GE(Count("PROPFIND{home}"), 4u);
  EXPECT_GE(Count("PROPFIND{principal}"), 1u);
  EXPECT_GE(Count(t.well_known_discovery ? "PROPFIND{well-known}" : "PROPFIND{find-principal}"),
            1u);
  EXPECT_GE(Count("REPORT{multiget-small}"), 1u) << Labels();
  EXPECT_GE(Count("PUT{event}"), 4u);
  switch (GetParam()) {
    case ClientSoftware::kOsX10_6:
      EXPECT_GE(Count("PROPFIND{calendar}"), 2u) << Labels();
      break;
    case ClientSoftware::kOsX10_7:
      EXPECT_GE(Count("REPORT{sync-init}"), 2u) << Labels();
      EXPECT_GE(Count("REPORT{sync}"), 1u) << Labels();
      break;
    case ClientSoftware::kIos5:
      EXPECT_GE(Count("REPORT{vevent}"), 1u) << Labels();
      EXPECT_GE(Count("REPORT{vtodo}"), 1u) << Labels();
      break;
  }
  for (const auto& [label, rec] : recorder_->current()) {
    EXPECT_EQ(rec.failures(), 0u) << label << "\n" << Labels();
  }
  // Every event and task the profiles created is in the cache.
  size_t cached = 0;
  for (const auto& [href, cal] : client_->calendars()) cached += cal.items.size();
  EXPECT_GE(cached, 4u);
}

TEST_P(CalendarClientTest, ServerErrorsAreFailuresAndPollingGoesOn) {
  MakeClient(GetParam(), 0.3);
  client_->Start();
  ASSERT_TRUE(RunUntil([&] { return client_->started(); }, 20)) << Labels();
  *fail_ = true;
  int polls = client_->polls();
  ASSERT_TRUE(RunUntil([&] { return client_->polls() >= polls + 3; }, 10)) << Labels();
  EXPECT_GE(Failures("poll"), 3u) << Labels();
  EXPECT_GE(Failures("PROPFIND{home}"), 3u);
  auto it = recorder_->current().find("PROPFIND{home}");
  ASSERT_NE(it, recorder_->current().end());
  EXPECT_EQ(it->second.failure_reasons().count("HTTP 500"), 1u) << Labels();
  // The server recovers: polling succeeds again (spec 9.4-12: no stuck "checking" flag).
  *fail_ = false;
  uint64_t ok_polls = Count("poll") - Failures("poll");
  ASSERT_TRUE(RunUntil([&] { return Count("poll") - Failures("poll") >= ok_polls + 2; }, 10))
      << Labels();
}

TEST_P(CalendarClientTest, FailedStartupIsRetriedAndLeavesTheClientNotStarted) {
  MakeClient(GetParam(), 0.3);
  *fail_ = true;
  client_->Start();
  std::string startup = absl::StrCat("startup: ", TraitsOf(GetParam()).client_type);
  ASSERT_TRUE(RunUntil([&] { return Failures(startup) >= 2; }, 10)) << Labels();
  EXPECT_FALSE(client_->started());
  EXPECT_EQ(Count("poll"), 0u);
  *fail_ = false;
  ASSERT_TRUE(RunUntil([&] { return client_->started(); }, 10)) << Labels();
  EXPECT_EQ(Count(startup) - Failures(startup), 1u);
}

TEST_P(CalendarClientTest, ManyNewItemsAreFetchedInMultigetBatches) {
  MakeClient(GetParam(), 600);  // no periodic poll during the test: PollNow below
  client_->Start();
  ASSERT_TRUE(RunUntil([&] { return client_->started(); }, 20)) << Labels();
  const std::string events = client_->CalendarsFor("VEVENT")[0]->href;
  // 55 events behind the client's back, one after the other.
  RequestBuilder builder(TraitsOf(GetParam()), radicale_.Url(""));
  constexpr int kItems = 55;
  int ok = 0;
  for (int i = 0; i < kItems; ++i) {
    EventSpec e;
    e.uid = absl::StrCat("bulk-", i);
    e.created = absl::Now();
    e.start = absl::Now() + absl::Hours(24 + i);
    ok += Direct(builder.PutEvent(absl::StrCat(events, e.uid, ".ics"),
                                  CalendarObject::NewEvent(e)->Serialize()))
              .ok();
  }
  ASSERT_EQ(ok, kItems);
  std::vector<bool> polled;
  client_->PollNow([&](bool ok, const std::string& reason) {
    EXPECT_TRUE(ok) << reason;
    polled.push_back(ok);
  });
  ASSERT_TRUE(RunUntil([&] { return !polled.empty(); }, 15));
  EXPECT_EQ(client_->CalendarsFor("VEVENT")[0]->items.size(), size_t{kItems}) << Labels();
  const SoftwareTraits& t = TraitsOf(GetParam());
  if (t.multiget_batch == 50) {
    EXPECT_EQ(Count("REPORT{multiget-large}"), 1u) << Labels();  // 50
    EXPECT_EQ(Count("REPORT{multiget-small}"), 1u) << Labels();  // 5
  } else {
    EXPECT_EQ(Count("REPORT{multiget-large}"), 1u) << Labels();  // all 55 at once
    EXPECT_EQ(Count("REPORT{multiget-small}"), 0u) << Labels();
  }
  for (const auto& [label, rec] : recorder_->current()) {
    EXPECT_EQ(rec.failures(), 0u) << label << "\n" << Labels();
  }
}

// Replaces every occurrence of `from` in `text`; fails the test if there is none.
std::string Must(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "not in the project config: " << from;
  while (at != std::string::npos) {
    text.replace(at, from.size(), to);
    at = text.find(from, at + to.size());
  }
  return text;
}

std::string Slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The project's configs/config.plist and clients.plist, shortened (2 groups of 2 users, polls
// every 2 s, an event and a task per second each) against a Radicale; RealisticInviter and
// Accepter disabled (not implemented yet).
// Operations the stop cut short are not server failures; real failures still count after it.
TEST(CalendarClientOperationsTest, FailuresCausedByTheStopAreNotRecorded) {
  std::unique_ptr<EventLoop> loop = *EventLoop::Create();
  Recorder recorder;
  CalendarClientOptions o;
  o.traits = &TraitsOf(ClientSoftware::kOsX10_7);
  o.root = absl::StrCat("http://127.0.0.1:", testing::FreePort(), "/");
  o.principal_path_template = "/%s/";
  o.uid = "user01";
  o.seed = 1;
  absl::StatusOr<std::unique_ptr<CalendarClient>> client = CalendarClient::Create(
      std::move(o), loop.get(), std::make_unique<Http1Pool>(loop.get(), ConnectionLimits{}),
      &recorder);
  ASSERT_TRUE(client.ok()) << client.status();
  (*client)->RecordOperation("invite", 1000, false, kStoppedReason);  // not stopped: counted
  (*client)->Stop();
  (*client)->RecordOperation("invite", 1000, false, kStoppedReason);  // cut by the stop
  (*client)->RecordOperation("invite", 1000, false, "HTTP 500");
  (*client)->RecordOperation("invite", 1000, true, "");
  const LabelRecorder& invite = recorder.current().at("invite");
  EXPECT_EQ(invite.count(), 3u);
  EXPECT_EQ(invite.failures(), 2u);
  EXPECT_EQ(invite.failure_reasons().at(kStoppedReason), 1u);
  EXPECT_EQ(invite.failure_reasons().at("HTTP 500"), 1u);
}

TEST(CalendarStandaloneTest, ProjectConfigShapeRunsWithoutClientFailures) {
  namespace fs = std::filesystem;
  testing::RadicaleServer radicale;
  ASSERT_TRUE(radicale.Start(4));
  fs::path dir = fs::path(::testing::TempDir()) / "calendar_standalone";
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    std::ofstream csv(dir / "accounts.csv");
    for (int i = 1; i <= 4; ++i) {
      csv << "user0" << i << ",pass0" << i << ",User 0" << i << ",user0" << i << "@example.com\n";
    }
  }
  fs::path configs = fs::path(LOADSIM_SOURCE_DIR) / "configs";
  for (const char* data : {"thresholds.json", "benchmarks.json"}) {
    fs::copy_file(configs / data, dir / data, fs::copy_options::overwrite_existing);
  }
  std::string config = Slurp(configs / "config.plist");
  config = Must(config, "http://127.0.0.1:5232", radicale.Url(""));
  config = Must(config, "<string>accounts.csv</string>",
                "<string>" + (dir / "accounts.csv").string() + "</string>");
  config = Must(config, "<key>groups</key>\n      <integer>20</integer>",
                "<key>groups</key><integer>2</integer>");
  config = Must(config, "<key>groupSize</key>\n      <integer>5</integer>",
                "<key>groupSize</key><integer>2</integer>");
  config = Must(config, "<key>interval</key>\n      <integer>3</integer>",
                "<key>interval</key><integer>1</integer>");
  std::ofstream(dir / "config.plist") << config;

  std::string clients = Slurp(configs / "clients.plist");
  clients = Must(clients, "<key>calendarHomePollInterval</key>\n        <integer>30</integer>",
                 "<key>calendarHomePollInterval</key><integer>2</integer>");
  clients = Must(clients, "<key>interval</key>\n            <integer>60</integer>",
                 "<key>interval</key><integer>1</integer>");
  clients = Must(clients, "<key>interval</key>\n            <string>5min</string>",
                 "<key>interval</key><integer>1</integer>");
  for (const char* disabled : {"RealisticInviter", "Accepter"}) {
    std::string head = absl::StrCat("profiles.", disabled,
                                    "</string>\n          <key>params</key>\n          <dict>\n"
                                    "            <key>enabled</key>\n            <true/>");
    clients = Must(clients, head,
                   absl::StrCat("profiles.", disabled,
                                "</string><key>params</key><dict><key>enabled</key><false/>"));
  }
  std::ofstream(dir / "clients.plist") << clients;

  ConfigFiles files;
  files.config_path = (dir / "config.plist").string();
  files.clients_path = (dir / "clients.plist").string();
  files.seed = 1;
  absl::StatusOr<LoadedConfig> loaded = LoadConfig(files);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  StandaloneOptions options;
  options.threads = 2;
  options.runtime_s = 10;
  options.drain_grace_s = 3;
  absl::StatusOr<StandaloneResult> result = RunStandalone(*loaded, options);
  ASSERT_TRUE(result.ok()) << result.status();
  std::string report = FormatStandaloneReport(*result);
  std::printf("%s\n", report.c_str());
  EXPECT_EQ(result->users, 4u);
  uint64_t failures = 0;
  for (const auto& [label, rec] : result->labels) failures += rec.failures();
  EXPECT_EQ(failures, 0u) << report;
  auto count = [&](const std::string& label) -> uint64_t {
    auto it = result->labels.find(label);
    return it == result->labels.end() ? 0 : it->second.count();
  };
  EXPECT_EQ(count("startup: 10.7"), 4u) << report;
  EXPECT_GE(count("create"), 20u) << report;
  EXPECT_GE(count("PUT{event}"), 20u) << report;
  EXPECT_GE(count("poll"), 8u) << report;
  EXPECT_GE(count("REPORT{sync}"), 4u) << report;
}

INSTANTIATE_TEST_SUITE_P(Softwares, CalendarClientTest,
                         ::testing::Values(ClientSoftware::kOsX10_6, ClientSoftware::kOsX10_7,
                                           ClientSoftware::kIos5),
                         [](const ::testing::TestParamInfo<ClientSoftware>& info) {
                           return std::string(TraitsOf(info.param).name);
                         });

}  // namespace
}  // namespace loadsim
