// Phase schedule resolution (common/phases): Polygraph's inheritance rules, the ramp rule,
// factor ranges, names, goal defaults, and the plist `phases` / `schedule` keys.
#include "common/phases.h"

#include <string>
#include <vector>

#include "common/plist.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/testing_util.h"

namespace loadsim {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing_util::DiagnosticMessages;

PhaseDraft Draft(const std::string& name, int line) {
  PhaseDraft p;
  p.name = name;
  p.where = Location{"w.pg", line, 3};
  p.key_path = absl::StrCat("phases[", line, "]");
  return p;
}

std::vector<std::string> Names(const std::vector<v1::PhaseSpec>& phases) {
  std::vector<std::string> out;
  for (const v1::PhaseSpec& p : phases) out.push_back(p.name());
  return out;
}

TEST(ResolvePhasesTest, FirstPhaseDefaultsToFullLoadAndPopulation) {
  Diagnostics diags;
  std::vector<v1::PhaseSpec> out = ResolvePhases({Draft("only", 1)}, &diags);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].load_factor_beg(), 1.0);
  EXPECT_EQ(out[0].load_factor_end(), 1.0);
  EXPECT_EQ(out[0].populus_factor_beg(), 1.0);
  EXPECT_EQ(out[0].populus_factor_end(), 1.0);
  EXPECT_TRUE(out[0].log_stats());
  EXPECT_TRUE(out[0].synchronize());
  EXPECT_EQ(out[0].goal().errors_min_sample(), kDefaultErrorsMinSample);
  EXPECT_EQ(out[0].origin().file(), "w.pg");
  EXPECT_EQ(out[0].origin().line(), 1);
  EXPECT_THAT(DiagnosticMessages(diags), IsEmpty());
}

TEST(ResolvePhasesTest, UnsetBegInheritsPreviousEndAndUnsetEndEqualsBeg) {
  // PolyMix-2 shape: warm at 10%, ramp to 100%, plateau, ramp down to 10%, idle.
  std::vector<PhaseDraft> in = {Draft("warm", 1), Draft("inc", 2), Draft("top", 3),
                                Draft("dec", 4), Draft("idle", 5)};
  in[0].load_factor_beg = 0.1;
  in[0].duration_seconds = 180;
  in[1].load_factor_end = 1.0;
  in[1].duration_seconds = 3600;
  in[2].duration_seconds = 4 * 3600;
  in[3].load_factor_end = 0.1;
  in[3].duration_seconds = 3600;
  in[4].duration_seconds = 7200;
  in[2].populus_factor_beg = 0.5;  // populus: 100%, 100%, 50%, 50%, 50%
  Diagnostics diags;
  std::vector<v1::PhaseSpec> out = ResolvePhases(in, &diags);
  ASSERT_EQ(out.size(), 5u);
  std::vector<std::pair<double, double>> load, pop;
  for (const v1::PhaseSpec& p : out) {
    load.emplace_back(p.load_factor_beg(), p.load_factor_end());
    pop.emplace_back(p.populus_factor_beg(), p.populus_factor_end());
  }
  using P = std::pair<double, double>;
  EXPECT_THAT(load, ElementsAre(P(0.1, 0.1), P(0.1, 1.0), P(1.0, 1.0), P(1.0, 0.1), P(0.1, 0.1)));
  EXPECT_THAT(pop, ElementsAre(P(1, 1), P(1, 1), P(0.5, 0.5), P(0.5, 0.5), P(0.5, 0.5)));
  EXPECT_THAT(DiagnosticMessages(diags), IsEmpty());
}

TEST(ResolvePhasesTest, EndWithoutBegInFirstPhaseRampsFromFullLoad) {
  std::vector<PhaseDraft> in = {Draft("cool", 7)};
  in[0].load_factor_end = 0;
  in[0].xactions = 500;
  Diagnostics diags;
  std::vector<v1::PhaseSpec> out = ResolvePhases(in, &diags);
  EXPECT_EQ(out[0].load_factor_beg(), 1.0);
  EXPECT_EQ(out[0].load_factor_end(), 0.0);
  EXPECT_EQ(out[0].goal().xactions(), 500u);
  EXPECT_FALSE(diags.has_errors());
}

