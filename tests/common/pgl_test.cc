// The PGL front end (common/pgl, common/pgl_lexer, common/workload): golden run specs of the
// shipped example workloads, equivalence with the plist spelling, every rejection rule with its
// file:line:column, #include handling, use() copy semantics, selector normalisation, units,
// arithmetic and distributions.
#include "common/pgl.h"

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/workload.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/common/testing_util.h"

namespace loadsim {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing_util::TestTempDir;
using testing_util::WriteTestFile;

const std::string kSource = LOADSIM_SOURCE_DIR;
const std::string kWorkloads = kSource + "/configs/workloads/";

// A minimal complete robot, for rules that need a runnable workload around them.
constexpr char kRobot[] =
    "Robot R = { origins = [\"http://127.0.0.1:8088/1k.html\"]; req_rate = 2/sec; };\n";

absl::StatusOr<LoadedConfig> LoadPgl(const std::string& text, const std::string& name = "w.pg") {
  const std::string path = WriteTestFile(TestTempDir() + "/" + name, text);
  ConfigFiles files;
  files.seed = 5;
  return LoadWorkload(files, path);
}

std::string ErrorOf(const std::string& text) {
  absl::StatusOr<LoadedConfig> r = LoadPgl(text);
  EXPECT_FALSE(r.ok()) << "accepted:\n" << text;
  return r.ok() ? "" : std::string(r.status().message());
}

v1::RobotParams RobotOf(const std::string& text) {
  absl::StatusOr<LoadedConfig> r = LoadPgl(text);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok() || r->spec.clients_size() == 0) return {};
  return r->spec.clients(0).robot();
}

std::vector<std::pair<std::string, double>> Items(const v1::Selector& s) {
  std::vector<std::pair<std::string, double>> out;
  for (const v1::Selector::Item& item : s.items()) {
    out.emplace_back(item.value(), std::round(item.probability() * 1e9) / 1e9);
  }
  return out;
}

using Item = std::pair<std::string, double>;

// ---- the shipped examples ----------------------------------------------------------------

// The run spec as text, with the source directory written as $SRC so goldens do not depend on
// where the tree is checked out.
std::string Dump(const google::protobuf::Message& m) {
  std::string text;
  google::protobuf::TextFormat::PrintToString(m, &text);
  return absl::StrReplaceAll(text, {{kSource, "$SRC"}});
}

// Compares with tests/testdata/pgl/<name>; LOADSIM_UPDATE_GOLDEN=1 rewrites the file instead.
void ExpectGolden(const std::string& text, const std::string& name) {
  const std::string path = kSource + "/tests/testdata/pgl/" + name;
  if (std::getenv("LOADSIM_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path) << text;
    GTEST_SKIP() << "rewrote " << path;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << "missing golden " << path << " (run with LOADSIM_UPDATE_GOLDEN=1)";
  std::stringstream golden;
  golden << in.rdbuf();
  EXPECT_EQ(text, golden.str()) << "golden " << path
                                << " differs; if the change is intended, rerun with "
                                   "LOADSIM_UPDATE_GOLDEN=1 and review the diff";
}

TEST(PglExamplesTest, PolymixNginxGolden) {
  ConfigFiles files;
  files.seed = 1;
  absl::StatusOr<LoadedConfig> r = LoadWorkload(files, kWorkloads + "polymix-nginx.pg");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->warnings, IsEmpty());
  EXPECT_EQ(r->accounts.size(), 20u);
  ExpectGolden(Dump(r->spec), "polymix-nginx.textproto");
}

TEST(PglExamplesTest, CaldavRampGoldenWithTheProjectConfig) {
  ConfigFiles files;
  files.config_path = kSource + "/configs/config.plist";
  files.clients_path = kSource + "/configs/clients.plist";
  files.seed = 1;
  absl::StatusOr<LoadedConfig> r = LoadWorkload(files, kWorkloads + "caldav-ramp.pg");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->warnings, IsEmpty());
  // The calendar run of configs/ is untouched; only the phases come from the workload.
  absl::StatusOr<LoadedConfig> plain = LoadConfig(files);
  ASSERT_TRUE(plain.ok()) << plain.status();
  v1::RunSpec without_phases = r->spec;
  without_phases.clear_phases();
  without_phases.clear_workload_file();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(without_phases, plain->spec));
  v1::RunSpec phases_only;
  *phases_only.mutable_phases() = r->spec.phases();
  phases_only.set_workload_file(r->spec.workload_file());
  ExpectGolden(Dump(phases_only), "caldav-ramp.textproto");
}

