#include "master/report.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/thresholds.h"
#include "master/verdict.h"

namespace loadsim {
namespace {

// Python's str.title(): a letter after a non-letter is upper-cased, others lower-cased.
std::string Title(const std::string& s) {
  std::string out = s;
  bool prev_letter = false;
  for (char& c : out) {
    bool letter = std::isalpha(static_cast<unsigned char>(c)) != 0;
    if (letter) {
      c = static_cast<char>(prev_letter ? std::tolower(static_cast<unsigned char>(c))
                                        : std::toupper(static_cast<unsigned char>(c)));
    }
    prev_letter = letter;
  }
  return out;
}

std::string Hms(double seconds) {
  int64_t s = static_cast<int64_t>(seconds);
  s %= 86400;  // days are ignored, as the original
  return absl::StrFormat("%02d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
}

// A header cell: right-aligned to `width`, left-aligned for a negative width.
std::string Cell(const std::string& text, int width) {
  return width < 0 ? absl::StrFormat("%-*s", -width, text) : absl::StrFormat("%*s", width, text);
}

bool RowFails(const LabelRecorder& s, double fail_cutoff, const v1::ThresholdTable& table) {
  if (100.0 * static_cast<double>(s.failures()) / static_cast<double>(s.count()) > fail_cutoff) {
    return true;
  }
  const v1::ThresholdTable::Row& row = ThresholdRowFor(table, s.label());
  for (int i = 0; i < row.percent_size() && i < static_cast<int>(s.over_limit().size()); ++i) {
    if (100.0 * static_cast<double>(s.over_limit()[i]) / static_cast<double>(s.count()) >
        row.percent(i)) {
      return true;
    }
  }
  return false;
}

// Samples over each limit of `table`: exact when the label was recorded with these limits.
std::vector<uint64_t> OverLimits(const LabelRecorder& s, const v1::ThresholdTable& table) {
  std::vector<uint64_t> out;
  for (int i = 0; i < table.limits_seconds_size(); ++i) {
    uint64_t limit_us = static_cast<uint64_t>(table.limits_seconds(i) * 1e6 + 0.5);
    auto it = std::find(s.limits_us().begin(), s.limits_us().end(), limit_us);
    out.push_back(it == s.limits_us().end()
                      ? 0
                      : s.over_limit()[static_cast<size_t>(it - s.limits_us().begin())]);
  }
  return out;
}

// ReportStatistics' request table or OperationLogger's operations table.
std::string DetailsTable(const LabelMap& labels, bool operations, const v1::RunSpec& spec) {
  const v1::ReportStatisticsParams* rp = ReportParams(spec);
  const v1::OperationLoggerParams* op = OperationParams(spec);
  v1::ThresholdTable table = operations
                                 ? (op ? op->thresholds() : BuiltinOperationThresholds())
                                 : (rp ? rp->thresholds().requests() : BuiltinRequestThresholds());
  double cutoff =
      operations ? (op ? op->fail_cutoff_percent() : 1.0) : (rp ? rp->fail_cutoff_percent() : 1.0);
  std::map<std::string, const v1::Benchmark*> bench;
  if (rp != nullptr) {
    for (const v1::Benchmark& b : rp->benchmarks().benchmarks()) bench[b.label()] = &b;
  }
  std::vector<std::string> header = {Cell(operations ? "operation" : "request", -25),
                                     Cell("count", 8), Cell("failed", 8)};
  for (double l : table.limits_seconds()) header.push_back(Cell(absl::StrFormat(">%g sec", l), 10));
  for (const char* h : {"mean", "median", "stddev"}) header.push_back(Cell(h, 8));
  header.push_back(operations ? Cell("avglag (ms)", 12) : Cell("QoS", 8));
  header.push_back(Cell("STATUS", 8));
  std::string head = absl::StrJoin(header, " ");
  std::string out = absl::StrCat(head, "\n", std::string(head.size(), '-'), "\n");
  for (const auto& [label, s] : labels) {
    if (IsInternalLabel(label) || IsOperationLabel(label) != operations || s.count() == 0) {
      continue;
    }
    std::vector<std::string> row = {absl::StrFormat("%-25s", label),
                                    absl::StrFormat("%8d", s.count()),
                                    absl::StrFormat("%8d", s.failures())};
    for (uint64_t over : OverLimits(s, table)) row.push_back(absl::StrFormat("%10d", over));
    double mean_s = s.MeanUs() / 1e6;
    row.push_back(absl::StrFormat("%8.4f", mean_s));
    row.push_back(absl::StrFormat("%8.4f", static_cast<double>(s.ValueAtQuantileUs(0.5)) / 1e6));
    row.push_back(absl::StrFormat("%8.4f", s.StddevUs() / 1e6));
    if (operations) {
      auto lag = labels.find("lag{" + label + "}");
      double avglag_ms =
          lag != labels.end() && lag->second.count() > 0 ? lag->second.MeanUs() / 1000.0 : 0.0;
      row.push_back(absl::StrFormat("%12.4f", avglag_ms));
    } else {
      auto b = bench.find(label);
      double qos = b == bench.end()
                       ? 0.0
                       : ((mean_s / b->second->mean_seconds()) - 1) * b->second->weight() + 1;
      row.push_back(absl::StrFormat("%8.4f", qos));
    }
    row.push_back(absl::StrFormat("%8s", RowFails(s, cutoff, table) ? "FAIL" : ""));
    absl::StrAppend(&out, absl::StrJoin(row, " "), "\n");
  }
  return out;
}

std::string Ms(uint64_t us) { return absl::StrFormat("%.2f", static_cast<double>(us) / 1000.0); }

std::string PercentileTable(const LabelMap& labels, double seconds) {
  std::string out =
      absl::StrFormat("%-25s %9s %7s %9s %9s %9s %9s %9s %9s %9s\n", "label", "count", "failed",
                      "rate/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "mean ms");
  for (const auto& [label, s] : labels) {
    if (s.count() == 0 || IsSchedulingLabel(label)) continue;
    absl::StrAppendFormat(
        &out, "%-25s %9d %7d %9.2f %9s %9s %9s %9s %9s %9.2f\n", label, s.count(), s.failures(),
        seconds > 0 ? static_cast<double>(s.count()) / seconds : 0.0, Ms(s.ValueAtQuantileUs(0.5)),
        Ms(s.ValueAtQuantileUs(0.9)), Ms(s.ValueAtQuantileUs(0.99)), Ms(s.ValueAtQuantileUs(0.999)),
        Ms(s.max_us()), s.MeanUs() / 1000.0);
  }
  return out;
}

std::string SchedulingTable(const LabelMap& labels) {
  std::string out;
  for (const auto& [label, s] : labels) {
    if (!IsSchedulingLabel(label) || s.count() == 0) continue;
    if (out.empty()) {
      out = absl::StrFormat("%-25s %9s %9s %9s %9s\n", "generator line", "count", "p50 ms",
                            "p99 ms", "max ms");
    }
    absl::StrAppendFormat(&out, "%-25s %9d %9s %9s %9s\n", label, s.count(),
                          Ms(s.ValueAtQuantileUs(0.5)), Ms(s.ValueAtQuantileUs(0.99)),
                          Ms(s.max_us()));
  }
  return out;
}

}  // namespace

std::string FormatKeyValues(std::vector<std::pair<std::string, std::string>> items) {
  std::stable_sort(items.begin(), items.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  size_t width = 0;
  for (const auto& [k, v] : items) width = std::max(width, k.size());
  std::string out;
  for (const auto& [k, v] : items) {
    absl::StrAppendFormat(&out, "%*s : %s\n", static_cast<int>(width), Title(k), v);
  }
  return out;
}

std::string FormatReport(const v1::Results& r) {
  const v1::RunSpec& spec = r.spec();
  const v1::RunSummary& run = r.run();
  LabelMap labels = LabelsOf(r.labels());
  std::string out = "\n** REPORT **\n\n* Client\n";
  double cpu = run.cpu_user_seconds() + run.cpu_system_seconds();
  std::vector<std::pair<std::string, std::string>> client = {
      {"CPU Time", absl::StrFormat("user %-5.2f sys %-5.2f total %s", run.cpu_user_seconds(),
                                   run.cpu_system_seconds(), Hms(cpu))},
      {"Clients", absl::StrCat(run.clients())},
      {"QoS", run.has_qos() ? absl::StrFormat("%-8.4f", run.qos()) : "None"},
      {"Run time", Hms(run.ran_seconds())},
      {"Start time", run.start_time_local()},
      {"Users", absl::StrCat(run.users())},
  };
  if (run.client_failures_size() > 0) {
    client.push_back({"Failed clients", absl::StrCat(run.client_failures_size())});
    std::vector<std::string> reasons(run.client_failures().begin(), run.client_failures().end());
    std::sort(reasons.begin(), reasons.end());
    for (size_t i = 0; i < reasons.size(); ++i) {
      client.push_back({absl::StrCat("Failure #", i + 1), reasons[i]});
    }
  }
  // The original kept only the last reason (each overwrote the previous); every one is kept.
  std::map<std::string, uint64_t> op_failures(run.operation_failures().begin(),
                                              run.operation_failures().end());
  for (const auto& [reason, n] : op_failures) {
    client.push_back({"Failed operation", absl::StrCat(reason, " : ", n, " times")});
  }
  out += FormatKeyValues(client);
  if (r.server_stats().enabled()) {
    out += "\n* Server (Last 5 minutes)\n";
    const v1::ServerStatsResults& ss = r.server_stats();
    if (ss.available()) {
      out += FormatKeyValues({{"CPU", absl::StrFormat("%.1f%%", ss.cpu_percent())},
                              {"Req/sec", absl::StrFormat("%.1f", ss.req_per_second())},
                              {"Response", absl::StrFormat("%.1f (ms)", ss.response_ms())},
                              {"Slots", absl::StrFormat("%.2f", ss.slots())}});
    } else {
      out += FormatKeyValues({{"Unavailable", ss.error()}});
    }
  }
  out += "\n* Details\n";
  out += DetailsTable(labels, false, spec);
  out += "\n";
  out += DetailsTable(labels, true, spec);

  // Beyond the original.
  out += "\n* Percentiles (all samples; rate over the run time)\n";
  out += PercentileTable(labels, run.ran_seconds());
  std::string sched = SchedulingTable(labels);
  if (!sched.empty()) out += "\n* Generator (scheduling lag and connection waits)\n" + sched;
  if (r.phases_size() > 1 || (r.phases_size() == 1 && r.phases(0).name() != "run")) {
    for (const v1::PhaseResults& p : r.phases()) {
      LabelMap pl = LabelsOf(p.labels());
      double secs = p.end_seconds() - p.start_seconds();
      out += absl::StrFormat(
          "\n* Phase %s (%.1f s to %.1f s, ended by %s; load %g%%->%g%%, populus "
          "%g%%->%g%%)\n",
          p.name(), p.start_seconds(), p.end_seconds(), p.ended_by(),
          p.spec().load_factor_beg() * 100, p.spec().load_factor_end() * 100,
          p.spec().populus_factor_beg() * 100, p.spec().populus_factor_end() * 100);
      out += DetailsTable(pl, false, spec);
      out += "\n";
      out += PercentileTable(pl, secs);
    }
  }
  out += "\n* Workers\n";
  out += absl::StrFormat("%6s %-20s %8s %8s %10s %8s %9s %9s %10s %9s  %s\n", "worker", "host",
                         "pid", "users", "requests", "failed", "cpu s", "req/cpu-s", "lag p99 ms",
                         "rss MB", "state");
  for (const v1::WorkerResults& w : r.workers()) {
    double wcpu = w.cpu_user_seconds() + w.cpu_system_seconds();
    absl::StrAppendFormat(
        &out, "%6d %-20s %8d %8d %10d %8d %9.2f %9.0f %10.2f %9.1f  %s\n", w.index(), w.host(),
        w.pid(), w.users(), w.requests(), w.failures(), wcpu,
        wcpu > 0 ? static_cast<double>(w.requests()) / wcpu : 0.0, w.lag_p99_ms(),
        static_cast<double>(w.rss_bytes()) / 1048576.0,
        w.lost() ? absl::StrFormat("LOST after %.1f s: %s", w.lost_after_seconds(), w.error())
                 : (w.finished() ? "finished" : "incomplete"));
  }
  if (r.failure_samples_size() > 0) {
    out += "\n* Failure samples (the first few of each worker thread)\n";
    for (const v1::FailureSample& f : r.failure_samples()) {
      absl::StrAppendFormat(&out, "worker %d %.1fs %s %s %s %s -> %d %s%s\n", f.worker_index(),
                            f.at_seconds(), f.user(), f.label(), f.method(), f.url(), f.status(),
                            f.reason(),
                            f.body_excerpt().empty() ? "" : absl::StrCat(" | ", f.body_excerpt()));
    }
  }
  absl::StrAppendFormat(&out, "\nEnded: %s\n", run.end_reason());
  out += r.verdict().pass() ? "\n*** PASS\n" : "\n*** FAIL\n";
  for (const std::string& f : r.verdict().failures()) absl::StrAppend(&out, f, "\n");
  return out;
}

}  // namespace loadsim