TEST(ResolvePhasesTest, RampWithoutPositiveGoalIsAnErrorNamingThePhaseAndPlace) {
  std::vector<PhaseDraft> in = {Draft("warm", 1), Draft("inc1", 12)};
  in[0].duration_seconds = 60;
  in[1].load_factor_end = 2.0;
  in[1].errors = 0.05;  // a negative goal does not make a ramp's length
  Diagnostics diags;
  ResolvePhases(in, &diags);
  EXPECT_THAT(DiagnosticMessages(diags),
              ElementsAre(HasSubstr("warning: phases[12]: load_factor above 100% (200%)"),
                          "w.pg:12:3: phases[12]: phase 'inc1' ramps load_factor from 100% to "
                          "200% but has no positive goal: a ramp needs goal.duration or "
                          "goal.xactions > 0 to ramp over"));
}

TEST(ResolvePhasesTest, PopulusRampWithoutGoalIsAnError) {
  std::vector<PhaseDraft> in = {Draft("up", 2)};
  in[0].populus_factor_beg = 0;
  in[0].populus_factor_end = 1;
  Diagnostics diags;
  ResolvePhases(in, &diags);
  EXPECT_THAT(diags.ToStatus().message(),
              HasSubstr("w.pg:2:3: phases[2]: phase 'up' ramps populus_factor from 0% to 100%"));
}

TEST(ResolvePhasesTest, FactorRanges) {
  std::vector<PhaseDraft> in = {Draft("a", 1), Draft("b", 2), Draft("c", 3)};
  in[0].populus_factor_beg = 1.5;
  in[0].duration_seconds = 10;
  in[1].populus_factor_beg = -0.1;
  in[1].populus_factor_end = 0.5;
  in[1].duration_seconds = 10;
  in[2].load_factor_beg = -1;
  Diagnostics diags;
  ResolvePhases(in, &diags);
  EXPECT_THAT(DiagnosticMessages(diags),
              ElementsAre(HasSubstr("w.pg:1:3: phases[1]: populus_factor 150% is out of range: "
                                    "a populus factor is from 0% to 100%"),
                          HasSubstr("w.pg:2:3: phases[2]: populus_factor -10% is out of range"),
                          HasSubstr("w.pg:3:3: phases[3]: load_factor -100% is out of range: a "
                                    "load factor is 0% or more")));
}

TEST(ResolvePhasesTest, LoadAboveFullIsAWarningOnly) {
  std::vector<PhaseDraft> in = {Draft("peak", 4)};
  in[0].load_factor_beg = 3;
  Diagnostics diags;
  std::vector<v1::PhaseSpec> out = ResolvePhases(in, &diags);
  EXPECT_FALSE(diags.has_errors());
  EXPECT_EQ(out[0].load_factor_end(), 3.0);
  EXPECT_THAT(DiagnosticMessages(diags),
              ElementsAre(HasSubstr("w.pg:4:3: warning: phases[4]: load_factor above 100% (300%)")));
}

TEST(ResolvePhasesTest, NamesMustBeNonEmptyUniqueAndWithoutWhitespace) {
  std::vector<PhaseDraft> in = {Draft("", 1), Draft("two words", 2), Draft("x", 3),
                                Draft("x", 4)};
  for (PhaseDraft& p : in) p.duration_seconds = 1;
  Diagnostics diags;
  ResolvePhases(in, &diags);
  EXPECT_THAT(DiagnosticMessages(diags),
              ElementsAre("w.pg:1:3: phases[1]: a phase needs a non-empty name",
                          HasSubstr("w.pg:2:3: phases[2]: phase name 'two words' contains "
                                    "whitespace"),
                          "w.pg:4:3: phases[4]: phase name 'x' is already used by phases[3] at "
                          "w.pg:3:3; every scheduled phase needs its own name"));
}