TEST(PglExamplesTest, PlistSpellingGivesTheSameRunSpec) {
  ConfigFiles pgl_files;
  pgl_files.seed = 3;
  absl::StatusOr<LoadedConfig> pgl = LoadWorkload(pgl_files, kWorkloads + "polymix-nginx.pg");
  ASSERT_TRUE(pgl.ok()) << pgl.status();
  ConfigFiles plist_files;
  plist_files.config_path = kWorkloads + "polymix-nginx.plist";
  plist_files.seed = 3;
  absl::StatusOr<LoadedConfig> plist = LoadConfig(plist_files);
  ASSERT_TRUE(plist.ok()) << plist.status();
  EXPECT_THAT(plist->warnings, IsEmpty());

  google::protobuf::util::MessageDifferencer diff;
  std::string report;
  diff.ReportDifferencesToString(&report);
  const google::protobuf::Descriptor* spec = v1::RunSpec::descriptor();
  diff.IgnoreField(spec->FindFieldByName("config_file"));
  diff.IgnoreField(spec->FindFieldByName("workload_file"));
  // Origins name the file each value was written in; everything else must match.
  for (const google::protobuf::Descriptor* d :
       {v1::Distribution::descriptor(), v1::ArrivalSpec::descriptor(),
        v1::ClientSpec::descriptor(), v1::PhaseSpec::descriptor(), v1::AccountsSpec::descriptor(),
        v1::ObserverSpec::descriptor(), v1::ProfileSpec::descriptor()}) {
    diff.IgnoreField(d->FindFieldByName("origin"));
  }
  EXPECT_TRUE(diff.Compare(pgl->spec, plist->spec)) << report;
  EXPECT_EQ(pgl->spec.phases_size(), 4);
  EXPECT_EQ(pgl->accounts.size(), plist->accounts.size());
}

// ---- rejections: each with its file:line:column -------------------------------------------

struct Rule {
  std::string name;
  std::string text;
  std::string error;  // expected after "<dir>/w.pg:"
};

class PglRejectionTest : public ::testing::TestWithParam<Rule> {};

TEST_P(PglRejectionTest, NamesFileLineAndColumn) {
  const Rule& rule = GetParam();
  const std::string message = ErrorOf(rule.text);
  EXPECT_THAT(message, HasSubstr(absl::StrCat(TestTempDir(), "/w.pg:", rule.error)));
}

