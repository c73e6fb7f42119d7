#include "master/report.h"

#include <cctype>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/thresholds.h"

namespace loadsim {
namespace {

const v1::ReportStatisticsParams* ReportParams(const v1::RunSpec& spec) {
  for (const v1::ObserverSpec& o : spec.observers()) {
    if (o.has_report_statistics()) return &o.report_statistics();
  }
  return nullptr;
}

bool IsInternalLabel(const std::string& label) {
  return IsSchedulingLabel(label) || label.rfind("AUTH{", 0) == 0;
}

const v1::OperationLoggerParams* OperationParams(const v1::RunSpec& spec) {
  for (const v1::ObserverSpec& o : spec.observers()) {
    if (o.has_operation_logger()) return &o.operation_logger();
  }
  return nullptr;
}

// Operation labels (profile and client operations) as opposed to request labels.
bool IsOperation(const std::string& label) {
  static const char* kOperations[] = {"create", "invite",    "accept", "reply done",
                                      "cancelled", "poll", "push"};
  for (const char* op : kOperations) {
    if (label == op) return true;
  }
  return label.rfind("startup:", 0) == 0;
}

void JudgeLabel(const std::string& label, const LabelRecorder& s, double fail_cutoff,
                const v1::ThresholdTable& table, bool upper_case, Verdict* v) {
  std::string name = label;
  if (upper_case) {
    for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  double failed = 100.0 * s.failures() / s.count();
  if (failed > fail_cutoff) {
    v->failures.push_back(absl::StrFormat("Greater than %g%% %s failed", fail_cutoff, name));
  }
  const v1::ThresholdTable::Row& row = ThresholdRowFor(table, label);
  for (int i = 0; i < table.limits_seconds_size() && i < row.percent_size() &&
                  i < static_cast<int>(s.over_limit().size());
       ++i) {
    double over = 100.0 * s.over_limit()[i] / s.count();
    if (over > row.percent(i)) {
      v->failures.push_back(absl::StrFormat("Greater than %g%% %s exceeded %g second response time",
                                            row.percent(i), name, table.limits_seconds(i)));
    }
  }
}

}  // namespace

Verdict Judge(const v1::RunSpec& spec, const LabelMap& totals,
              const std::vector<WorkerStatus>& workers) {
  Verdict v;
  const v1::ReportStatisticsParams* rp = ReportParams(spec);
  const v1::OperationLoggerParams* op = OperationParams(spec);
  for (const auto& [label, s] : totals) {
    if (IsInternalLabel(label) || s.count() == 0) continue;
    if (IsOperation(label)) {
      // OperationLogger's rules (upper-case labels in its messages, as the original). Note:
      // operation recorders carry the requests table's limits; the operations table of the
      // shipped thresholds uses the same limits.
      if (op != nullptr) {
        JudgeLabel(label, s, op->fail_cutoff_percent(), op->thresholds(), true, &v);
      }
    } else if (rp != nullptr) {
      JudgeLabel(label, s, rp->fail_cutoff_percent(), rp->thresholds().requests(), false, &v);
    }
  }
  for (const WorkerStatus& w : workers) {
    if (w.lost) {
      v.failures.push_back(absl::StrFormat(
          "Worker %d (%s pid %d, %d users) lost after %.1f s: %s", w.index, w.host, w.pid,
          w.users, w.lost_after_s, w.error));
    }
  }
  return v;
}

std::string FormatReport(const v1::RunSpec& spec, const LabelMap& totals,
                         const std::vector<WorkerStatus>& workers, double runtime_s,
                         const Verdict& verdict,
                         const absl::StatusOr<ServerStats>* server_stats) {
  std::string out;
  const v1::ReportStatisticsParams* rp = ReportParams(spec);
  std::vector<double> limits;
  if (rp != nullptr) {
    limits.assign(rp->thresholds().requests().limits_seconds().begin(),
                  rp->thresholds().requests().limits_seconds().end());
  }
  absl::StrAppend(&out, "** REPORT **\n");
  for (bool operations : {false, true}) {
    absl::StrAppend(&out, operations ? "\n* Operations\n" : "\n* Requests\n");
    absl::StrAppendFormat(&out, "%-24s %9s %7s %9s %9s %9s %9s %9s %9s", "label", "count",
                          "failed", "rate/s", "mean s", "median s", "p90 s", "p99 s", "max s");
    for (double l : limits) absl::StrAppendFormat(&out, " %7s", absl::StrFormat(">%gs", l));
    out += "\n";
    for (const auto& [label, s] : totals) {
      if (IsOperation(label) != operations) continue;
      absl::StrAppendFormat(&out, "%-24s %9d %7d %9.1f %9.4f %9.4f %9.4f %9.4f %9.4f", label,
                            s.count(), s.failures(), s.count() / std::max(runtime_s, 1e-9),
                            s.MeanUs() / 1e6, s.ValueAtQuantileUs(0.5) / 1e6,
                            s.ValueAtQuantileUs(0.9) / 1e6, s.ValueAtQuantileUs(0.99) / 1e6,
                            s.max_us() / 1e6);
      for (size_t i = 0; i < limits.size(); ++i) {
        double over = i < s.over_limit().size() && s.count() > 0
                          ? 100.0 * s.over_limit()[i] / s.count()
                          : 0;
        absl::StrAppendFormat(&out, " %6.2f%%", over);
      }
      out += "\n";
      for (const auto& [reason, n] : s.failure_reasons()) {
        absl::StrAppendFormat(&out, "    failed: %-20s %d\n", reason, n);
      }
    }
  }
  if (server_stats != nullptr) {
    absl::StrAppend(&out, "\n* Server (Last 5 minutes)\n");
    if (server_stats->ok()) {
      const ServerStats& st = **server_stats;
      absl::StrAppendFormat(&out, "%-10s %-14s %-8s %-8s\n", "Req/sec", "Response (ms)", "Slots",
                            "CPU");
      absl::StrAppendFormat(&out, "%-10.1f %-14.1f %-8.2f %-7.1f%%\n", st.req_per_s,
                            st.response_ms, st.slots, st.cpu_percent);
      if (runtime_s < 360) {
        absl::StrAppend(&out,
                        "(the server's window is five complete minutes; this run was shorter, "
                        "so the rate includes time outside it)\n");
      }
    } else {
      absl::StrAppend(&out, "unavailable: ", server_stats->status().message(), "\n");
    }
  }
  absl::StrAppend(&out, "\n* Workers\n");
  for (const WorkerStatus& w : workers) {
    absl::StrAppendFormat(&out, "worker %d  %s pid %d  users %d  requests %d  cpu %.2f s  rss %.1f MB  %s\n",
                          w.index, w.host, w.pid, w.users, w.requests, w.cpu_seconds,
                          w.rss_bytes / 1048576.0,
                          w.lost ? absl::StrCat("LOST: ", w.error)
                                 : (w.finished ? "finished" : "incomplete"));
  }
  out += verdict.pass() ? "\n*** PASS\n" : "\n*** FAIL\n";
  for (const std::string& f : verdict.failures) absl::StrAppend(&out, f, "\n");
  return out;
}

}  // namespace loadsim