TEST(ResolvePhasesTest, GoalValuesAndFlagsAreCopied) {
  std::vector<PhaseDraft> in = {Draft("meas", 1)};
  in[0].duration_seconds = 90;
  in[0].xactions = 1000;
  in[0].errors = 3;
  in[0].errors_min_sample = 50;
  in[0].log_stats = false;
  in[0].synchronize = false;
  Diagnostics diags;
  std::vector<v1::PhaseSpec> out = ResolvePhases(in, &diags);
  EXPECT_EQ(out[0].goal().duration_seconds(), 90);
  EXPECT_EQ(out[0].goal().xactions(), 1000u);
  EXPECT_EQ(out[0].goal().errors(), 3);
  EXPECT_EQ(out[0].goal().errors_min_sample(), 50u);
  EXPECT_FALSE(out[0].log_stats());
  EXPECT_FALSE(out[0].synchronize());
}

TEST(ResolvePhasesTest, PhaseWithoutPositiveGoalBeforeOthersWarns) {
  std::vector<PhaseDraft> in = {Draft("forever", 1), Draft("never", 2)};
  Diagnostics diags;
  ResolvePhases(in, &diags);
  EXPECT_FALSE(diags.has_errors());
  EXPECT_THAT(DiagnosticMessages(diags),
              ElementsAre(HasSubstr("phase 'forever' has no positive goal (duration or xactions): "
                                    "it never ends")));
}

// ---- the plist keys --------------------------------------------------------------------------

std::vector<v1::PhaseSpec> ReadBody(const std::string& body, Diagnostics* diags) {
  absl::StatusOr<Value> doc = ParsePlist(
      absl::StrCat("<plist version=\"1.0\">\n<dict>\n", body, "</dict>\n</plist>\n"), "c.plist");
  EXPECT_TRUE(doc.ok()) << doc.status();
  if (!doc.ok()) return {};
  DictReader top(&*doc, "", diags);
  google::protobuf::RepeatedPtrField<v1::PhaseSpec> out;
  ReadPhases(top, diags, &out);
  top.WarnUnknownKeys();
  return std::vector<v1::PhaseSpec>(out.begin(), out.end());
}

TEST(ReadPhasesTest, NoKeysNoPhases) {
  Diagnostics diags;
  EXPECT_THAT(ReadBody("", &diags), IsEmpty());
  EXPECT_THAT(DiagnosticMessages(diags), IsEmpty());
}

TEST(ReadPhasesTest, PglFieldNamesWithPercentStringsAndTimeStrings) {
  Diagnostics diags;
  std::vector<v1::PhaseSpec> out = ReadBody(
      "<key>phases</key><array>\n"
      "<dict><key>name</key><string>warm</string>\n"                                // line 4
      "<key>goal</key><dict><key>duration</key><string>5min</string></dict>\n"
      "<key>load_factor_beg</key><string>10%</string>\n"
      "<key>populus_factor_beg</key><real>0.5</real>\n"
      "<key>log_stats</key><false/></dict>\n"
      "<dict><key>name</key><string>ramp</string>\n"
      "<key>goal</key><dict><key>xactions</key><integer>20000</integer>\n"
      "<key>errors</key><string>2%</string><key>errors_min_sample</key><integer>100</integer>"
      "</dict>\n"
      "<key>load_factor_end</key><integer>1</integer>\n"
      "<key>synchronize</key><false/></dict>\n"
      "</array>\n",
      &diags);
  EXPECT_THAT(DiagnosticMessages(diags), IsEmpty());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].name(), "warm");
  EXPECT_EQ(out[0].goal().duration_seconds(), 300);
  EXPECT_DOUBLE_EQ(out[0].load_factor_beg(), 0.1);
  EXPECT_DOUBLE_EQ(out[0].load_factor_end(), 0.1);
  EXPECT_DOUBLE_EQ(out[0].populus_factor_end(), 0.5);
  EXPECT_FALSE(out[0].log_stats());
  EXPECT_TRUE(out[0].synchronize());
  EXPECT_EQ(out[0].origin().line(), 4);
  EXPECT_EQ(out[1].goal().xactions(), 20000u);
  EXPECT_DOUBLE_EQ(out[1].goal().errors(), 0.02);
  EXPECT_EQ(out[1].goal().errors_min_sample(), 100u);
  EXPECT_DOUBLE_EQ(out[1].load_factor_beg(), 0.1);
  EXPECT_DOUBLE_EQ(out[1].load_factor_end(), 1.0);
  EXPECT_DOUBLE_EQ(out[1].populus_factor_beg(), 0.5);
  EXPECT_TRUE(out[1].log_stats());
  EXPECT_FALSE(out[1].synchronize());
}