INSTANTIATE_TEST_SUITE_P(
    AllRules, PglRejectionTest,
    ::testing::Values(
        // lexical
        Rule{"UnknownTimeSuffix", "time t = 5mins;\n", "1:10: unknown unit suffix 'mins' in 5mins"},
        Rule{"KilobitsRefused", "size s =\n  500Kb;\n",
             "2:3: size suffix Kb in 500Kb is refused: PGL reads it as kilo/mega/gigabits"},
        Rule{"SingleQuotedAddress", "string a = '10.0.0.1';\n",
             "1:12: single-quoted PGL addresses and absolute times are not supported"},
        Rule{"UnterminatedComment", "int x = 1; /* never\nclosed\n", "1:12: unterminated /* comment"},
        Rule{"UnterminatedString", "string s = \"abc;\n", "1:12: unterminated string"},
        Rule{"StrayCharacter", "int x = 1 @ 2;\n", "1:11: unexpected character '@'"},
        Rule{"MalformedNumber", "int x = 12ab3;\n", "1:9: malformed number '12ab3'"},
        Rule{"UnknownDirective", "#define X 1\n", "1:1: unknown directive #define"},
        Rule{"IncludeMissing", "int a = 1;\n  #include \"nope.pg\"\n",
             "2:3: cannot include \""},
        // syntax
        Rule{"MissingSemicolon", "int x = 1\nint y = 2;\n",
             "2:1: expected ';' after a declaration, found 'int'"},
        Rule{"MultiAssignment", "[ a, b ] = 1;\n", "1:1: multi-assignment ([a, b] = value;) is not"},
        Rule{"ControlConstruct", "if x then { }\n", "1:1: control construct 'if' is not supported"},
        Rule{"UnknownType", "Robott R;\n", "1:1: unknown type 'Robott'"},
        Rule{"RejectedTypeServer", "Server S = { };\n",
             "1:1: type Server is not supported: loadsim simulates clients only"},
        Rule{"RejectedTypeContent", "Content[] c;\n", "1:1: type Content is not supported"},
        Rule{"RecordLiteralWithoutType", "int x = { a = 1; };\n",
             "1:9: a record literal { ... } needs a record type here (expected int)"},
        // names and types
        Rule{"Undeclared", "x = 1;\n", "1:1: 'x' is not declared"},
        Rule{"NoValueYet", "int a;\nint b = a + 1;\n", "2:9: 'a' has no value yet (declared at "},
        Rule{"Redeclared", "int a = 1;\nfloat a = 2.0;\n", "2:7: 'a' is already declared at "},
        Rule{"ReservedWordAsVariable", "bool yes = true;\n", "1:6: 'yes' is a reserved word"},
        Rule{"FloatToInt", "int n = 2.5;\n", "1:9: n takes a int, got a float (no implicit "
                                                "float-to-int conversion; use int())"},
        Rule{"IntToTime", "time t = 5;\n", "1:10: t takes a time, got a int (add a unit, e.g. "
                                               "5sec)"},
        Rule{"NumberAsRate", "rate r = 5;\n", "1:10: r takes a rate, got a int (write a rate as"},
        Rule{"ArithmeticMismatch", "time t = 5 + 1sec;\n", "1:12: type mismatch: int + time"},
        Rule{"RateWithoutTime", "rate r = 13/5;\n", "1:10: r takes a rate, got a int"},
        Rule{"DivisionByZero", "int x = 1 / 0;\n", "1:11: integer division by zero"},
        Rule{"IntegerOverflow", "int x = 9223372036854775807 + 1;\n", "1:29: integer overflow"},
        Rule{"UnknownName", "time t = 3 * seconds;\n", "1:14: unknown name 'seconds'"},
        Rule{"FieldOfScalar", "int x = 1;\nx.y = 2;\n", "2:3: 'x' is a int, which has no fields"},
        // fields
        Rule{"UnknownRobotField", "Robot R;\nR.req_rat = 2/sec;\n",
             "2:3: Robot has no field 'req_rat'; its fields: kind, origins"},
        Rule{"RejectedRobotField", "Robot R = {\n  req_types = [ \"Basic\" ];\n};\n",
             "2:3: Polygraph's Robot.req_types (Ims304, Reload, Range, ...) needs a cache under "
             "test; use req_methods"},
        Rule{"RejectedRobotAddresses", "Robot R;\nR.addresses = [\"x\"];\n",
             "2:3: Polygraph's Robot.addresses places agents by address"},
        Rule{"RejectedPhaseField", "Phase P = { name = \"p\"; recur_factor_beg = 50%; };\n",
             "1:25: Polygraph's Phase.recur_factor_beg recurrence factors are not supported"},
        Rule{"RejectedGoalField", "Phase P;\nP.goal.fill_size = 1GB;\n",
             "2:8: Polygraph's Goal.fill_size is proxy-cache specific"},
        Rule{"RejectedPopModelField", "PopModel pm = { bhr_discrimination = 90%; };\n",
             "1:17: Polygraph's PopModel.bhr_discrimination needs object sizes"},
        Rule{"RejectedSessionField", "Session s = { heartbeat_notif_rate = 1/sec; };\n",
             "1:15: Polygraph's Session.heartbeat_notif_rate heartbeat notifications"},
        Rule{"FieldWrongType", "Robot R = { open_conn_lmt = 4sec; };\n",
             "1:29: open_conn_lmt takes a int, got a time"},
        Rule{"SelectorOfWrongItems", "Robot R = { origins = [ 1, 2 ]; };\n",
             "1:25: origins takes a string, got a int"},
        Rule{"SizeDistrInTimeSlot", "Robot R = { req_inter_arrival = exp(13KB); };\n",
             "1:33: req_inter_arrival takes a time_distr, got a size_distr"},
        Rule{"SubfieldOfScalarField", "Robot R;\nR.req_rate.x = 1;\n",
             "2:12: Robot.req_rate is a rate, which has no fields"},
        // functions and procedures
        Rule{"RejectedFunction", "string[] a = robotAddrs(\"x\");\n",
             "1:14: robotAddrs() addresses place agents"},
        Rule{"OldPopDistrSpelling", "PopModel pm = { pop_distr = pmZipf(0.6); };\n",
             "1:29: pmZipf() is the Polygraph 2.2 spelling: write popZipf(skew)"},
        Rule{"UnknownFunction", "float f = sqrt(2);\n", "1:11: unknown function sqrt()"},
        Rule{"UnknownProcedure", "run(R);\n", "1:1: unknown procedure run()"},
        Rule{"FunctionAsStatement", "exp(1sec);\n", "1:1: exp() gives a value"},
        Rule{"ProcedureInExpression", "int x = use(1);\n", "1:9: use() is a procedure"},
        Rule{"BadDistribution", "time_distr d = exp(-1sec);\n",
             "1:16: PGL distribution \"exp(-1s)\": the mean must be > 0"},
        Rule{"DistributionMixesUnits", "time_distr d = unif(1sec, 2KB);\n",
             "1:27: unif() mixes times and sizes"},
        Rule{"DistributionArity", "int_distr d = zipf(1, 2);\n",
             "1:15: PGL distribution \"zipf(1, 2)\": zipf takes 1 argument"},
        Rule{"BadZipfSkew", "PopModel pm = { pop_distr = popZipf(0); };\n",
             "1:29: popZipf(skew) needs a skew above 0"},
        Rule{"SelectorProbabilityRange", "string[] s = [ \"a\" : 150% ];\n",
             "1:20: selector probability 150% is out of range"},
        Rule{"UseNonRobot", "Phase P = { name = \"p\"; };\nuse(P);\n",
             "1:11: use() takes robots, got a Phase"},
        Rule{"ScheduleNonPhase", std::string(kRobot) + "schedule(R);\n",
             "1:11: schedule() takes phases, got a Robot; robots go to use()"},
        Rule{"ScheduleTwice",
             "Phase P = { name = \"p\"; };\nschedule(P);\nschedule(P);\n",
             "3:1: schedule() is already called at "},
        Rule{"UseWithProbabilities", std::string(kRobot) + "use([R : 50%]);\n",
             "2:5: use() takes no probabilities"},
        Rule{"WorkingSetLengthTwice", "working_set_length(1min);\nworking_set_length(2min);\n",
             "2:1: working_set_length() is already called at "},
        Rule{"WorkingSetCapNegative", "working_set_cap(-5);\n",
             "1:17: working_set_cap() needs a value >= 0"},
        // lowering and the config rules, located in the PGL file
        Rule{"WeightInPglOnlyRun",
             std::string(kRobot) + "R.weight = 3;\nuse(R);\n",
             "2:12: weight shares the users of a --config run among client types"},
        Rule{"CountOutOfRange", std::string(kRobot) + "R.count = 0;\nuse(R);\n",
             "2:11: count must be from 1 to 1000000, got 0"},
        Rule{"BusyPeriodGoalWithXactions",
             std::string(kRobot) +
                 "R.session = { busy_period = { xactions = 10; }; idle_period_duration = 1min; };"
                 "\nuse(R);\n",
             "2:42: a session busy_period Goal supports only duration, not xactions"},
        Rule{"RampWithoutGoal",
             std::string(kRobot) +
                 "use(R);\nPhase up = {\n  name = \"up\";\n  load_factor_end = 50%;\n};\n"
                 "schedule(up);\n",
             "3:12: phases[0]: phase 'up' ramps load_factor from 100% to 50% but has no positive "
             "goal"},
        Rule{"PopulusOutOfRange",
             std::string(kRobot) +
                 "use(R);\nPhase p = { name = \"p\"; populus_factor_beg = 2; };\nschedule(p);\n",
             "3:11: phases[0]: populus_factor 200% is out of range"},
        Rule{"PhaseNameWithSpace",
             std::string(kRobot) + "use(R);\nPhase p = { name = \"two words\"; };\nschedule(p);\n",
             "3:11: phases[0]: phase name 'two words' contains whitespace"},
        Rule{"SamePhaseScheduledTwice",
             std::string(kRobot) +
                 "use(R);\nPhase p = { name = \"p\"; goal.duration = 1sec; };\nschedule(p, p);\n",
             "3:11: phases[1]: phase name 'p' is already used by phases[0] at "},
        Rule{"NegativeGoal",
             std::string(kRobot) +
                 "use(R);\nPhase p = { name = \"p\"; goal.duration = -5sec; };\nschedule(p);\n",
             "3:41: phases[0].goal.duration: must be >= 0 seconds"},
        Rule{"RateAndInterArrival",
             std::string(kRobot) + "R.req_inter_arrival = exp(1sec);\nuse(R);\n",
             "2:23: clients[0].params.req_inter_arrival: give req_rate or req_inter_arrival, not "
             "both"},
        Rule{"RecurrenceWithoutPopModel", std::string(kRobot) + "R.recurrence = 55%;\nuse(R);\n",
             "2:16: clients[0].params.recurrence: a positive recurrence needs a pop_model"},
        Rule{"OriginNotUrl", "Robot R = { origins = \"127.0.0.1:80\"; };\nuse(R);\n",
             "1:23: clients[0].params.origins: '127.0.0.1:80' is not an http:// or https:// URL"},
        Rule{"UnsupportedMethod", std::string(kRobot) + "R.req_methods = [\"FETCH\"];\nuse(R);\n",
             "2:17: clients[0].params.req_methods: unsupported method 'FETCH'"}),
    [](const ::testing::TestParamInfo<Rule>& info) { return info.param.name; });

