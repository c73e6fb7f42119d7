#include "master/results_files.h"

#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/file_util.h"
#include "common/histogram.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "pugixml.hpp"
#include "tests/common/testing_util.h"
#include "tests/master/results_fixture.h"
#include "worker/recorder.h"

namespace loadsim {
namespace {

using ::testing::HasSubstr;
using testing_util::TestTempDir;

// RFC 4180 records: quoted fields with doubled quotes, CRLF between records.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(field);
      field.clear();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      row.push_back(field);
      field.clear();
      rows.push_back(row);
      row.clear();
      ++i;
    } else {
      field += c;
    }
  }
  EXPECT_TRUE(field.empty() && row.empty()) << "the last record has no CRLF";
  return rows;
}

LabelRecorder Decode(const v1::LabelStats& ls) {
  absl::StatusOr<LabelRecorder> r = LabelRecorder::FromProto(ls);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : LabelRecorder(ls.label());
}

// "12.345" (milliseconds) -> 12345 (microseconds), exactly.
uint64_t MsToUs(const std::string& ms) { return std::llround(std::stod(ms) * 1000); }

TEST(ResultsFixtureTest, IsDeterministicAndVaried) {
  v1::Results a = testing::MakeSampleResults();
  v1::Results b = testing::MakeSampleResults();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(a, b));
  EXPECT_EQ(a.intervals_size(), 12);
  EXPECT_EQ(a.phases_size(), 2);
  EXPECT_EQ(a.workers_size(), 3);
  EXPECT_FALSE(a.verdict().pass());
  EXPECT_GE(a.verdict().failures_size(), 3);
  EXPECT_GT(a.failure_samples_size(), 0);
  // The totals are the merge of the intervals, label by label.
  for (const v1::LabelStats& total : a.labels()) {
    LabelRecorder merged(total.label(),
                         std::vector<uint64_t>(total.limits_us().begin(), total.limits_us().end()));
    for (const v1::IntervalResults& in : a.intervals()) {
      for (const v1::LabelStats& ls : in.labels()) {
        if (ls.label() == total.label()) {
          ASSERT_TRUE(merged.MergeProto(ls).ok());
        }
      }
    }
    EXPECT_TRUE(merged == Decode(total)) << total.label();
    EXPECT_GT(total.count(), 0u) << total.label();
  }
}

TEST(FillSummariesTest, SummariesAreTheHistogramNumbers) {
  v1::Results r = testing::MakeSampleResults();
  r.clear_summaries();
  ASSERT_TRUE(FillSummaries(&r).ok());
  ASSERT_EQ(r.summaries_size(), r.labels_size());
  for (int i = 0; i < r.labels_size(); ++i) {
    const v1::LabelSummary& s = r.summaries(i);
    LabelRecorder rec = Decode(r.labels(i));
    EXPECT_EQ(s.label(), r.labels(i).label());
    EXPECT_EQ(s.count(), rec.count());
    EXPECT_EQ(s.failures(), rec.failures());
    EXPECT_DOUBLE_EQ(s.mean_s(), rec.MeanUs() / 1e6);
    EXPECT_DOUBLE_EQ(s.stddev_s(), rec.StddevUs() / 1e6);
    EXPECT_DOUBLE_EQ(s.p50_s(), rec.ValueAtQuantileUs(0.5) / 1e6);
    EXPECT_DOUBLE_EQ(s.p90_s(), rec.ValueAtQuantileUs(0.9) / 1e6);
    EXPECT_DOUBLE_EQ(s.p99_s(), rec.ValueAtQuantileUs(0.99) / 1e6);
    EXPECT_DOUBLE_EQ(s.p999_s(), rec.ValueAtQuantileUs(0.999) / 1e6);
    EXPECT_DOUBLE_EQ(s.max_s(), rec.max_us() / 1e6);
    EXPECT_DOUBLE_EQ(s.min_s(), rec.min_us() / 1e6);
    EXPECT_DOUBLE_EQ(s.rate_per_s(), rec.count() / 120.0);
    EXPECT_LE(s.min_s(), s.p50_s());
    EXPECT_LE(s.p50_s(), s.p90_s());
    EXPECT_LE(s.p90_s(), s.p99_s());
    EXPECT_LE(s.p99_s(), s.p999_s());
    // Quantiles are bucket midpoints: within 1/64 of the largest sample.
    EXPECT_LE(s.p999_s(), s.max_s() * (1 + 1.0 / 64));
  }
  const v1::PhaseResults& warm = r.phases(0);
  ASSERT_EQ(warm.summaries_size(), warm.labels_size());
  EXPECT_DOUBLE_EQ(warm.summaries(0).rate_per_s(), warm.labels(0).count() / 40.0);
  const v1::PhaseResults& plateau = r.phases(1);
  EXPECT_DOUBLE_EQ(plateau.summaries(0).rate_per_s(), plateau.labels(0).count() / 80.0);
}

