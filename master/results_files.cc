#include "master/results_files.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/histogram.h"
#include "google/protobuf/util/json_util.h"
#include "master/html_report.h"
#include "pugixml.hpp"
#include "worker/recorder.h"

namespace loadsim {
namespace {

constexpr char kCsvHeader[] =
    "interval,start_s,end_s,phase,label,count,failures,mean_ms,p50_ms,p90_ms,p99_ms,max_ms,users";

// One CSV field: quoted (with doubled quotes) when it holds a comma, quote or line break.
std::string CsvField(absl::string_view s) {
  if (s.find_first_of(",\"\r\n") == absl::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string Ms(double us) { return absl::StrFormat("%.3f", us / 1000.0); }

// The name of phase `index`: from the run's phase results, else from the spec's schedule.
std::string PhaseName(const v1::Results& results, int index) {
  for (const v1::PhaseResults& p : results.phases()) {
    if (p.index() == index) return p.name();
  }
  if (index >= 0 && index < results.spec().phases_size()) {
    return results.spec().phases(index).name();
  }
  return "";
}

std::string UtcTimestamp(int64_t unix_ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%S", absl::FromUnixMillis(unix_ms), absl::UTCTimeZone());
}

std::string RuleCaseName(const v1::VerdictRule& rule) {
  std::string name = rule.kind();
  if (!rule.label().empty()) absl::StrAppend(&name, " ", rule.label());
  if (rule.limit() != 0) absl::StrAppend(&name, " limit ", absl::StrFormat("%g", rule.limit()));
  return name;
}

std::string SummaryLine(const v1::LabelSummary& s) {
  return absl::StrFormat(
      "count %u, failures %u, rate %.3f/s, mean %.4f s, p50 %.4f s, p90 %.4f s, p99 %.4f s, "
      "p99.9 %.4f s, max %.4f s",
      s.count(), s.failures(), s.rate_per_s(), s.mean_s(), s.p50_s(), s.p90_s(), s.p99_s(),
      s.p999_s(), s.max_s());
}

void AddFailure(pugi::xml_node testcase, absl::string_view type, absl::string_view message,
                absl::string_view text) {
  pugi::xml_node failure = testcase.append_child("failure");
  failure.append_attribute("message") = XmlSafeText(message).c_str();
  failure.append_attribute("type") = std::string(type).c_str();
  failure.text() = XmlSafeText(text).c_str();
}

void SetCounts(pugi::xml_node suite, int tests, int failures, double seconds) {
  suite.attribute("tests") = tests;
  suite.attribute("failures") = failures;
  suite.attribute("time") = absl::StrFormat("%.3f", seconds).c_str();
}

pugi::xml_node AddSuite(pugi::xml_node parent, const char* name, const v1::Results& results) {
  pugi::xml_node suite = parent.append_child("testsuite");
  suite.append_attribute("name") = name;
  suite.append_attribute("tests") = 0;
  suite.append_attribute("failures") = 0;
  suite.append_attribute("errors") = 0;
  suite.append_attribute("skipped") = 0;
  suite.append_attribute("time") = "0";
  suite.append_attribute("timestamp") = UtcTimestamp(results.run().start_unix_ms()).c_str();
  return suite;
}

}  // namespace

absl::StatusOr<v1::LabelSummary> SummarizeLabel(const v1::LabelStats& stats, double seconds) {
  absl::StatusOr<LabelRecorder> r = LabelRecorder::FromProto(stats);
  if (!r.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("statistics of label '", stats.label(), "': ", r.status().message()));
  }
  v1::LabelSummary s;
  s.set_label(stats.label());
  s.set_count(r->count());
  s.set_failures(r->failures());
  s.set_mean_s(r->MeanUs() / 1e6);
  s.set_stddev_s(r->StddevUs() / 1e6);
  s.set_min_s(r->min_us() / 1e6);
  s.set_p50_s(r->ValueAtQuantileUs(0.5) / 1e6);
  s.set_p90_s(r->ValueAtQuantileUs(0.9) / 1e6);
  s.set_p99_s(r->ValueAtQuantileUs(0.99) / 1e6);
  s.set_p999_s(r->ValueAtQuantileUs(0.999) / 1e6);
  s.set_max_s(r->max_us() / 1e6);
  s.set_rate_per_s(seconds > 0 ? r->count() / seconds : 0.0);
  return s;
}

absl::Status FillSummaries(v1::Results* results) {
  results->clear_summaries();
  for (const v1::LabelStats& ls : results->labels()) {
    absl::StatusOr<v1::LabelSummary> s = SummarizeLabel(ls, results->run().ran_seconds());
    if (!s.ok()) return s.status();
    *results->add_summaries() = *std::move(s);
  }
  for (v1::PhaseResults& phase : *results->mutable_phases()) {
    phase.clear_summaries();
    for (const v1::LabelStats& ls : phase.labels()) {
      absl::StatusOr<v1::LabelSummary> s =
          SummarizeLabel(ls, phase.end_seconds() - phase.start_seconds());
      if (!s.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("phase '", phase.name(), "': ", s.status().message()));
      }
      *phase.add_summaries() = *std::move(s);
    }
  }
  return absl::OkStatus();
}

std::string ResultsJson(const v1::Results& results) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string json;
  // Cannot fail for a message of the generated type (no Any fields to resolve).
  if (!google::protobuf::util::MessageToJsonString(results, &json, options).ok()) return "{}";
  return json;
}