TEST(PglWorkloadTest, PglOnlyRunNeedsARobot) {
  EXPECT_THAT(ErrorOf("Phase p = { name = \"p\"; };\nschedule(p);\n"),
              HasSubstr("/w.pg: the workload passes no robot to use(); a PGL-only run needs one"));
}

TEST(PglWorkloadTest, PhasesInBothTheWorkloadAndTheConfigAreRefused) {
  const std::string dir = TestTempDir();
  const std::string pg = WriteTestFile(
      dir + "/p.pg", "Phase p = { name = \"p\"; goal.duration = 1min; };\nschedule(p);\n");
  ConfigFiles files;
  files.config_path = WriteTestFile(
      dir + "/c.plist",
      "<plist version=\"1.0\">\n<dict>\n<key>clients</key><array><dict><key>software</key>"
      "<string>Robot</string><key>params</key><dict><key>origins</key>"
      "<string>http://127.0.0.1:1/</string></dict></dict></array>\n"
      "<key>phases</key><array/>\n</dict>\n</plist>\n");
  absl::StatusOr<LoadedConfig> r = LoadWorkload(files, pg);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              HasSubstr(absl::StrCat(pg, ":2:1: the workload's schedule() defines the phases, but ",
                                     files.config_path, ":4: phases defines them too")));
}

TEST(PglWorkloadTest, WithConfigRobotsAreAppendedWithTheirWeightAndCountIsRefused) {
  const std::string dir = TestTempDir();
  ConfigFiles files;
  files.config_path = WriteTestFile(
      dir + "/c.plist",
      "<plist version=\"1.0\">\n<dict>\n<key>clients</key><array><dict><key>software</key>"
      "<string>Robot</string><key>params</key><dict><key>origins</key>"
      "<string>http://127.0.0.1:1/a</string></dict></dict></array>\n</dict>\n</plist>\n");
  const std::string pg = WriteTestFile(
      dir + "/r.pg", std::string(kRobot) + "R.weight = 3;\nuse(R);\n");
  absl::StatusOr<LoadedConfig> r = LoadWorkload(files, pg);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->spec.clients_size(), 2);
  EXPECT_EQ(r->spec.clients(0).robot().origins().items(0).value(), "http://127.0.0.1:1/a");
  EXPECT_EQ(r->spec.clients(1).weight(), 3);
  EXPECT_EQ(r->spec.arrival().groups(), 10);  // the config's (default) arrival
  EXPECT_EQ(r->spec.workload_file(), pg);

  const std::string counted =
      WriteTestFile(dir + "/n.pg", std::string(kRobot) + "R.count = 3;\nuse(R);\n");
  absl::StatusOr<LoadedConfig> bad = LoadWorkload(files, counted);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(),
              HasSubstr(counted + ":2:11: count fixes the number of users of a PGL-only run"));
}

