#include "common/selector.h"

#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/plist.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace loadsim {
namespace {

using ::testing::AllOf;
using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::SizeIs;
using ::testing::StartsWith;

constexpr char kFile[] = "workload.plist";
constexpr char kPath[] = "clients[0].params.origins";

// One item per line, so item i of the array is on line i + 2.
std::string Array(const std::vector<std::string>& items) {
  std::string xml = "<array>\n";
  for (const std::string& item : items) xml += item + "\n";
  return xml + "</array>\n";
}

std::string S(const std::string& text) { return "<string>" + text + "</string>"; }

struct Result {
  std::optional<v1::Selector> selector;
  Diagnostics diags;

  // (value, probability) pairs.
  std::vector<std::pair<std::string, double>> items() const {
    std::vector<std::pair<std::string, double>> out;
    if (!selector) return out;
    for (const auto& item : selector->items()) out.emplace_back(item.value(), item.probability());
    return out;
  }
};

Result Read(const std::string& xml) {
  absl::StatusOr<Value> v = ParsePlist(xml, kFile);
  EXPECT_TRUE(v.ok()) << v.status();
  Result r;
  r.selector = SelectorFromValue(*v, kPath, &r.diags);
  EXPECT_EQ(r.selector.has_value(), !r.diags.has_errors()) << r.diags.ToStatus();
  return r;
}

std::string OnlyError(const Result& r) {
  std::vector<std::string> errors;
  for (const Diagnostic& d : r.diags.entries()) {
    if (d.severity == Diagnostic::Severity::kError) errors.push_back(d.ToString());
  }
  EXPECT_THAT(errors, SizeIs(1)) << r.diags.ToStatus();
  return errors.empty() ? "" : errors[0];
}

std::string Prefix(int line, const std::string& suffix) {
  return std::string(kFile) + ":" + std::to_string(line) + ": " + kPath + suffix + ": ";
}

auto Item(const std::string& value, double p) { return Pair(value, DoubleNear(p, 1e-12)); }

TEST(SelectorRulesTest, Rule1NoProbabilitiesIsUniform) {
  const Result r = Read(Array({S("a"), S("b"), S("c"), S("d")}));
  EXPECT_THAT(r.items(),
              ElementsAre(Item("a", 0.25), Item("b", 0.25), Item("c", 0.25), Item("d", 0.25)));
  EXPECT_THAT(r.diags.Warnings(), IsEmpty());
}

TEST(SelectorRulesTest, Rule2WildCardsShareTheRest) {
  const Result r = Read(Array({S("a : 30%"), S("b : 50%"), S("c")}));
  EXPECT_THAT(r.items(), ElementsAre(Item("a", 0.3), Item("b", 0.5), Item("c", 0.2)));
  EXPECT_THAT(r.diags.Warnings(), IsEmpty());
  const Result two = Read(Array({S("a : 40%"), S("b"), S("c")}));
  EXPECT_THAT(two.items(), ElementsAre(Item("a", 0.4), Item("b", 0.3), Item("c", 0.3)));
}

TEST(SelectorRulesTest, Rule3AllExplicitBelow100IsScaledUpWithAWarning) {
  const Result r = Read(Array({S("ph1 : 20%"), S("ph2 : 60%")}));
  EXPECT_THAT(r.items(), ElementsAre(Item("ph1", 0.25), Item("ph2", 0.75)));
  EXPECT_THAT(r.diags.Warnings(),
              ElementsAre(AllOf(StartsWith(std::string(kFile) + ":1: warning: " + kPath + ": "),
                                HasSubstr("sum to 80%; scaled to 100%"))));
}

TEST(SelectorRulesTest, Rule3AllZeroIsUniformWithAWarning) {
  const Result r = Read(Array({S("a : 0%"), S("b : 0%")}));
  EXPECT_THAT(r.items(), ElementsAre(Item("a", 0.5), Item("b", 0.5)));
  EXPECT_THAT(r.diags.Warnings(), ElementsAre(HasSubstr("uniformly")));
}

TEST(SelectorRulesTest, Rule4Above100IsScaledDownAndWildCardsGetZero) {
  const Result r = Read(Array({S("a : 80%"), S("b : 80%"), S("c")}));
  EXPECT_THAT(r.items(), ElementsAre(Item("a", 0.5), Item("b", 0.5), Item("c", 0)));
  EXPECT_THAT(r.diags.Warnings(), ElementsAre(HasSubstr("sum to 160%; scaled down to 100%, and "
                                                        "the 1 item(s) without a probability "
                                                        "get 0%")));
  const Result explicit_only = Read(Array({S("a : 80%"), S("b : 40%")}));
  EXPECT_THAT(explicit_only.items(), ElementsAre(Item("a", 2.0 / 3), Item("b", 1.0 / 3)));
  EXPECT_THAT(explicit_only.diags.Warnings(), ElementsAre(HasSubstr("sum to 120%")));
}

TEST(SelectorRulesTest, Rule5ExactlyHundredIsUsedAsGiven) {
  const Result r = Read(Array({S("a : 55%"), S("b : 0.45")}));
  EXPECT_THAT(r.items(), ElementsAre(Item("a", 0.55), Item("b", 0.45)));
  EXPECT_THAT(r.diags.Warnings(), IsEmpty());
}

TEST(SelectorRulesTest, Rule5ToleranceIsNotCopiedSoNearMissesAreRescaled) {
  // Polygraph silently accepts 99.5%; here it is scaled to exactly 100% with a warning.
  const Result r = Read(Array({S("a : 60%"), S("b : 39.5%")}));
  EXPECT_THAT(r.items(), ElementsAre(Item("a", 0.6 / 0.995), Item("b", 0.395 / 0.995)));
  EXPECT_THAT(r.diags.Warnings(), ElementsAre(HasSubstr("sum to 99.5%; scaled to 100%")));
}

TEST(SelectorRulesTest, Rule6NestedProbabilitiesMultiply) {
  const Result r = Read(Array({"<dict><key>items</key><array>" + S("x : 50%") + S("y") +
                                   "</array><key>probability</key>" + S("40%") + "</dict>",
                               S("z")}));
  EXPECT_THAT(r.items(), ElementsAre(Item("x", 0.2), Item("y", 0.2), Item("z", 0.6)));
  // A nested array without a probability is one wild card of the outer list.
  const Result wild = Read(Array({S("a : 50%"), "<array>" + S("b") + S("c : 80%") + "</array>"}));
  EXPECT_THAT(wild.items(), ElementsAre(Item("a", 0.5), Item("b", 0.1), Item("c", 0.4)));
  // Three levels.
  const Result deep =
      Read(Array({S("a"), "<array>" + S("b") + "<array>" + S("c") + S("d") + "</array></array>"}));
  EXPECT_THAT(deep.items(),
              ElementsAre(Item("a", 0.5), Item("b", 0.25), Item("c", 0.125), Item("d", 0.125)));
}

TEST(SelectorRulesTest, Rule8QuirkFixedWildCardsNeverGoNegative) {
  // S = 100.5% with a wild card: Polygraph gives c -0.5%; here c gets 0 and a, b are scaled.
  const Result r = Read(Array({S("a : 60%"), S("b : 40.5%"), S("c")}));
  EXPECT_THAT(r.items(),
              ElementsAre(Item("a", 0.6 / 1.005), Item("b", 0.405 / 1.005), Item("c", 0)));
  EXPECT_THAT(r.diags.Warnings(), ElementsAre(HasSubstr("scaled down to 100%")));
  for (const auto& [value, p] : r.items()) EXPECT_GE(p, 0) << value;
  // Exactly 100% with a wild card: the wild card gets 0, with a warning.
  const Result full = Read(Array({S("a : 70%"), S("b : 30%"), S("c")}));
  EXPECT_THAT(full.items(), ElementsAre(Item("a", 0.7), Item("b", 0.3), Item("c", 0)));
  EXPECT_THAT(full.diags.Warnings(), ElementsAre(HasSubstr("without a probability get 0%")));
}

TEST(SelectorFormsTest, ColonsInsideItemsAreNotSeparators) {
  const Result r = Read(Array({S("http://h:8080/x"), S("host:8080"), S("http://h:8080/y : 30%"),
                               S("http://h:8080/z:10%")}));
  EXPECT_THAT(r.items(), ElementsAre(Item("http://h:8080/x", 0.3), Item("host:8080", 0.3),
                                     Item("http://h:8080/y", 0.3), Item("http://h:8080/z", 0.1)));
}

TEST(SelectorFormsTest, DictItemsAndSingleString) {
  const Result r = Read(Array(
      {"<dict><key>value</key>" + S("GET") + "<key>probability</key><real>0.9</real></dict>",
       "<dict><key>value</key>" + S("PUT") + "<key>probability</key>" + S("10%") + "</dict>"}));
  EXPECT_THAT(r.items(), ElementsAre(Item("GET", 0.9), Item("PUT", 0.1)));
  const Result one = Read(S("http://127.0.0.1:8008/"));
  EXPECT_THAT(one.items(), ElementsAre(Item("http://127.0.0.1:8008/", 1)));
  EXPECT_THAT(one.diags.Warnings(), IsEmpty());
}

TEST(SelectorRejectionTest, EmptySelector) {
  EXPECT_THAT(OnlyError(Read("<array/>\n")),
              AllOf(StartsWith(Prefix(1, "")), HasSubstr("empty selector")));
  EXPECT_THAT(OnlyError(Read(Array({S("a"), "<array/>"}))),
              AllOf(StartsWith(Prefix(3, "[1]")), HasSubstr("empty selector")));
  EXPECT_THAT(OnlyError(Read(Array({S(" : 30%")}))),
              AllOf(StartsWith(Prefix(2, "[0]")), HasSubstr("empty selector item")));
}

TEST(SelectorRejectionTest, ProbabilityAbove100) {
  EXPECT_THAT(OnlyError(Read(Array({S("a"), S("b : 130%")}))),
              AllOf(StartsWith(Prefix(3, "[1]")), HasSubstr("probability 130% is out of range")));
  EXPECT_THAT(OnlyError(Read(Array({"<dict><key>value</key>" + S("a") +
                                    "<key>probability</key><integer>30</integer></dict>"}))),
              AllOf(StartsWith(Prefix(2, "[0].probability")),
                    HasSubstr("probability 3000% is out of range")));
}

TEST(SelectorRejectionTest, NegativeProbability) {
  EXPECT_THAT(OnlyError(Read(Array({S("a"), S("b : -5%")}))),
              AllOf(StartsWith(Prefix(3, "[1]")), HasSubstr("probability -5% is out of range")));
}

TEST(SelectorRejectionTest, MalformedProbability) {
  EXPECT_THAT(
      OnlyError(Read(Array({S("a : lots")}))),
      AllOf(StartsWith(Prefix(2, "[0]")), HasSubstr("bad probability"), HasSubstr("\"lots\"")));
  EXPECT_THAT(OnlyError(Read(Array({S("a:x%")}))),
              AllOf(StartsWith(Prefix(2, "[0]")), HasSubstr("bad probability")));
}

TEST(SelectorRejectionTest, WrongItemTypesAndDicts) {
  EXPECT_THAT(OnlyError(Read(Array({S("a"), "<integer>5</integer>"}))),
              AllOf(StartsWith(Prefix(3, "[1]")), HasSubstr("got integer")));
  EXPECT_THAT(OnlyError(Read(Array({"<dict><key>probability</key>" + S("5%") + "</dict>"}))),
              AllOf(StartsWith(Prefix(2, "[0]")), HasSubstr("exactly one of 'value'")));
  EXPECT_THAT(OnlyError(Read(Array({"<dict><key>value</key><integer>1</integer></dict>"}))),
              AllOf(StartsWith(Prefix(2, "[0].value")), HasSubstr("must be a string")));
  EXPECT_THAT(OnlyError(Read(Array({"<dict><key>items</key>" + S("x") + "</dict>"}))),
              AllOf(StartsWith(Prefix(2, "[0].items")), HasSubstr("must be an array")));
  EXPECT_THAT(OnlyError(Read("<integer>5</integer>\n")),
              AllOf(StartsWith(Prefix(1, "")), HasSubstr("expected a selector")));
  const Result typo = Read(
      Array({"<dict><key>value</key>" + S("a") + "<key>probabilty</key>" + S("5%") + "</dict>"}));
  EXPECT_THAT(typo.diags.Warnings(),
              ElementsAre(AllOf(HasSubstr(std::string(kPath) + "[0].probabilty"),
                                HasSubstr("unknown key"))));
}

TEST(SelectorSamplerTest, PicksWithTheNormalisedProbabilities) {
  const Result r = Read(Array({S("a : 30%"), S("b : 50%"), S("c"), S("d : 0%")}));
  absl::StatusOr<SelectorSampler> s = SelectorSampler::Create(*r.selector);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->size(), 4u);
  constexpr int kSamples = 200000;
  RandomStream rng(1);
  std::map<std::string, int> counts;
  for (int i = 0; i < kSamples; ++i) ++counts[s->PickValue(rng)];
  EXPECT_EQ(counts["d"], 0);
  // Tolerance: five standard errors of a proportion, sqrt(p (1 - p) / n).
  for (const auto& [value, p] :
       std::vector<std::pair<std::string, double>>{{"a", 0.3}, {"b", 0.5}, {"c", 0.2}}) {
    EXPECT_NEAR(counts[value] / double(kSamples), p, 5 * std::sqrt(p * (1 - p) / kSamples))
        << value;
  }
  EXPECT_LT(s->Pick(rng), 3u);
  EXPECT_EQ(s->value(1), "b");
}

TEST(SelectorSamplerTest, RejectsEmptyAndInvalid) {
  EXPECT_FALSE(SelectorSampler::Create(v1::Selector()).ok());
  v1::Selector bad;
  auto* item = bad.add_items();
  item->set_value("a");
  item->set_probability(-1);
  EXPECT_THAT(SelectorSampler::Create(bad).status().message(), HasSubstr("selector"));
  item->set_probability(0);
  EXPECT_FALSE(SelectorSampler::Create(bad).ok());
}

TEST(FormatSelectorTest, ListsItemsWithPercentages) {
  const Result r = Read(Array({S("GET : 75%"), S("PUT")}));
  EXPECT_EQ(FormatSelector(*r.selector), "[GET : 75%, PUT : 25%]");
}

}  // namespace
}  // namespace loadsim