TEST(FillSummariesTest, ReplacesOldSummariesAndHandlesEmptyRuns) {
  v1::Results r = testing::MakeSampleResults();
  ASSERT_TRUE(FillSummaries(&r).ok());
  EXPECT_EQ(r.summaries_size(), r.labels_size());  // not doubled

  v1::Results empty;
  v1::LabelStats* ls = empty.add_labels();
  ls->set_label("GET{robot}");
  ASSERT_TRUE(FillSummaries(&empty).ok());
  ASSERT_EQ(empty.summaries_size(), 1);
  EXPECT_EQ(empty.summaries(0).count(), 0u);
  EXPECT_EQ(empty.summaries(0).rate_per_s(), 0);  // ran_seconds 0: no division
}

TEST(FillSummariesTest, MalformedHistogramIsAnErrorNamingTheLabel) {
  v1::Results r = testing::MakeSampleResults();
  r.mutable_labels(1)->mutable_histogram()->add_index(3);  // one more index than counts
  absl::Status s = FillSummaries(&r);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr(r.labels(1).label()));

  v1::Results p = testing::MakeSampleResults();
  p.mutable_phases(1)->mutable_labels(0)->mutable_histogram()->add_index(99999);
  p.mutable_phases(1)->mutable_labels(0)->mutable_histogram()->add_count(1);
  s = FillSummaries(&p);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("phase 'plateau'"));
}

TEST(ResultsJsonTest, ParsesBackIntoAnEqualResults) {
  const v1::Results r = testing::MakeSampleResults();
  const std::string path = TestTempDir() + "/results.json";
  ASSERT_TRUE(WriteResultsJson(r, path).ok());
  absl::StatusOr<std::string> text = ReadFile(path);
  ASSERT_TRUE(text.ok());
  v1::Results back;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(*text, &back).ok());
  std::string diff;
  google::protobuf::util::MessageDifferencer differ;
  differ.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differ.Compare(r, back)) << diff;
}

TEST(ResultsJsonTest, ProtoFieldNamesDefaultsAndSummariesForScripts) {
  const v1::Results r = testing::MakeSampleResults();
  nlohmann::json j = nlohmann::json::parse(ResultsJson(r));
  EXPECT_EQ(j["schema_version"], 1);
  // Defaults are present: a finished worker still has lost_after_seconds and error.
  EXPECT_EQ(j["workers"][0]["lost_after_seconds"], 0);
  EXPECT_EQ(j["workers"][0]["error"], "");
  EXPECT_EQ(j["workers"][2]["lost"], true);
  ASSERT_EQ(j["summaries"].size(), static_cast<size_t>(r.labels_size()));
  for (int i = 0; i < r.labels_size(); ++i) {
    const nlohmann::json& s = j["summaries"][i];
    LabelRecorder rec = Decode(r.labels(i));
    EXPECT_EQ(s["label"], r.labels(i).label());
    EXPECT_EQ(s["count"], std::to_string(rec.count()));  // 64-bit integers are strings
    EXPECT_DOUBLE_EQ(s["p99_s"].get<double>(), rec.ValueAtQuantileUs(0.99) / 1e6);
    EXPECT_DOUBLE_EQ(s["p999_s"].get<double>(), rec.ValueAtQuantileUs(0.999) / 1e6);
  }
  EXPECT_EQ(j["phases"][1]["summaries"].size(), static_cast<size_t>(r.phases(1).labels_size()));
  EXPECT_EQ(j["verdict"]["pass"], false);
}