TEST(PglWorkloadTest, WithAClientsFileRobotsJoinItsClients) {
  const std::string dir = TestTempDir();
  ConfigFiles files;
  files.config_path = WriteTestFile(dir + "/c.plist", "<plist version=\"1.0\"><dict/></plist>\n");
  files.clients_path = WriteTestFile(
      dir + "/k.plist",
      "<plist version=\"1.0\">\n<dict><key>clients</key><array><dict><key>software</key>"
      "<string>Robot</string><key>params</key><dict><key>origins</key>"
      "<string>http://127.0.0.1:1/k</string></dict></dict></array></dict>\n</plist>\n");
  const std::string pg = WriteTestFile(dir + "/r.pg", std::string(kRobot) + "use(R);\n");
  absl::StatusOr<LoadedConfig> r = LoadWorkload(files, pg);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->spec.clients_size(), 2);
  EXPECT_EQ(r->spec.clients(0).robot().origins().items(0).value(), "http://127.0.0.1:1/k");
  EXPECT_EQ(r->spec.clients(1).robot().origins().items(0).value(),
            "http://127.0.0.1:8088/1k.html");
  EXPECT_EQ(r->spec.clients(1).weight(), 1);
  EXPECT_EQ(r->spec.clients_file(), files.clients_path);
}

TEST(PglWorkloadTest, ClientsFileNeedsConfig) {
  ConfigFiles files;
  files.clients_path = "clients.plist";
  absl::StatusOr<LoadedConfig> r = LoadWorkload(files, "w.pg");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("--clients needs --config"));
}

// ---- includes ------------------------------------------------------------------------------

TEST(PglIncludeTest, RelativeToTheIncludingFileAndNested) {
  const std::string dir = TestTempDir();
  std::filesystem::create_directories(dir + "/sub/deeper");
  WriteTestFile(dir + "/sub/robot.pg", "#include \"deeper/rate.pg\" // the knob\n" +
                                           std::string(kRobot) + "R.req_rate = Rate;\n");
  WriteTestFile(dir + "/sub/deeper/rate.pg", "rate Rate = 3/5min;\n");
  absl::StatusOr<LoadedConfig> r =
      LoadPgl("#include \"sub/robot.pg\"\nuse(R);\n", "main.pg");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_DOUBLE_EQ(r->spec.clients(0).robot().req_rate(), 3.0 / 300);
  // Locations name the file a value was written in.
  EXPECT_EQ(r->spec.clients(0).origin().file(), dir + "/sub/robot.pg");
}

TEST(PglIncludeTest, CycleIsAnErrorShowingTheChain) {
  const std::string dir = TestTempDir();
  WriteTestFile(dir + "/a.pg", "int a = 1;\n#include \"b.pg\"\n");
  WriteTestFile(dir + "/b.pg", "\n\n  #include \"a.pg\"\n");
  ConfigFiles files;
  absl::StatusOr<LoadedConfig> r = LoadWorkload(files, dir + "/a.pg");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              HasSubstr(absl::StrCat(dir, "/b.pg:3:3: #include cycle: ", dir, "/a.pg -> ", dir,
                                     "/b.pg -> ", dir, "/a.pg")));
}

TEST(PglIncludeTest, ErrorsInsideAnIncludedFileNameThatFile) {
  const std::string dir = TestTempDir();
  WriteTestFile(dir + "/bad.pg", "int ok = 1;\n   time t = 4parsecs;\n");
  absl::StatusOr<LoadedConfig> r = LoadPgl("#include \"bad.pg\"\n", "main.pg");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr(dir + "/bad.pg:2:13: unknown unit suffix"));
}

TEST(PglIncludeTest, InMemoryReaderAndDirectiveRules) {
  std::map<std::string, std::string> files = {
      {"/m/top.pg", "#include \"knobs.pg\"\nint y = x * 2;\n"},
      {"/m/knobs.pg", "int x = 21;\n"}};
  PglOptions options;
  options.read_file = [&](const std::string& path) -> absl::StatusOr<std::string> {
    auto it = files.find(path);
    if (it == files.end()) return absl::NotFoundError(path);
    return it->second;
  };
  EXPECT_TRUE(EvaluatePglFile("/m/top.pg", options).ok());
  absl::StatusOr<PglWorkload> r = EvaluatePgl("int a = 1; #include \"knobs.pg\"\n", "/m/x.pg",
                                              options);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("/m/x.pg:1:12: '#' must start a line"));
  r = EvaluatePgl("#include \"knobs.pg\" int b;\n", "/m/x.pg", options);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("/m/x.pg:1:21: unexpected text after #include"));
}

TEST(PglIncludeTest, NestingDeeperThanSixteenIsAnError) {
  PglOptions options;
  options.read_file = [](const std::string& path) -> absl::StatusOr<std::string> {
    // /d/<n>.pg includes /d/<n+1>.pg
    const std::string name = path.substr(path.rfind('/') + 1);
    const int n = std::stoi(name);
    return absl::StrCat("#include \"", n + 1, ".pg\"\n");
  };
  absl::StatusOr<PglWorkload> r = EvaluatePglFile("/d/0.pg", options);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("/d/15.pg:1:1: #include nested more than 16 deep"));
}

// ---- semantics -----------------------------------------------------------------------------

