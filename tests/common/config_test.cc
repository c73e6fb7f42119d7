#include "common/config.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace loadsim {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace fs = std::filesystem;

std::string Plist(const std::string& dict_body) {
  // Line 1: xml declaration, line 2: <plist>, line 3: <dict>, body starts on line 4.
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">\n<dict>\n" +
         dict_body + "</dict>\n</plist>\n";
}

constexpr char kAccounts[] =
    "<key>accounts</key>\n"
    "<dict><key>loader</key><string>generateRecords</string>\n"
    "<key>params</key><dict><key>count</key><integer>40</integer></dict></dict>\n";

constexpr char kOneEventer[] =
    "<key>clients</key>\n"
    "<array>\n"
    "<dict>\n"
    "<key>software</key><string>contrib.performance.loadtest.ical.OS_X_10_7</string>\n"
    "<key>profiles</key>\n"
    "<array>\n"
    "<dict><key>class</key><string>Eventer</string>\n"
    "<key>params</key><dict><key>interval</key><integer>60</integer></dict></dict>\n"
    "</array>\n"
    "</dict>\n"
    "</array>\n";

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           absl::StrCat("config_test_", ::testing::UnitTest::GetInstance()->random_seed(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }

  std::string Write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }

  // Loads a config.plist with the given top-level body (clients inside it).
  absl::StatusOr<LoadedConfig> LoadBody(const std::string& body) {
    ConfigFiles files;
    files.config_path = Write("config.plist", Plist(body));
    files.seed = 7;
    return LoadConfig(files);
  }

  std::string ErrorOf(const std::string& body) {
    absl::StatusOr<LoadedConfig> r = LoadBody(body);
    EXPECT_FALSE(r.ok()) << "accepted:\n" << body;
    return r.ok() ? "" : std::string(r.status().message());
  }

  std::string ConfigFile() const { return (dir_ / "config.plist").string(); }

  fs::path dir_;
};

TEST_F(ConfigTest, MinimalConfigFillsEveryDefault) {
  absl::StatusOr<LoadedConfig> r = LoadBody(std::string(kAccounts) + kOneEventer);
  ASSERT_TRUE(r.ok()) << r.status();
  const v1::RunSpec& s = r->spec;
  EXPECT_EQ(s.seed(), 7u);
  EXPECT_EQ(s.server().url(), "http://127.0.0.1:8008");
  EXPECT_EQ(s.server().principal_path_template(), "/principals/users/%s/");
  EXPECT_FALSE(s.server_stats().enabled());
  EXPECT_EQ(s.server_stats().port(), 8100);
  EXPECT_EQ(s.server_stats().host(), "127.0.0.1");
  EXPECT_FALSE(s.webadmin().enabled());
  EXPECT_EQ(s.arrival().factory(), "SmoothRampUp");
  EXPECT_EQ(s.arrival().groups(), 10);
  EXPECT_EQ(s.arrival().group_size(), 1);
  EXPECT_DOUBLE_EQ(s.arrival().interval_seconds(), 3);
  EXPECT_EQ(s.arrival().clients_per_user(), 1);
  ASSERT_EQ(s.clients_size(), 1);
  const v1::ClientSpec& c = s.clients(0);
  EXPECT_EQ(c.software(), "OS_X_10_7");
  EXPECT_EQ(c.weight(), 1);
  EXPECT_EQ(c.calendar().title(), "OS X 10.7");
  EXPECT_DOUBLE_EQ(c.calendar().calendar_home_poll_interval_seconds(), 900);
  EXPECT_TRUE(c.calendar().support_push());
  EXPECT_TRUE(c.calendar().support_amp_push());
  EXPECT_EQ(c.calendar().amp_push_host(), "127.0.0.1");
  EXPECT_EQ(c.calendar().amp_push_port(), 62311);
  ASSERT_EQ(c.profiles_size(), 1);
  const v1::ProfileSpec& p = c.profiles(0);
  EXPECT_EQ(p.class_name(), "Eventer");
  EXPECT_TRUE(p.enabled());
  EXPECT_DOUBLE_EQ(p.eventer().interval_seconds(), 60);
  EXPECT_TRUE(p.eventer().event_start().has_near_future());
  EXPECT_EQ(p.eventer().event_duration().uniform_discrete().values_size(), 5);
  EXPECT_FALSE(p.eventer().recurrence().recurrence().allow());
  EXPECT_EQ(r->accounts.size(), 40u);
  EXPECT_EQ(r->accounts[0].uid(), "user1");
  // Default observers: a report and an operation table, with built-in thresholds.
  ASSERT_EQ(s.observers_size(), 2);
  EXPECT_EQ(s.observers(0).type(), "ReportStatistics");
  EXPECT_EQ(s.observers(0).report_statistics().thresholds().requests().limits_seconds_size(), 7);
  EXPECT_EQ(s.observers(1).type(), "OperationLogger");
  EXPECT_TRUE(r->warnings.empty()) << r->warnings[0];
}