TEST(ReadPhasesTest, ScheduleOrdersPhasesAndInheritanceFollowsTheSchedule) {
  Diagnostics diags;
  std::vector<v1::PhaseSpec> out = ReadBody(
      "<key>phases</key><array>\n"
      "<dict><key>name</key><string>b</string><key>goal</key><dict><key>duration</key>"
      "<integer>5</integer></dict><key>load_factor_end</key><real>0.2</real></dict>\n"
      "<dict><key>name</key><string>a</string><key>goal</key><dict><key>duration</key>"
      "<integer>5</integer></dict><key>load_factor_beg</key><real>0.6</real></dict>\n"
      "<dict><key>name</key><string>unused</string></dict>\n"  // line 6
      "</array>\n"
      "<key>schedule</key><array><string>a</string><string>b</string></array>\n",
      &diags);
  EXPECT_THAT(Names(out), ElementsAre("a", "b"));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_DOUBLE_EQ(out[1].load_factor_beg(), 0.6);  // b inherits a's end
  EXPECT_DOUBLE_EQ(out[1].load_factor_end(), 0.2);
  EXPECT_THAT(DiagnosticMessages(diags),
              ElementsAre("c.plist:6: warning: phases[2]: phase 'unused' is not in the schedule; "
                          "it will not run"));
}

TEST(ReadPhasesTest, Rejections) {
  Diagnostics diags;
  ReadBody(
      "<key>phases</key><array>\n"
      "<dict><key>name</key><string>a</string>\n"  // line 4
      "<key>goal</key><dict><key>duration</key><string>5mins</string>\n"
      "<key>fill_size</key><string>1GB</string><key>xactions</key><integer>-3</integer></dict>\n"
      "<key>recur_factor_beg</key><real>0.5</real>\n"
      "<key>load_factor_end</key><string>lots</string>\n"
      "<key>colour</key><string>red</string></dict>\n"
      "<dict><key>goal</key><dict/></dict>\n"  // line 10: no name
      "<dict><key>name</key><string>a</string></dict>\n"
      "</array>\n"
      "<key>schedule</key><array><string>a</string><string>b</string><string>a</string>"
      "<integer>3</integer></array>\n",  // line 13
      &diags);
  EXPECT_THAT(
      DiagnosticMessages(diags),
      ElementsAre(
          HasSubstr("c.plist:5: phases[0].goal.duration: invalid time \"5mins\": unknown suffix"),
          "c.plist:6: phases[0].goal.xactions: must be >= 0, got -3",
          HasSubstr("c.plist:6: phases[0].goal.fill_size: Polygraph's Goal.fill_size is "
                    "proxy-cache specific"),
          HasSubstr("c.plist:8: phases[0].load_factor_end: invalid ratio \"lots\""),
          HasSubstr("c.plist:7: phases[0].recur_factor_beg: Polygraph's Phase.recur_factor_beg "
                    "recurrence factors are not supported"),
          "c.plist:9: warning: phases[0].colour: unknown key, ignored",
          "c.plist:10: phases[1].name: required key is missing",
          "c.plist:11: phases[2]: phase name 'a' is already used by phases[0] at c.plist:4",
          "c.plist:13: schedule[1]: no phase named 'b' in phases",
          HasSubstr("c.plist:13: schedule[2]: phase 'a' is scheduled twice"),
          "c.plist:13: schedule[3]: expected a phase name (string), found integer"));
}

TEST(ReadPhasesTest, ScheduleWithoutPhasesAndEmptyPhases) {
  Diagnostics diags;
  ReadBody("<key>schedule</key><array><string>a</string></array>\n", &diags);
  EXPECT_THAT(DiagnosticMessages(diags),
              ElementsAre("c.plist:3: schedule: names phases, but there is no phases array to "
                          "take them from"));
  Diagnostics diags2;
  ReadBody("<key>phases</key><array/>\n", &diags2);
  EXPECT_THAT(DiagnosticMessages(diags2),
              ElementsAre("c.plist:3: phases: is empty: give at least one phase, or leave the "
                          "key out"));
}

}  // namespace
}  // namespace loadsim