TEST(PglSemanticsTest, UseCopiesTheRobotAtTheCall) {
  absl::StatusOr<LoadedConfig> r = LoadPgl(std::string(kRobot) +
                                           "use(R);\n"
                                           "R.req_rate = 7/sec;\n"  // after use: a new robot
                                           "use(R);\n"
                                           "R.req_rate = 9/sec;\n");  // never used
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->spec.clients_size(), 2);
  EXPECT_DOUBLE_EQ(r->spec.clients(0).robot().req_rate(), 2);
  EXPECT_DOUBLE_EQ(r->spec.clients(1).robot().req_rate(), 7);
  EXPECT_EQ(r->spec.arrival().group_size(), 2);  // one user each
}

TEST(PglSemanticsTest, AssignmentCopiesValues) {
  v1::RobotParams robot = RobotOf(
      "PopModel a = { pop_distr = popUnif(); hot_set_prob = 10%; };\n"
      "PopModel b = a;\n"
      "a.hot_set_prob = 50%;\n"  // b keeps its own copy
      "Robot R = { origins = \"http://127.0.0.1:1/\"; recurrence = 0.5; pop_model = b; };\n"
      "use(R);\n");
  EXPECT_DOUBLE_EQ(robot.pop_model().hot_set_prob(), 0.1);
  EXPECT_EQ(robot.pop_model().pop_distr(), "popUnif");
}

TEST(PglSemanticsTest, ScheduleCopiesAndPhasesInheritInScheduleOrder) {
  absl::StatusOr<LoadedConfig> r = LoadPgl(
      std::string(kRobot) + "use(R);\n" +
      "Phase a = { name = \"a\"; goal.xactions = 100; load_factor_beg = 20%; "
      "populus_factor_end = 50%; };\n"
      "Phase b = { name = \"b\"; goal.duration = 1min; load_factor_end = 80%; };\n"
      "Phase c;\nc.name = \"c\";\nc.goal.duration = 30sec;\n"
      "Phase[] middle = [ b, [ c ] ];\n"
      "schedule(a, middle);\n"
      "a.name = \"renamed\";\n");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->spec.phases_size(), 3);
  const auto& p = r->spec.phases();
  EXPECT_EQ(p[0].name(), "a");
  EXPECT_EQ(p[0].goal().xactions(), 100u);
  EXPECT_DOUBLE_EQ(p[0].populus_factor_beg(), 1.0);
  EXPECT_DOUBLE_EQ(p[0].populus_factor_end(), 0.5);
  EXPECT_DOUBLE_EQ(p[1].load_factor_beg(), 0.2);
  EXPECT_DOUBLE_EQ(p[1].load_factor_end(), 0.8);
  EXPECT_DOUBLE_EQ(p[1].populus_factor_beg(), 0.5);
  EXPECT_DOUBLE_EQ(p[2].load_factor_beg(), 0.8);
  EXPECT_DOUBLE_EQ(p[2].load_factor_end(), 0.8);
  EXPECT_EQ(p[2].goal().duration_seconds(), 30);
  EXPECT_EQ(p[2].origin().line(), 5);
}

TEST(PglSemanticsTest, WarnsAboutRobotsAndPhasesThatDoNotRun) {
  absl::StatusOr<LoadedConfig> r = LoadPgl(
      std::string(kRobot) + "Robot spare = R;\nuse(R);\n" +
      "Robot other;\nPhase p = { name = \"p\"; };\nPhase q = { name = \"q\"; };\nschedule(p);\n");
  ASSERT_TRUE(r.ok()) << r.status();
  const std::string w = TestTempDir() + "/w.pg";
  EXPECT_THAT(r->warnings,
              ElementsAre(w + ":4:7: warning: robot 'other' is never passed to use(), so it does "
                              "not run",
                          w + ":6:7: warning: phase 'q' is not in schedule(), so it does not run"));
}

TEST(PglSemanticsTest, SelectorNormalisation) {
  auto origins = [](const std::string& selector) {
    return Items(RobotOf(absl::StrCat("Robot R = { origins = ", selector, "; };\nuse(R);\n"))
                     .origins());
  };
  // Wild cards share what is left (rule 2).
  EXPECT_THAT(origins("[\"http://h/a\" : 30%, \"http://h/b\" : 50%, \"http://h/c\"]"),
              ElementsAre(Item("http://h/a", 0.3), Item("http://h/b", 0.5), Item("http://h/c", 0.2)));
  // No probabilities: uniform (rule 1); a bare string is a one-item selector.
  EXPECT_THAT(origins("[\"http://h/a\", \"http://h/b\"]"),
              ElementsAre(Item("http://h/a", 0.5), Item("http://h/b", 0.5)));
  EXPECT_THAT(origins("\"http://h/a\""), ElementsAre(Item("http://h/a", 1)));
  // All explicit below 100%: rescaled (rule 3: 20%, 60% is 25%, 75%).
  EXPECT_THAT(origins("[\"http://h/a\" : 20%, \"http://h/b\" : 60%]"),
              ElementsAre(Item("http://h/a", 0.25), Item("http://h/b", 0.75)));
  // Above 100%: explicit rescaled, wild cards get 0 (rule 4).
  EXPECT_THAT(origins("[\"http://h/a\" : 80%, \"http://h/b\" : 80%, \"http://h/c\"]"),
              ElementsAre(Item("http://h/a", 0.5), Item("http://h/b", 0.5), Item("http://h/c", 0)));
  // Nested arrays: a group's share is split among its items (rule 6), also through variables.
  EXPECT_THAT(origins("[[\"http://h/a\", \"http://h/b\"] : 40%, \"http://h/c\"]"),
              ElementsAre(Item("http://h/a", 0.2), Item("http://h/b", 0.2), Item("http://h/c", 0.6)));
}