TEST(IntervalsCsvTest, OneRowPerIntervalAndLabelWithTheHistogramQuantiles) {
  const v1::Results r = testing::MakeSampleResults();
  const std::string path = TestTempDir() + "/intervals.csv";
  ASSERT_TRUE(WriteIntervalsCsv(r, path).ok());
  absl::StatusOr<std::string> text = ReadFile(path);
  ASSERT_TRUE(text.ok());
  std::vector<std::vector<std::string>> rows = ParseCsv(*text);
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0], (std::vector<std::string>{"interval", "start_s", "end_s", "phase", "label",
                                               "count", "failures", "mean_ms", "p50_ms", "p90_ms",
                                               "p99_ms", "max_ms", "users"}));
  size_t row = 1;
  std::set<std::string> labels_seen;
  for (const v1::IntervalResults& in : r.intervals()) {
    for (const v1::LabelStats& ls : in.labels()) {
      ASSERT_LT(row, rows.size());
      const std::vector<std::string>& f = rows[row++];
      ASSERT_EQ(f.size(), 13u);
      LabelRecorder rec = Decode(ls);
      EXPECT_EQ(std::stoll(f[0]), in.index());
      EXPECT_DOUBLE_EQ(std::stod(f[1]), in.start_seconds());
      EXPECT_DOUBLE_EQ(std::stod(f[2]), in.end_seconds());
      EXPECT_EQ(f[3], in.index() < 4 ? "warm" : "plateau");
      EXPECT_EQ(f[4], ls.label());
      EXPECT_EQ(std::stoull(f[5]), rec.count());
      EXPECT_EQ(std::stoull(f[6]), rec.failures());
      EXPECT_NEAR(std::stod(f[7]), rec.MeanUs() / 1000, 0.0005 + 1e-9);  // rounded to 3 places
      EXPECT_EQ(MsToUs(f[8]), rec.ValueAtQuantileUs(0.5))
          << ls.label() << " interval " << in.index();
      EXPECT_EQ(MsToUs(f[9]), rec.ValueAtQuantileUs(0.9));
      EXPECT_EQ(MsToUs(f[10]), rec.ValueAtQuantileUs(0.99));
      EXPECT_EQ(MsToUs(f[11]), rec.max_us());
      EXPECT_EQ(std::stoull(f[12]), in.users_alive());
      labels_seen.insert(f[4]);
    }
  }
  EXPECT_EQ(row, rows.size());
  EXPECT_EQ(labels_seen.count("lag{poll}"), 1u);  // scheduling lines are included
  EXPECT_EQ(labels_seen.size(), static_cast<size_t>(r.labels_size()));
}

TEST(IntervalsCsvTest, QuotesFieldsAndKeepsEmptyIntervals) {
  v1::Results r;
  v1::IntervalResults* in = r.add_intervals();
  in->set_index(0);
  in->set_end_seconds(5);
  in->set_users_alive(7);
  in->set_phase_index(0);
  r.mutable_spec()->add_phases()->set_name("ramp, \"fast\"");
  v1::IntervalResults* in2 = r.add_intervals();
  in2->set_index(1);
  in2->set_start_seconds(5);
  in2->set_end_seconds(10);
  in2->set_users_alive(9);
  in2->set_phase_index(-1);
  LabelRecorder rec("REPORT{a,\"b\"}\r\nx");
  rec.Record(1500, true);
  rec.Record(2500, false, "timeout");
  *in2->add_labels() = rec.ToProto();

  absl::StatusOr<std::string> csv = IntervalsCsv(r);
  ASSERT_TRUE(csv.ok());
  std::vector<std::vector<std::string>> rows = ParseCsv(*csv);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1],
            (std::vector<std::string>{"0", "0.000", "5.000", "ramp, \"fast\"", "", "0", "0",
                                      "0.000", "0.000", "0.000", "0.000", "0.000", "7"}));
  EXPECT_EQ(rows[2][3], "");
  EXPECT_EQ(rows[2][4], "REPORT{a,\"b\"}\r\nx");
  EXPECT_EQ(rows[2][5], "2");
  EXPECT_EQ(rows[2][6], "1");
  EXPECT_EQ(rows[2][7], "2.000");
}