TEST_F(ConfigTest, ProjectConfigsLoadWithoutWarnings) {
  ConfigFiles files;
  files.config_path = absl::StrCat(LOADSIM_SOURCE_DIR, "/configs/config.plist");
  files.clients_path = absl::StrCat(LOADSIM_SOURCE_DIR, "/configs/clients.plist");
  absl::StatusOr<LoadedConfig> r = LoadConfig(files);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->warnings.empty()) << r->warnings[0];
  EXPECT_EQ(r->accounts.size(), 100u);
  EXPECT_EQ(r->spec.arrival().groups() * r->spec.arrival().group_size(), 100);
  EXPECT_EQ(r->spec.clients(0).profiles_size(), 4);
  EXPECT_DOUBLE_EQ(r->spec.clients(0).profiles(3).tasker().interval_seconds(), 300);
  ASSERT_EQ(r->spec.observers_size(), 3);
  const v1::ReportStatisticsParams& rs = r->spec.observers(0).report_statistics();
  EXPECT_THAT(rs.thresholds().requests().source(), HasSubstr("configs/thresholds.json"));
  EXPECT_GT(rs.benchmarks().benchmarks_size(), 20);
}

// The seed document from CalendarServer r11831, unmodified, with the values listed in
// calendarserver-sim.md section 1.3. It lives beside the project (../shared/seeds).
TEST_F(ConfigTest, SeedClientsPlistLoadsUnmodified) {
  std::string seed = absl::StrCat(LOADSIM_SHARED_SEEDS_DIR, "/clients.plist");
  if (!fs::exists(seed)) GTEST_SKIP() << "seed document not present: " << seed;
  ConfigFiles files;
  files.config_path = Write("config.plist", Plist(std::string(kAccounts) +
                                                  "<key>server</key>"
                                                  "<string>https://127.0.0.1:8443</string>\n"));
  files.clients_path = seed;
  absl::StatusOr<LoadedConfig> r = LoadConfig(files);
  ASSERT_TRUE(r.ok()) << r.status();
  for (const std::string& w : r->warnings) ADD_FAILURE() << "unexpected warning: " << w;
  ASSERT_EQ(r->spec.clients_size(), 1);
  const v1::ClientSpec& c = r->spec.clients(0);
  EXPECT_EQ(c.software(), "OS_X_10_7");
  EXPECT_EQ(c.weight(), 1);
  EXPECT_EQ(c.calendar().title(), "10.7");
  EXPECT_DOUBLE_EQ(c.calendar().calendar_home_poll_interval_seconds(), 30);
  EXPECT_FALSE(c.calendar().support_push());
  EXPECT_TRUE(c.calendar().support_amp_push());
  EXPECT_EQ(c.calendar().amp_push_host(), "localhost");
  EXPECT_EQ(c.calendar().amp_push_port(), 62311);
  ASSERT_EQ(c.profiles_size(), 4);

  const v1::ProfileSpec& eventer = c.profiles(0);
  EXPECT_EQ(eventer.class_name(), "Eventer");
  EXPECT_TRUE(eventer.enabled());
  EXPECT_DOUBLE_EQ(eventer.eventer().interval_seconds(), 60);
  const v1::WorkShape& work = eventer.eventer().event_start().work();
  EXPECT_EQ(std::vector<int>(work.days_of_week().begin(), work.days_of_week().end()),
            (std::vector<int>{1, 2, 3, 4, 5}));
  EXPECT_EQ(work.begin_hour(), 8);
  EXPECT_EQ(work.end_hour(), 16);
  EXPECT_EQ(work.tzname(), "America/Los_Angeles");
  const v1::RecurrenceShape& rec = eventer.eventer().recurrence().recurrence();
  EXPECT_TRUE(rec.allow());
  std::map<std::string, double> weights;
  for (const v1::RecurrenceRule& rule : rec.rules()) weights[rule.name()] = rule.weight();
  EXPECT_EQ(weights, (std::map<std::string, double>{{"none", 50},
                                                    {"daily", 10},
                                                    {"weekly", 20},
                                                    {"monthly", 2},
                                                    {"yearly", 1},
                                                    {"dailylimit", 2},
                                                    {"weeklylimit", 5},
                                                    {"workdays", 10}}));

  const v1::ProfileSpec& inviter = c.profiles(1);
  EXPECT_EQ(inviter.class_name(), "RealisticInviter");
  const v1::RealisticInviterParams& ri = inviter.realistic_inviter();
  EXPECT_DOUBLE_EQ(ri.send_invitation().normal().mean(), 60);
  EXPECT_DOUBLE_EQ(ri.send_invitation().normal().sd(), 5);
  EXPECT_EQ(ri.invitee().uniform_integer().min(), 0);
  EXPECT_EQ(ri.invitee().uniform_integer().max(), 99);
  EXPECT_TRUE(ri.invitee_clumping());
  // mode 1, median 6: mu = ln 6, sigma^2 = ln 6; maximum 60.
  EXPECT_NEAR(ri.invitee_count().lognormal().mu(), std::log(6.0), 1e-9);
  EXPECT_NEAR(ri.invitee_count().lognormal().sigma(), std::sqrt(std::log(6.0)), 1e-9);
  EXPECT_DOUBLE_EQ(ri.invitee_count().lognormal().maximum(), 60);
  EXPECT_TRUE(ri.event_start().has_work());
  EXPECT_TRUE(ri.recurrence().recurrence().allow());

  const v1::ProfileSpec& accepter = c.profiles(2);
  EXPECT_EQ(accepter.class_name(), "Accepter");
  // mode 300, median 1800: mu = ln 1800, sigma^2 = ln 6.
  EXPECT_NEAR(accepter.accepter().accept_delay().lognormal().mu(), std::log(1800.0), 1e-9);
  EXPECT_NEAR(accepter.accepter().accept_delay().lognormal().sigma(), std::sqrt(std::log(6.0)),
              1e-9);

  const v1::ProfileSpec& tasker = c.profiles(3);
  EXPECT_EQ(tasker.class_name(), "Tasker");
  EXPECT_DOUBLE_EQ(tasker.tasker().interval_seconds(), 300);
  EXPECT_TRUE(tasker.tasker().task_due().has_work());
}