TEST(PglSemanticsTest, SelectorRescalingWarnsAtThePglLocation) {
  absl::StatusOr<LoadedConfig> r = LoadPgl(
      "Robot R;\nR.origins = [\"http://h/a\" : 20%, \"http://h/b\" : 60%];\nuse(R);\n");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_THAT(r->warnings[0], HasSubstr(TestTempDir() + "/w.pg:2:13: warning: "
                                                        "clients[0].params.origins"));
}

TEST(PglSemanticsTest, ArraysFlattenForCountScheduleAndUse) {
  absl::StatusOr<LoadedConfig> r = LoadPgl(
      std::string(kRobot) +
      "int[] A1 = [1, 2, 3, 4];\nint[] A2 = [1, [2, [3]], 4];\nA1 = [A1, A2];\n"
      "int n = count(A1);\n"
      "Robot[] rs = [R, [R]];\n"
      "R.count = n;\n"  // 8 users for this one
      "use(rs, R);\n");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->spec.clients_size(), 3);
  EXPECT_EQ(r->spec.clients(2).weight(), 8);
  EXPECT_EQ(r->spec.arrival().group_size(), 10);
}

TEST(PglSemanticsTest, CountsBecomeWeightsDividedByTheirCommonDivisor) {
  absl::StatusOr<LoadedConfig> r = LoadPgl(std::string(kRobot) +
                                           "Robot B = R;\nR.count = 12;\nB.count = 18;\n"
                                           "use(R, B);\n");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->spec.clients(0).weight(), 2);
  EXPECT_EQ(r->spec.clients(1).weight(), 3);
  EXPECT_EQ(r->spec.arrival().group_size(), 30);  // 6 cycles of 5 slots: 12 and 18 users
}

TEST(PglSemanticsTest, UnitsRatesAndArithmetic) {
  v1::RobotParams robot = RobotOf(
      "/* block\n comment */ time base = 1min + 30sec; // 90 s\n"
      "int half = 3 / 2;\n"              // integer division: 1
      "float f = 3 * (2 / 3);\n"         // 0, as in PGL
      "float g = 5.0 / 10 + f;\n"        // 0.5
      "rate r = 3 / 5min;\n"
      "size s = 2.5KB * 2;\n"
      "Robot R = {\n"
      "  origins = \"http://127.0.0.1:1/\";\n"
      "  req_rate = r * 100 + 10/sec;\n"          // 1 + 10 = 11 per second
      "  xact_lifetime = base * half;\n"          // 90 s
      "  idle_pconn_tout = 250ms + 0.5sec;\n"     // 0.75 s
      "  launch_win = 2hr / 7200;\n"              // 1 s
      "  open_conn_lmt = int(g * 8);\n"           // 4
      "  wait_xact_lmt = count([1, [2, 3]]);\n"   // 3
      "  recurrence = float(half) / 4;\n"         // 0.25
      "  pop_model = { pop_distr = popUnif(); };\n"
      "  working_set_cap = int(s / 1KB);\n"       // 5
      "  working_set_length = 1day / 24;\n"       // 3600 s
      "};\nuse(R);\n");
  EXPECT_DOUBLE_EQ(robot.req_rate(), 11);
  EXPECT_DOUBLE_EQ(robot.xact_lifetime_seconds(), 90);
  EXPECT_DOUBLE_EQ(robot.idle_pconn_tout_seconds(), 0.75);
  EXPECT_DOUBLE_EQ(robot.launch_win_seconds(), 1);
  EXPECT_EQ(robot.open_conn_lmt(), 4);
  EXPECT_EQ(robot.wait_xact_lmt(), 3);
  EXPECT_DOUBLE_EQ(robot.recurrence(), 0.25);
  EXPECT_EQ(robot.working_set_cap(), 5);
  EXPECT_DOUBLE_EQ(robot.working_set_length_seconds(), 3600);
}

TEST(PglSemanticsTest, TheSevenDistributionShapes) {
  v1::RobotParams robot = RobotOf(
      "time_distr gaps = logn(2sec, 1sec);\n"
      "Robot R = {\n"
      "  origins = \"http://127.0.0.1:1/\";\n"
      "  req_inter_arrival = gaps;\n"
      "  pconn_use_lmt = zipf(64);\n"
      "  session = { busy_period = { duration = 5min; }; idle_period_duration = exp(1min); };\n"
      "};\nuse(R);\n");
  EXPECT_NEAR(std::exp(robot.req_inter_arrival().lognormal().mu() +
                       robot.req_inter_arrival().lognormal().sigma() *
                           robot.req_inter_arrival().lognormal().sigma() / 2),
              2.0, 1e-12);  // the mean of the lognormal itself
  EXPECT_EQ(robot.pconn_use_lmt().zipf().n(), 64);
  EXPECT_EQ(robot.session().busy_period().constant().value(), 300);
  EXPECT_EQ(robot.session().idle_period_duration().exponential().mean(), 60);
  EXPECT_EQ(robot.session().idle_period_duration().kind(), v1::VALUE_KIND_TIME);

  const std::map<std::string, v1::Distribution::ShapeCase> shapes = {
      {"const(3sec)", v1::Distribution::kConstant},
      {"unif(1sec, 2sec)", v1::Distribution::kUniform},
      {"exp(3sec)", v1::Distribution::kExponential},
      {"norm(3sec, 1sec)", v1::Distribution::kNormal},
      {"logn(3sec, 1sec)", v1::Distribution::kLognormal},
      {"zipf(10)", v1::Distribution::kZipf},
      {"seq(5)", v1::Distribution::kSequential},
      {"unif(0, 2)", v1::Distribution::kUniform},  // unitless numbers are seconds here
      {"4sec", v1::Distribution::kConstant}};
  for (const auto& [text, shape] : shapes) {
    v1::RobotParams r = RobotOf(absl::StrCat(
        "Robot R = { origins = \"http://127.0.0.1:1/\"; req_inter_arrival = ", text,
        "; };\nuse(R);\n"));
    EXPECT_EQ(r.req_inter_arrival().shape_case(), shape) << text;
    EXPECT_EQ(r.req_inter_arrival().kind(), v1::VALUE_KIND_TIME) << text;
  }
}