absl::Status WriteResultsJson(const v1::Results& results, const std::string& path) {
  return WriteTextFile(path, ResultsJson(results));
}

absl::StatusOr<std::string> IntervalsCsv(const v1::Results& results) {
  std::string out = absl::StrCat(kCsvHeader, "\r\n");
  for (const v1::IntervalResults& in : results.intervals()) {
    std::string prefix = absl::StrCat(in.index(), ",", absl::StrFormat("%.3f", in.start_seconds()),
                                      ",", absl::StrFormat("%.3f", in.end_seconds()), ",",
                                      CsvField(PhaseName(results, in.phase_index())), ",");
    if (in.labels_size() == 0) {
      absl::StrAppend(&out, prefix, ",0,0,0.000,0.000,0.000,0.000,0.000,", in.users_alive(),
                      "\r\n");
      continue;
    }
    for (const v1::LabelStats& ls : in.labels()) {
      absl::StatusOr<LabelRecorder> r = LabelRecorder::FromProto(ls);
      if (!r.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("interval ", in.index(), ", label '",
                                                       ls.label(), "': ", r.status().message()));
      }
      absl::StrAppend(&out, prefix, CsvField(ls.label()), ",", r->count(), ",", r->failures(), ",",
                      Ms(r->MeanUs()), ",", Ms(r->ValueAtQuantileUs(0.5)), ",",
                      Ms(r->ValueAtQuantileUs(0.9)), ",", Ms(r->ValueAtQuantileUs(0.99)), ",",
                      Ms(r->max_us()), ",", in.users_alive(), "\r\n");
    }
  }
  return out;
}

absl::Status WriteIntervalsCsv(const v1::Results& results, const std::string& path) {
  absl::StatusOr<std::string> csv = IntervalsCsv(results);
  if (!csv.ok()) return csv.status();
  return WriteTextFile(path, *csv);
}