TEST_F(ConfigTest, RelativePathsResolveAgainstTheNamingFile) {
  Write("sub/accounts.csv", "a,pa,A,a@example.com\nb,pb,B,b@example.com\n");
  std::string body =
      "<key>accounts</key><dict><key>loader</key><string>recordsFromCSVFile</string>\n"
      "<key>params</key><dict><key>path</key><string>accounts.csv</string></dict></dict>\n"
      "<key>arrival</key><dict><key>params</key><dict><key>groups</key><integer>2</integer>"
      "</dict></dict>\n" +
      std::string(kOneEventer);
  ConfigFiles files;
  files.config_path = Write("sub/config.plist", Plist(body));
  fs::path old = fs::current_path();
  fs::current_path("/");
  absl::StatusOr<LoadedConfig> r = LoadConfig(files);
  fs::current_path(old);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->spec.accounts().path(), (dir_ / "sub/accounts.csv").string());
  ASSERT_EQ(r->accounts.size(), 2u);
  EXPECT_EQ(r->accounts[1].email(), "b@example.com");
}

TEST_F(ConfigTest, ClientsPlistReplacesClientsAndOverridesArrivalIntervalWithWarnings) {
  ConfigFiles files;
  files.config_path = Write("config.plist", Plist(std::string(kAccounts) + kOneEventer));
  files.clients_path = Write("clients.plist", Plist(absl::StrReplaceAll(
                                                  kOneEventer, {{"OS_X_10_7", "iOS_5"}}) +
                                              "<key>arrivalInterval</key><integer>5</integer>\n"));
  absl::StatusOr<LoadedConfig> r = LoadConfig(files);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->spec.clients(0).software(), "iOS_5");
  EXPECT_DOUBLE_EQ(r->spec.arrival().interval_seconds(), 5);
  EXPECT_THAT(r->warnings, Contains(HasSubstr("clients: replaced by the clients array of")));
  EXPECT_THAT(r->warnings,
              Contains(HasSubstr("arrivalInterval: overrides arrival.params.interval")));
}

TEST_F(ConfigTest, EnabledSpellingsAreBothAccepted) {
  for (const char* spelling : {"Enabled", "enabled"}) {
    absl::StatusOr<LoadedConfig> r = LoadBody(
        std::string(kAccounts) + kOneEventer + "<key>serverStats</key><dict><key>" + spelling +
        "</key><true/><key>Port</key><integer>8100</integer></dict>\n<key>webadmin</key><dict>"
        "<key>" + spelling + "</key><true/><key>HTTPPort</key><integer>8081</integer></dict>\n");
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(r->spec.server_stats().enabled()) << spelling;
    EXPECT_TRUE(r->spec.webadmin().enabled()) << spelling;
    EXPECT_EQ(r->spec.webadmin().http_port(), 8081);
  }
}

TEST_F(ConfigTest, UnknownKeyIsAWarningWithFileAndLine) {
  absl::StatusOr<LoadedConfig> r = LoadBody(std::string(kAccounts) + kOneEventer +
                                            "<key>serverStatz</key><dict/>\n");
  ASSERT_TRUE(r.ok()) << r.status();
  // kAccounts is 3 lines, kOneEventer 11: the misspelled key is on line 4 + 14 = 18.
  EXPECT_THAT(r->warnings, Contains(absl::StrCat(ConfigFile(),
                                                 ":18: warning: serverStatz: unknown key, ignored")));
}