TEST(PglSemanticsTest, GlobalWorkingSetCallsApplyToRobotsWithoutTheirOwn) {
  absl::StatusOr<LoadedConfig> r = LoadPgl(
      std::string(kRobot) +
      "Robot own = R;\nown.working_set_cap = 7;\n"
      "use(R, own);\n"
      "working_set_length(10min);\nworking_set_cap(1000);\n");  // after use(): still global
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_DOUBLE_EQ(r->spec.clients(0).robot().working_set_length_seconds(), 600);
  EXPECT_EQ(r->spec.clients(0).robot().working_set_cap(), 1000);
  EXPECT_DOUBLE_EQ(r->spec.clients(1).robot().working_set_length_seconds(), 600);
  EXPECT_EQ(r->spec.clients(1).robot().working_set_cap(), 7);
}

TEST(PglSemanticsTest, ExtensionFieldsAndBooleans) {
  absl::StatusOr<LoadedConfig> r = LoadPgl(
      std::string(kRobot) +
      "R.robots = 3; R.authenticate = yes; R.tls_verify = off; R.http_engine = \"curl\";\n"
      "R.kind = \"R101\"; R.count = 4;\nuse(R);\n");
  ASSERT_TRUE(r.ok()) << r.status();
  const v1::RobotParams& robot = r->spec.clients(0).robot();
  EXPECT_EQ(robot.robots(), 3);
  EXPECT_TRUE(robot.authenticate());
  EXPECT_FALSE(robot.tls_verify());
  EXPECT_EQ(robot.http_engine(), "curl");
  EXPECT_EQ(robot.kind(), "R101");
  EXPECT_EQ(r->spec.clients(0).weight(), 1);  // 4 users, the only robot
  EXPECT_EQ(r->accounts.size(), 4u);
  EXPECT_EQ(r->spec.arrival().group_size(), 4);
  EXPECT_EQ(r->spec.arrival().interval_seconds(), 0);
}

TEST(PglLexerTest, TokensCarryFileLineAndColumn) {
  absl::StatusOr<std::vector<PglToken>> tokens =
      LexPgl("rate r =\n\t 10/sec; // x\n/* y */ size s = 55%;", "t.pg", DiskFileReader());
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  std::vector<std::string> seen;
  for (const PglToken& t : *tokens) {
    seen.push_back(absl::StrCat(t.at.line, ":", t.at.column, " ", DescribeToken(t)));
  }
  EXPECT_THAT(seen, ElementsAre("1:1 'rate'", "1:6 'r'", "1:8 '='", "2:3 number 10", "2:5 '/'",
                                "2:6 'sec'", "2:9 ';'", "3:9 'size'", "3:14 's'", "3:16 '='",
                                "3:18 number 55%", "3:21 ';'", "3:21 end of file"));
  EXPECT_DOUBLE_EQ((*tokens)[10].number, 0.55);
  EXPECT_EQ((*tokens)[10].kind, PglToken::kFloat);
}

TEST(PglLexerTest, UnitLiterals) {
  absl::StatusOr<std::vector<PglToken>> tokens =
      LexPgl("5min 250ms 0.5sec 2hr 1year 13KB 2.5MB 3Byte 16Kbit 1e3 42 7day", "t.pg",
             DiskFileReader());
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  std::vector<std::pair<int, double>> values;
  for (const PglToken& t : *tokens) {
    if (t.kind != PglToken::kEnd) {
      values.emplace_back(t.kind, t.kind == PglToken::kInt ? t.int_value : t.number);
    }
  }
  using V = std::pair<int, double>;
  EXPECT_THAT(values, ElementsAre(V(PglToken::kTime, 300), V(PglToken::kTime, 0.25),
                                  V(PglToken::kTime, 0.5), V(PglToken::kTime, 7200),
                                  V(PglToken::kTime, 365 * 86400.0), V(PglToken::kSize, 13312),
                                  V(PglToken::kSize, 2.5 * 1048576), V(PglToken::kSize, 3),
                                  V(PglToken::kSize, 2048), V(PglToken::kFloat, 1000),
                                  V(PglToken::kInt, 42), V(PglToken::kTime, 7 * 86400)));
}

}  // namespace
}  // namespace loadsim