TEST(IntervalsCsvTest, EachQuantileColumnIsItsOwnQuantile) {
  // 1000 distinct samples: p50, p90, p99 and max fall in different buckets, so a column
  // computed at the wrong quantile cannot pass.
  v1::Results r;
  v1::IntervalResults* in = r.add_intervals();
  in->set_end_seconds(10);
  LabelRecorder rec("GET{robot}");
  for (uint64_t i = 1; i <= 1000; ++i) rec.Record(i * 1000, i % 100 != 0, "HTTP 500");
  *in->add_labels() = rec.ToProto();
  absl::StatusOr<std::string> csv = IntervalsCsv(r);
  ASSERT_TRUE(csv.ok());
  std::vector<std::vector<std::string>> rows = ParseCsv(*csv);
  ASSERT_EQ(rows.size(), 2u);
  const std::vector<std::string>& f = rows[1];
  EXPECT_EQ(f[5], "1000");
  EXPECT_EQ(f[6], "10");
  EXPECT_EQ(f[7], "500.500");
  // The sample of rank floor(q n) is (floor(q n) + 1) ms; the histogram reports its bucket's
  // midpoint, within 1/128 of it.
  EXPECT_NEAR(std::stod(f[8]), 501, 501 / 128.0);
  EXPECT_NEAR(std::stod(f[9]), 901, 901 / 128.0);
  EXPECT_NEAR(std::stod(f[10]), 991, 991 / 128.0);
  EXPECT_EQ(f[11], "1000.000");
  EXPECT_EQ(MsToUs(f[8]), rec.ValueAtQuantileUs(0.5));
  EXPECT_EQ(MsToUs(f[9]), rec.ValueAtQuantileUs(0.9));
  EXPECT_EQ(MsToUs(f[10]), rec.ValueAtQuantileUs(0.99));
}

TEST(IntervalsCsvTest, MalformedHistogramNamesIntervalAndLabel) {
  v1::Results r = testing::MakeSampleResults();
  r.mutable_intervals(5)->mutable_labels(2)->mutable_histogram()->add_count(1);
  absl::StatusOr<std::string> csv = IntervalsCsv(r);
  ASSERT_FALSE(csv.ok());
  EXPECT_THAT(csv.status().message(), HasSubstr("interval 5"));
  EXPECT_THAT(csv.status().message(), HasSubstr(r.intervals(5).labels(2).label()));
}

// Every test case of a parsed JUnit document, by suite name.
std::map<std::string, std::vector<pugi::xml_node>> Cases(const pugi::xml_document& doc) {
  std::map<std::string, std::vector<pugi::xml_node>> out;
  for (pugi::xml_node suite : doc.child("testsuites").children("testsuite")) {
    for (pugi::xml_node tc : suite.children("testcase")) {
      out[suite.attribute("name").value()].push_back(tc);
    }
  }
  return out;
}

TEST(JunitTest, OneCasePerLabelAndPerRuleWithCorrectCounts) {
  const v1::Results r = testing::MakeSampleResults();
  const std::string path = TestTempDir() + "/junit.xml";
  ASSERT_TRUE(WriteJunit(r, path).ok());
  pugi::xml_document doc;
  pugi::xml_parse_result parsed = doc.load_file(path.c_str());
  ASSERT_TRUE(parsed) << parsed.description();

  std::set<std::string> failed_labels;
  int failed_rules = 0;
  for (const v1::VerdictRule& rule : r.verdict().rules()) {
    if (!rule.passed()) {
      ++failed_rules;
      if (!rule.label().empty()) failed_labels.insert(rule.label());
    }
  }
  ASSERT_FALSE(failed_labels.empty());

  auto cases = Cases(doc);
  const std::vector<pugi::xml_node>& labels = cases["loadsim.labels"];
  std::vector<std::string> names;
  int label_failures = 0;
  for (pugi::xml_node tc : labels) {
    names.push_back(tc.attribute("name").value());
    bool failed = tc.child("failure") != nullptr;
    EXPECT_EQ(failed, failed_labels.count(names.back()) == 1) << names.back();
    label_failures += failed;
    EXPECT_THAT(tc.child("system-out").text().get(), HasSubstr("p99 "));
  }
  // Request and operation labels; the scheduling line lag{poll} is not a test case.
  EXPECT_EQ(names, (std::vector<std::string>{"GET{event}", "PROPFIND{home}", "PUT{event}",
                                             "REPORT{sync}", "create", "poll"}));

  const std::vector<pugi::xml_node>& rules = cases["loadsim.verdict"];
  ASSERT_EQ(rules.size(), static_cast<size_t>(r.verdict().rules_size() + 1));
  std::set<std::string> rule_names;
  int rule_failures = 0;
  for (size_t i = 0; i < rules.size(); ++i) {
    rule_names.insert(rules[i].attribute("name").value());
    if (rules[i].child("failure")) ++rule_failures;
    if (i < static_cast<size_t>(r.verdict().rules_size()) && !r.verdict().rules(i).passed()) {
      EXPECT_STREQ(rules[i].child("failure").attribute("message").value(),
                   r.verdict().rules(i).message().c_str());
    }
  }
  EXPECT_EQ(rule_names.size(), rules.size()) << "test case names must be unique";
  EXPECT_EQ(rule_failures, failed_rules + 1);  // + the overall verdict case
  EXPECT_STREQ(rules.back().attribute("name").value(), "verdict");
  EXPECT_TRUE(rules.back().child("failure"));

  pugi::xml_node root = doc.child("testsuites");
  EXPECT_EQ(root.attribute("tests").as_int(), static_cast<int>(labels.size() + rules.size()));
  EXPECT_EQ(root.attribute("failures").as_int(), label_failures + rule_failures);
  for (pugi::xml_node suite : root.children("testsuite")) {
    const auto& c = cases[suite.attribute("name").value()];
    int f = 0;
    for (pugi::xml_node tc : c) f += tc.child("failure") ? 1 : 0;
    EXPECT_EQ(suite.attribute("tests").as_int(), static_cast<int>(c.size()));
    EXPECT_EQ(suite.attribute("failures").as_int(), f);
    EXPECT_STREQ(suite.attribute("timestamp").value(), "2023-11-14T22:13:20");
  }
}