TEST_F(ConfigTest, UnknownProfileParamIsAWarningNamingThePath) {
  absl::StatusOr<LoadedConfig> r = LoadBody(
      std::string(kAccounts) +
      absl::StrReplaceAll(kOneEventer, {{"<integer>60</integer>",
                                         "<integer>60</integer><key>intervall</key><integer>"
                                         "5</integer>"}}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->warnings,
              Contains(HasSubstr(":14: warning: clients[0].profiles[0].params.intervall: "
                                 "unknown key, ignored")));
}

TEST_F(ConfigTest, EveryErrorIsReportedAtOnce) {
  std::string message = ErrorOf(std::string(kAccounts) + kOneEventer +
                                "<key>server</key><string>ftp://x</string>\n"
                                "<key>principalPathTemplate</key><string>/p/</string>\n");
  EXPECT_THAT(message, HasSubstr(":18: server: 'ftp://x' is not an http:// or https:// URL"));
  EXPECT_THAT(message, HasSubstr(":19: principalPathTemplate: '/p/' must contain exactly one %s"));
}

struct Rule {
  const char* name;
  std::string body;      // top-level keys of config.plist
  std::string expected;  // "line: key.path: message" substring (after the file name)
};

class ConfigRejectionTest : public ConfigTest, public ::testing::WithParamInterface<Rule> {};

TEST_P(ConfigRejectionTest, NamesFileLineAndKey) {
  std::string message = ErrorOf(GetParam().body);
  EXPECT_THAT(message, HasSubstr(absl::StrCat(ConfigFile(), ":", GetParam().expected)));
}

std::string WithClients(const std::string& clients_array_items) {
  return std::string(kAccounts) + "<key>clients</key>\n<array>\n" + clients_array_items +
         "</array>\n";
}

std::string EventerWith(const std::string& params) {
  return WithClients(
      "<dict><key>software</key><string>OS_X_10_7</string>\n"
      "<key>profiles</key><array><dict><key>class</key><string>Eventer</string>\n"
      "<key>params</key><dict>\n" +
      params + "</dict></dict></array></dict>\n");
}

std::string AccepterWith(const std::string& delay) {
  return WithClients(
      "<dict><key>software</key><string>OS_X_10_7</string>\n"
      "<key>profiles</key><array><dict><key>class</key><string>Accepter</string>\n"
      "<key>params</key><dict>\n<key>acceptDelayDistribution</key>" +
      delay + "\n</dict></dict></array></dict>\n");
}

std::string Robot(const std::string& params) {
  return "<key>clients</key>\n<array>\n<dict><key>software</key><string>Robot</string>\n"
         "<key>params</key><dict>\n" +
         params + "</dict></dict>\n</array>\n";
}

INSTANTIATE_TEST_SUITE_P(
    AllRules, ConfigRejectionTest,
    ::testing::Values(
        Rule{"ServerNotUrl",
             std::string(kAccounts) + kOneEventer + "<key>server</key><string>localhost</string>\n",
             "18: server: 'localhost' is not an http:// or https:// URL"},
        Rule{"ServerBadPort",
             std::string(kAccounts) + kOneEventer +
                 "<key>server</key><string>http://h:99999</string>\n",
             "18: server: 'http://h:99999' has an invalid port"},
        Rule{"PrincipalTemplateWithoutSlash",
             std::string(kAccounts) + kOneEventer +
                 "<key>principalPathTemplate</key><string>%s</string>\n",
             "18: principalPathTemplate: '%s' must start with /"},
        Rule{"StatsPortRange",
             std::string(kAccounts) + kOneEventer +
                 "<key>serverStats</key><dict><key>enabled</key><true/>\n"
                 "<key>Port</key><integer>0</integer></dict>\n",
             "19: serverStats.Port: must be between 1 and 65535, got 0"},
        Rule{"WebadminEnabledNotBoolean",
             std::string(kAccounts) + kOneEventer +
                 "<key>webadmin</key><dict>\n<key>enabled</key><string>yes</string></dict>\n",
             "19: webadmin.enabled: expected boolean"},
        Rule{"SerializationWithoutPath",
             std::string(kAccounts) + kOneEventer +
                 "<key>clientDataSerialization</key>\n<dict><key>Enabled</key><true/></dict>\n",
             "19: clientDataSerialization.Path: required when client data serialization is "
             "enabled"},
        Rule{"UnknownArrivalFactory",
             std::string(kAccounts) + kOneEventer +
                 "<key>arrival</key><dict>\n<key>factory</key><string>Burst</string></dict>\n",
             "19: arrival.factory: unknown arrival policy 'Burst'; known: SmoothRampUp"},
        Rule{"ZeroGroups",
             std::string(kAccounts) + kOneEventer +
                 "<key>arrival</key><dict><key>params</key><dict>\n"
                 "<key>groups</key><integer>0</integer></dict></dict>\n",
             "19: arrival.params.groups: must be between 1 and 100000000, got 0"},
        Rule{"GroupsTimesSizeExceedAccounts",
             std::string(kAccounts) + kOneEventer +
                 "<key>arrival</key>\n<dict><key>params</key><dict>"
                 "<key>groups</key><integer>10</integer>"
                 "<key>groupSize</key><integer>5</integer></dict></dict>\n",
             "19: arrival.params: groups x groupSize = 10 x 5 = 50 users, but accounts has only "
             "40 records"},
        Rule{"ClientsPerUserNeedsOneTypePerClient",
             std::string(kAccounts) + kOneEventer +
                 "<key>arrival</key>\n<dict><key>params</key><dict>"
                 "<key>clientsPerUser</key><integer>2</integer></dict></dict>\n",
             "19: arrival.params.clientsPerUser: is 2 but 1 client types are configured"},
        Rule{"ClientsPerUserNeedsWeightOne",
             WithClients("<dict><key>software</key><string>OS_X_10_7</string>"
                         "<key>weight</key><integer>2</integer></dict>\n"
                         "<dict><key>software</key><string>iOS_5</string></dict>\n") +
                 "<key>arrival</key><dict><key>params</key><dict>"
                 "<key>clientsPerUser</key><integer>2</integer></dict></dict>\n",
             "9: clients[0].weight: must be 1 when arrival clientsPerUser > 1, got 2"},
        Rule{"NoClients", std::string(kAccounts),
             " clients: no clients: give --clients FILE or a clients array"},
        Rule{"EmptyClients", std::string(kAccounts) + "<key>clients</key>\n<array/>\n",
             "8: clients: must name at least one client type"},
        Rule{"ClientsNotArray", std::string(kAccounts) + "<key>clients</key>\n<dict/>\n",
             "8: clients: expected array, found dict"},
        Rule{"UnknownSoftware",
             WithClients("<dict><key>software</key>\n<string>OS_X_10_9</string></dict>\n"),
             "10: clients[0].software: unknown client software 'OS_X_10_9'; known: OS_X_10_6, "
             "OS_X_10_7, iOS_5, Robot"},
        Rule{"MissingSoftware", WithClients("<dict>\n<key>weight</key><integer>1</integer></dict>\n"),
             "9: clients[0].software: required key is missing"},
        Rule{"ZeroWeight",
             WithClients("<dict><key>software</key><string>iOS_5</string>\n"
                         "<key>weight</key><integer>0</integer></dict>\n"),
             "10: clients[0].weight: must be between 1 and 1000000, got 0"},
        Rule{"PollIntervalNotPositive",
             WithClients("<dict><key>software</key><string>iOS_5</string><key>params</key><dict>\n"
                         "<key>calendarHomePollInterval</key><integer>0</integer></dict></dict>\n"),
             "10: clients[0].params.calendarHomePollInterval: must be > 0"},
        Rule{"IdleTimeoutNegative",
             WithClients("<dict><key>software</key><string>iOS_5</string><key>params</key><dict>\n"
                         "<key>idle_pconn_tout</key><integer>-1</integer></dict></dict>\n"),
             "10: clients[0].params.idle_pconn_tout: must be >= 0 seconds, got -1"},
        Rule{"ConnectionUseLimitNegative",
             WithClients("<dict><key>software</key><string>iOS_5</string><key>params</key><dict>\n"
                         "<key>pconn_use_lmt</key><integer>-2</integer></dict></dict>\n"),
             "10: clients[0].params.pconn_use_lmt: must be between 0 and 1000000000, got -2"},
        Rule{"PushPortNotInteger",
             WithClients("<dict><key>software</key><string>iOS_5</string><key>params</key><dict>\n"
                         "<key>ampPushPort</key><string>62311</string></dict></dict>\n"),
             "10: clients[0].params.ampPushPort: expected integer, found string"},
        Rule{"UnknownProfile",
             WithClients("<dict><key>software</key><string>iOS_5</string><key>profiles</key>"
                         "<array><dict>\n<key>class</key><string>Eventor</string></dict></array>"
                         "</dict>\n"),
             "10: clients[0].profiles[0].class: unknown profile 'Eventor'"},
        Rule{"ProfileIntervalNotPositive", EventerWith("<key>interval</key><integer>-1</integer>\n"),
             "12: clients[0].profiles[0].params.interval: must be >= 0 seconds, got -1"},
        Rule{"ProfileIntervalBadUnit", EventerWith("<key>interval</key><string>5parsecs</string>\n"),
             "12: clients[0].profiles[0].params.interval:"},
        Rule{"ProfileEnabledNotBoolean", EventerWith("<key>enabled</key><integer>1</integer>\n"),
             "12: clients[0].profiles[0].params.enabled: expected boolean"},
        Rule{"DistributionOfWrongKind", AccepterWith("<string>exp(13KB)</string>"),
             "12: clients[0].profiles[0].params.acceptDelayDistribution"},
        Rule{"DistributionUnknownType",
             AccepterWith("<dict><key>type</key><string>contrib.performance.stats.Gamma</string>"
                          "</dict>"),
             "12: clients[0].profiles[0].params.acceptDelayDistribution"},
        Rule{"RobotWithProfiles",
             std::string(kAccounts) +
                 "<key>clients</key>\n<array>\n<dict><key>software</key><string>Robot</string>\n"
                 "<key>params</key><dict><key>origins</key><string>http://127.0.0.1:1/</string>"
                 "</dict>\n<key>profiles</key><array><dict><key>class</key><string>Eventer"
                 "</string></dict></array></dict>\n</array>\n",
             "11: clients[0].profiles: a Robot has no profiles"},
        Rule{"RobotNeedsOrigins", Robot("<key>robots</key><integer>1</integer>\n"),
             "7: clients[0].params.origins: required key is missing"},
        Rule{"RobotOriginNotUrl", Robot("<key>origins</key>\n<string>127.0.0.1</string>\n"),
             "9: clients[0].params.origins: '127.0.0.1' is not an http:// or https:// URL"},
        Rule{"RobotTwoRateModes",
             Robot("<key>origins</key><string>http://127.0.0.1:1/</string>\n"
                   "<key>req_rate</key><string>10/sec</string>\n"
                   "<key>req_inter_arrival</key><string>exp(100ms)</string>\n"),
             "10: clients[0].params.req_inter_arrival: give req_rate or req_inter_arrival, not "
             "both"},
        Rule{"RobotBadRate",
             Robot("<key>origins</key><string>http://127.0.0.1:1/</string>\n"
                   "<key>req_rate</key><string>fast</string>\n"),
             "9: clients[0].params.req_rate:"},
        Rule{"RobotBadEngine",
             Robot("<key>origins</key><string>http://127.0.0.1:1/</string>\n"
                   "<key>http_engine</key><string>fast</string>\n"),
             "9: clients[0].params.http_engine: must be \"auto\" or \"curl\", got \"fast\""},
        Rule{"RobotBadMethod",
             Robot("<key>origins</key><string>http://127.0.0.1:1/</string>\n"
                   "<key>req_methods</key><array><string>FETCH</string></array>\n"),
             "9: clients[0].params.req_methods: unsupported method 'FETCH'"},
        Rule{"RobotRecurrenceNeedsPopModel",
             Robot("<key>origins</key><string>http://127.0.0.1:1/</string>\n"
                   "<key>recurrence</key><string>55%</string>\n"),
             "9: clients[0].params.recurrence: a positive recurrence needs a pop_model"},
        Rule{"RobotRecurrenceRange",
             Robot("<key>origins</key><string>http://127.0.0.1:1/</string>\n"
                   "<key>recurrence</key><real>1.5</real>\n"),
             "9: clients[0].params.recurrence: must be from 0% to 100% (a fraction), got 150%"},
        Rule{"RobotBadPopDistr",
             Robot("<key>origins</key><string>http://127.0.0.1:1/</string>\n"
                   "<key>pop_model</key><dict>\n<key>pop_distr</key><string>popZipf(0)"
                   "</string></dict>\n"),
             "10: clients[0].params.pop_model.pop_distr: popZipf(skew) needs a skew above 0"},
        Rule{"RobotHotSetFracZero",
             Robot("<key>origins</key><string>http://127.0.0.1:1/</string>\n"
                   "<key>pop_model</key><dict><key>pop_distr</key><string>popUnif()</string>\n"
                   "<key>hot_set_frac</key><integer>0</integer></dict>\n"),
             "10: clients[0].params.pop_model.hot_set_frac: must be above 0% to 100%"},
        Rule{"RobotSessionNeedsBothPeriods",
             Robot("<key>origins</key><string>http://127.0.0.1:1/</string>\n"
                   "<key>session</key><dict>\n<key>busy_period</key><string>exp(1min)</string>"
                   "</dict>\n"),
             "9: clients[0].params.session.idle_period_duration: required key is missing"},
        Rule{"RobotSessionBusyZero",
             Robot("<key>origins</key><string>http://127.0.0.1:1/</string>\n"
                   "<key>session</key><dict>\n<key>busy_period</key><string>0s</string>"
                   "<key>idle_period_duration</key><string>1s</string></dict>\n"),
             "10: clients[0].params.session.busy_period: must have a mean above 0 seconds"},
        Rule{"RobotRejectedPolygraphField",
             Robot("<key>origins</key><string>http://127.0.0.1:1/</string>\n"
                   "<key>req_types</key><array><string>Basic</string></array>\n"),
             "9: clients[0].params.req_types: Polygraph's Robot.req_types (Ims304, Reload, "
             "Range, ...) needs a cache under test; use req_methods"},
        Rule{"PhaseRampWithoutGoal",
             Robot("<key>origins</key><string>http://127.0.0.1:1/</string>\n") +
                 "<key>phases</key><array>\n<dict><key>name</key><string>up</string>"
                 "<key>load_factor_end</key><real>0.5</real></dict></array>\n",
             "12: phases[0]: phase 'up' ramps load_factor from 100% to 50% but has no positive "
             "goal"},
        Rule{"CalendarClientsNeedAccounts", std::string(kOneEventer),
             " accounts: required: calendar clients need accounts"},
        Rule{"UnknownAccountLoader",
             "<key>accounts</key><dict>\n<key>loader</key><string>fromLdap</string></dict>\n" +
                 std::string(kOneEventer),
             "5: accounts.loader: unknown account loader 'fromLdap'; known: recordsFromCSVFile, "
             "generateRecords, recordsFromCount"},
        Rule{"UnknownObserver",
             std::string(kAccounts) + kOneEventer +
                 "<key>observers</key><array><dict>\n<key>type</key><string>Reporter</string>"
                 "</dict></array>\n",
             "19: observers[0].type: unknown observer 'Reporter'; known: ReportStatistics"},
        Rule{"FailCutoffRange",
             std::string(kAccounts) + kOneEventer +
                 "<key>observers</key><array><dict><key>type</key><string>ReportStatistics"
                 "</string><key>params</key><dict>\n<key>failCutoff</key><real>150</real>"
                 "</dict></dict></array>\n",
             "19: observers[0].params.failCutoff: must be between 0 and 100, got 150"},
        Rule{"WorkerNotString",
             std::string(kAccounts) + kOneEventer +
                 "<key>workers</key><array>\n<integer>1</integer></array>\n",
             "19: workers[0]: expected a non-empty command string"}),
    [](const ::testing::TestParamInfo<Rule>& info) { return info.param.name; });

TEST_F(ConfigTest, MissingThresholdsFileIsNamed) {
  std::string message =
      ErrorOf(std::string(kAccounts) + kOneEventer +
              "<key>observers</key><array><dict><key>type</key><string>OperationLogger"
              "</string><key>params</key><dict>\n<key>thresholdsPath</key>"
              "<string>nope.json</string></dict></dict></array>\n");
  EXPECT_THAT(message, HasSubstr((dir_ / "nope.json").string()));
}

TEST_F(ConfigTest, ClientsFileErrorsNameTheClientsFile) {
  ConfigFiles files;
  files.config_path = Write("config.plist", Plist(kAccounts));
  files.clients_path = Write("clients.plist", Plist("<key>clientz</key><array/>\n"));
  absl::StatusOr<LoadedConfig> r = LoadConfig(files);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr(files.clients_path + ":3: clients: required key is missing"));
}