absl::StatusOr<std::string> JunitXml(const v1::Results& results) {
  // Failed rules per label, in report order.
  std::map<std::string, std::vector<const v1::VerdictRule*>> failed_by_label;
  for (const v1::VerdictRule& rule : results.verdict().rules()) {
    if (!rule.passed() && !rule.label().empty()) failed_by_label[rule.label()].push_back(&rule);
  }

  pugi::xml_document doc;
  pugi::xml_node decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  pugi::xml_node root = doc.append_child("testsuites");
  root.append_attribute("name") = "loadsim";
  root.append_attribute("tests") = 0;
  root.append_attribute("failures") = 0;
  root.append_attribute("errors") = 0;
  root.append_attribute("time") = "0";
  const double seconds = results.run().ran_seconds();

  pugi::xml_node labels = AddSuite(root, "loadsim.labels", results);
  int label_tests = 0, label_failures = 0;
  for (const v1::LabelStats& ls : results.labels()) {
    auto failed = failed_by_label.find(ls.label());
    if (IsSchedulingLabel(ls.label()) && failed == failed_by_label.end()) continue;
    absl::StatusOr<v1::LabelSummary> summary = SummarizeLabel(ls, seconds);
    if (!summary.ok()) return summary.status();
    pugi::xml_node tc = labels.append_child("testcase");
    tc.append_attribute("name") = XmlSafeText(ls.label()).c_str();
    tc.append_attribute("classname") = "loadsim.labels";
    tc.append_attribute("time") = "0";
    ++label_tests;
    if (failed != failed_by_label.end()) {
      ++label_failures;
      std::vector<std::string> messages;
      for (const v1::VerdictRule* rule : failed->second) messages.push_back(rule->message());
      AddFailure(tc, "verdict", messages.front(), absl::StrJoin(messages, "\n"));
    }
    tc.append_child("system-out").text() = SummaryLine(*summary).c_str();
  }
  SetCounts(labels, label_tests, label_failures, seconds);

  pugi::xml_node verdict = AddSuite(root, "loadsim.verdict", results);
  int rule_tests = 0, rule_failures = 0;
  std::map<std::string, int> name_uses;  // names repeat (one rule per threshold limit): number them
  for (const v1::VerdictRule& rule : results.verdict().rules()) {
    std::string name = RuleCaseName(rule);
    if (int n = ++name_uses[name]; n > 1) absl::StrAppend(&name, " #", n);
    pugi::xml_node tc = verdict.append_child("testcase");
    tc.append_attribute("name") = XmlSafeText(name).c_str();
    tc.append_attribute("classname") = absl::StrCat("loadsim.verdict.", rule.kind()).c_str();
    tc.append_attribute("time") = "0";
    ++rule_tests;
    std::string detail = absl::StrFormat("observed %g, limit %g", rule.observed(), rule.limit());
    if (!rule.passed()) {
      ++rule_failures;
      AddFailure(tc, rule.kind(), rule.message().empty() ? detail : rule.message(), detail);
    } else {
      tc.append_child("system-out").text() =
          XmlSafeText(rule.message().empty() ? detail : rule.message()).c_str();
    }
  }
  pugi::xml_node overall = verdict.append_child("testcase");
  overall.append_attribute("name") = "verdict";
  overall.append_attribute("classname") = "loadsim.verdict";
  overall.append_attribute("time") = absl::StrFormat("%.3f", seconds).c_str();
  ++rule_tests;
  if (!results.verdict().pass()) {
    ++rule_failures;
    const auto& f = results.verdict().failures();
    AddFailure(overall, "verdict", f.empty() ? std::string("FAIL") : f[0],
               absl::StrJoin(f.begin(), f.end(), "\n"));
  }
  SetCounts(verdict, rule_tests, rule_failures, seconds);
  SetCounts(root, label_tests + rule_tests, label_failures + rule_failures, seconds);

  std::ostringstream out;
  doc.save(out, "  ", pugi::format_indent, pugi::encoding_utf8);
  return out.str();
}

absl::Status WriteJunit(const v1::Results& results, const std::string& path) {
  absl::StatusOr<std::string> xml = JunitXml(results);
  if (!xml.ok()) return xml.status();
  return WriteTextFile(path, *xml);
}

absl::Status WriteOutputDir(const v1::Results& results, const std::string& dir,
                            absl::string_view report_text) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create output directory ", dir, ": ", ec.message()));
  }
  if (!std::filesystem::is_directory(dir, ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat("output directory ", dir, " exists and is not a directory"));
  }
  const std::filesystem::path base(dir);
  absl::Status s = WriteResultsJson(results, (base / "results.json").string());
  if (!s.ok()) return s;
  s = WriteIntervalsCsv(results, (base / "intervals.csv").string());
  if (!s.ok()) return s;
  return WriteTextFile((base / "report.html").string(), RenderHtmlReport(results, report_text));
}

absl::Status WriteTextFile(const std::string& path, absl::string_view content) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  size_t written = std::fwrite(content.data(), 1, content.size(), f);
  int write_errno = errno;
  if (std::fclose(f) != 0 || written != content.size()) {
    return absl::InternalError(
        absl::StrCat("cannot write ", path, ": ",
                     std::strerror(written != content.size() ? write_errno : errno)));
  }
  return absl::OkStatus();
}

}  // namespace loadsim