TEST(JunitTest, PassingRunHasNoFailure) {
  v1::Results r = testing::MakeSampleResults();
  for (v1::VerdictRule& rule : *r.mutable_verdict()->mutable_rules()) rule.set_passed(true);
  r.mutable_verdict()->clear_failures();
  r.mutable_verdict()->set_pass(true);
  absl::StatusOr<std::string> xml = JunitXml(r);
  ASSERT_TRUE(xml.ok());
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(xml->c_str()));
  EXPECT_EQ(doc.child("testsuites").attribute("failures").as_int(), 0);
  EXPECT_GT(doc.child("testsuites").attribute("tests").as_int(), 6);
  EXPECT_EQ(xml->find("<failure"), std::string::npos);
}

TEST(JunitTest, EscapesLabelsAndMessages) {
  v1::Results r = testing::MakeSampleResults();
  const std::string label = "GET{<&>\"'}\x01";
  r.mutable_labels(0)->set_label(label);
  v1::VerdictRule* rule = r.mutable_verdict()->add_rules();
  rule->set_kind("rule");
  rule->set_label(label);
  rule->set_message("p99 < 500ms & \"more\" <failed>");
  absl::StatusOr<std::string> xml = JunitXml(r);
  ASSERT_TRUE(xml.ok());
  pugi::xml_document doc;
  pugi::xml_parse_result parsed = doc.load_string(xml->c_str());
  ASSERT_TRUE(parsed) << parsed.description();
  pugi::xml_node tc = Cases(doc)["loadsim.labels"][0];
  EXPECT_EQ(std::string(tc.attribute("name").value()), "GET{<&>\"'}\xEF\xBF\xBD");
  EXPECT_STREQ(tc.child("failure").attribute("message").value(), "p99 < 500ms & \"more\" <failed>");
}

TEST(OutputDirTest, WritesTheThreeFilesCreatingTheDirectory) {
  const v1::Results r = testing::MakeSampleResults();
  const std::string dir = TestTempDir() + "/out/nested";
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(WriteOutputDir(r, dir, "** REPORT **\n").ok());
  for (const char* name : {"results.json", "intervals.csv", "report.html"}) {
    absl::StatusOr<std::string> text = ReadFile(dir + "/" + name);
    ASSERT_TRUE(text.ok()) << name;
    EXPECT_GT(text->size(), 100u) << name;
  }
  // A second run into the same directory replaces the files.
  ASSERT_TRUE(WriteOutputDir(r, dir, "** REPORT **\n").ok());
}

TEST(OutputDirTest, UnwritablePathsAreErrorsNamingThePath) {
  const v1::Results r = testing::MakeSampleResults();
  const std::string file = testing_util::WriteTestFile(TestTempDir() + "/plain-file", "x");
  // A path below a regular file cannot be created, not even by root.
  const std::string below = file + "/out";
  absl::Status s = WriteOutputDir(r, below, "");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr(below));

  s = WriteResultsJson(r, below + "/results.json");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr(below + "/results.json"));
  s = WriteIntervalsCsv(r, below + "/intervals.csv");
  EXPECT_THAT(s.message(), HasSubstr(below + "/intervals.csv"));
  s = WriteJunit(r, below + "/junit.xml");
  EXPECT_THAT(s.message(), HasSubstr(below + "/junit.xml"));
  EXPECT_THAT(s.message(), HasSubstr("Not a directory"));

  // The directory itself exists as a file.
  s = WriteOutputDir(r, file, "");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr(file));
}

}  // namespace
}  // namespace loadsim