TEST_F(ConfigTest, MissingConfigFileIsNotFound) {
  ConfigFiles files;
  files.config_path = (dir_ / "absent.plist").string();
  absl::StatusOr<LoadedConfig> r = LoadConfig(files);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("absent.plist"));
}

TEST_F(ConfigTest, RobotOnlyRunGeneratesOneRecordPerUser) {
  absl::StatusOr<LoadedConfig> r = LoadBody(
      Robot("<key>origins</key><array><string>http://127.0.0.1:8088/1k.html : 75%</string>"
            "<string>http://127.0.0.1:8088/2k.html</string></array>\n"
            "<key>req_rate</key><string>20/sec</string>\n"
            "<key>open_conn_lmt</key><integer>4</integer>\n"
            "<key>xact_lifetime</key><string>5s</string>\n"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->accounts.size(), 10u);  // default arrival: 10 groups of 1
  const v1::RobotParams& robot = r->spec.clients(0).robot();
  ASSERT_EQ(robot.origins().items_size(), 2);
  EXPECT_DOUBLE_EQ(robot.origins().items(0).probability(), 0.75);
  EXPECT_DOUBLE_EQ(robot.origins().items(1).probability(), 0.25);
  EXPECT_DOUBLE_EQ(robot.req_rate(), 20);
  EXPECT_EQ(robot.open_conn_lmt(), 4);
  EXPECT_DOUBLE_EQ(robot.xact_lifetime_seconds(), 5);
  EXPECT_EQ(robot.req_methods().items(0).value(), "GET");
}

TEST_F(ConfigTest, RobotPopularitySessionAndLaunchKeys) {
  absl::StatusOr<LoadedConfig> r = LoadBody(
      Robot("<key>kind</key><string>R101</string>\n"
            "<key>origins</key><string>http://127.0.0.1:8088/obj/{id}</string>\n"
            "<key>recurrence</key><string>55%</string>\n"
            "<key>pop_model</key><dict><key>pop_distr</key><string>popZipf(0.6)</string>\n"
            "<key>hot_set_frac</key><string>1%</string>"
            "<key>hot_set_prob</key><real>0.1</real></dict>\n"
            "<key>working_set_length</key><string>4hour</string>\n"
            "<key>working_set_cap</key><integer>5000</integer>\n"
            "<key>launch_win</key><string>30s</string>\n"
            "<key>session</key><dict><key>busy_period</key><string>exp(5min)</string>\n"
            "<key>idle_period_duration</key><string>unif(1min, 3min)</string></dict>\n"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->warnings.empty()) << r->warnings[0];
  const v1::RobotParams& robot = r->spec.clients(0).robot();
  EXPECT_EQ(robot.kind(), "R101");
  EXPECT_DOUBLE_EQ(robot.recurrence(), 0.55);
  EXPECT_EQ(robot.pop_model().pop_distr(), "popZipf");
  EXPECT_DOUBLE_EQ(robot.pop_model().zipf_skew(), 0.6);
  EXPECT_DOUBLE_EQ(robot.pop_model().hot_set_frac(), 0.01);
  EXPECT_DOUBLE_EQ(robot.pop_model().hot_set_prob(), 0.1);
  EXPECT_DOUBLE_EQ(robot.working_set_length_seconds(), 4 * 3600);
  EXPECT_EQ(robot.working_set_cap(), 5000);
  EXPECT_DOUBLE_EQ(robot.launch_win_seconds(), 30);
  EXPECT_DOUBLE_EQ(robot.session().busy_period().exponential().mean(), 300);
  EXPECT_DOUBLE_EQ(robot.session().idle_period_duration().uniform().hi(), 180);
}

TEST_F(ConfigTest, RobotPopModelDefaultsAndIdWithoutRecurrenceWarns) {
  absl::StatusOr<LoadedConfig> r =
      LoadBody(Robot("<key>origins</key><string>http://127.0.0.1:8088/{id}</string>\n"
                     "<key>pop_model</key><dict><key>pop_distr</key><string>popUnif</string>"
                     "</dict>\n"));
  ASSERT_TRUE(r.ok()) << r.status();
  const v1::RobotParams& robot = r->spec.clients(0).robot();
  EXPECT_EQ(robot.pop_model().pop_distr(), "popUnif");
  EXPECT_DOUBLE_EQ(robot.pop_model().hot_set_frac(), 1.0);
  EXPECT_DOUBLE_EQ(robot.pop_model().hot_set_prob(), 0.0);
  EXPECT_FALSE(robot.has_session());
  EXPECT_THAT(r->warnings,
              ElementsAre(HasSubstr(":9: warning: clients[0].params.pop_model: has no effect: "
                                    "recurrence is 0"),
                          HasSubstr(":8: warning: clients[0].params.origins: "
                                    "'http://127.0.0.1:8088/{id}' contains {id}, but recurrence "
                                    "is 0")));
}

TEST_F(ConfigTest, PhasesAndScheduleGoToTheRunSpec) {
  absl::StatusOr<LoadedConfig> r = LoadBody(
      Robot("<key>origins</key><string>http://127.0.0.1:1/</string>\n") +
      "<key>phases</key><array>\n"
      "<dict><key>name</key><string>top</string><key>goal</key><dict><key>xactions</key>"
      "<integer>100</integer></dict></dict>\n"
      "<dict><key>name</key><string>inc</string><key>load_factor_beg</key><string>10%</string>"
      "<key>load_factor_end</key><string>100%</string><key>goal</key><dict><key>duration</key>"
      "<string>1min</string></dict></dict>\n"
      "</array>\n<key>schedule</key><array><string>inc</string><string>top</string></array>\n");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->spec.phases_size(), 2);
  EXPECT_EQ(r->spec.phases(0).name(), "inc");
  EXPECT_DOUBLE_EQ(r->spec.phases(0).goal().duration_seconds(), 60);
  EXPECT_EQ(r->spec.phases(1).name(), "top");
  EXPECT_DOUBLE_EQ(r->spec.phases(1).load_factor_beg(), 1.0);
  EXPECT_EQ(r->spec.phases(1).origin().file(), ConfigFile());
  EXPECT_EQ(r->spec.phases(1).origin().line(), 12);
}

}  // namespace
}  // namespace loadsim
