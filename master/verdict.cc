#include "master/verdict.h"

#include <cctype>

#include "absl/strings/str_format.h"
#include "common/rules.h"
#include "common/thresholds.h"

namespace loadsim {
namespace {

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

void Add(v1::VerdictResults* v, const std::string& kind, const std::string& label, bool passed,
         const std::string& message, double observed, double limit) {
  v1::VerdictRule* r = v->add_rules();
  r->set_kind(kind);
  r->set_label(label);
  r->set_passed(passed);
  r->set_message(message);
  r->set_observed(observed);
  r->set_limit(limit);
  if (!passed) v->add_failures(message);
}

void JudgeRequestLabel(const std::string& label, const LabelRecorder& s,
                       const v1::ReportStatisticsParams& rp, v1::VerdictResults* v) {
  double cutoff = rp.fail_cutoff_percent();
  double failed = 100.0 * static_cast<double>(s.failures()) / static_cast<double>(s.count());
  Add(v, "failed", label, !(failed > cutoff),
      absl::StrFormat("Greater than %g%% %s failed", cutoff, label), failed, cutoff);
  const v1::ThresholdTable& table = rp.thresholds().requests();
  const v1::ThresholdTable::Row& row = ThresholdRowFor(table, label);
  for (int i = 0; i < table.limits_seconds_size() && i < row.percent_size() &&
                  i < static_cast<int>(s.over_limit().size());
       ++i) {
    double over = 100.0 * static_cast<double>(s.over_limit()[i]) / static_cast<double>(s.count());
    Add(v, "threshold", label, !(over > row.percent(i)),
        absl::StrFormat("Greater than %g%% %s exceeded %g second response time", row.percent(i),
                        label, table.limits_seconds(i)),
        over, row.percent(i));
  }
}

}  // namespace

const v1::ReportStatisticsParams* ReportParams(const v1::RunSpec& spec) {
  for (const v1::ObserverSpec& o : spec.observers()) {
    if (o.has_report_statistics()) return &o.report_statistics();
  }
  return nullptr;
}

const v1::OperationLoggerParams* OperationParams(const v1::RunSpec& spec) {
  for (const v1::ObserverSpec& o : spec.observers()) {
    if (o.has_operation_logger()) return &o.operation_logger();
  }
  return nullptr;
}

bool IsOperationLabel(absl::string_view label) {
  static const char* kOperations[] = {"create",    "invite", "accept", "reply done",
                                      "cancelled", "poll",   "push"};
  for (const char* op : kOperations) {
    if (label == op) return true;
  }
  return label.rfind("startup:", 0) == 0;
}

bool IsInternalLabel(absl::string_view label) {
  return IsSchedulingLabel(label) || label.rfind("AUTH{", 0) == 0;
}

LabelMap LabelsOf(const google::protobuf::RepeatedPtrField<v1::LabelStats>& labels) {
  LabelMap out;
  for (const v1::LabelStats& ls : labels) {
    absl::StatusOr<LabelRecorder> r = LabelRecorder::FromProto(ls);
    if (r.ok()) out.emplace(ls.label(), *std::move(r));
  }
  return out;
}

v1::VerdictResults Judge(const v1::Results& results) {
  v1::VerdictResults v;
  const v1::RunSpec& spec = results.spec();
  LabelMap labels = LabelsOf(results.labels());
  if (const v1::ReportStatisticsParams* rp = ReportParams(spec)) {
    for (const auto& [label, s] : labels) {
      if (IsInternalLabel(label) || IsOperationLabel(label) || s.count() == 0) continue;
      JudgeRequestLabel(label, s, *rp, &v);
    }
    const int clients = results.run().client_failures_size();
    Add(&v, "client-failures", "", clients == 0, absl::StrFormat("Client failures: %d", clients),
        clients, 0);
    const int reasons = static_cast<int>(results.run().operation_failures_size());
    Add(&v, "operation-failures", "", reasons == 0,
        absl::StrFormat("Overall failures: %d", reasons), reasons, 0);
  }
  if (const v1::OperationLoggerParams* op = OperationParams(spec)) {
    for (const auto& [label, s] : labels) {
      if (!IsOperationLabel(label) || s.count() == 0) continue;
      auto lag = labels.find("lag{" + label + "}");
      if (lag != labels.end() && lag->second.count() > 0) {
        double median_s = static_cast<double>(lag->second.ValueAtQuantileUs(0.5)) / 1e6;
        Add(&v, "lag", label, !(median_s > op->lag_cutoff_seconds()),
            absl::StrFormat("Median %s scheduling lag greater than %.1fms", Upper(label),
                            op->lag_cutoff_seconds() * 1000),
            median_s, op->lag_cutoff_seconds());
      }
      double failed = 100.0 * static_cast<double>(s.failures()) / static_cast<double>(s.count());
      Add(&v, "failed", label, !(failed > op->fail_cutoff_percent()),
          absl::StrFormat("Greater than %.0f%% %s failed", op->fail_cutoff_percent(), Upper(label)),
          failed, op->fail_cutoff_percent());
    }
  }
  if (const v1::ReportStatisticsParams* rp = ReportParams(spec);
      rp != nullptr && rp->thresholds().rules_size() > 0) {
    for (const RuleOutcome& o :
         EvaluateRules(rp->thresholds().rules(), labels, results.run().ran_seconds(),
                       [](absl::string_view label) { return !IsInternalLabel(label); })) {
      *v.add_rules() = ToVerdictRule(o);
      if (!o.passed) v.add_failures(o.message);
    }
  }
  // A run in which no request completed measured nothing: it cannot pass.
  uint64_t requests = 0;
  for (const auto& [label, s] : labels) {
    if (!IsInternalLabel(label) && !IsOperationLabel(label)) requests += s.count();
  }
  Add(&v, "no-requests", "", requests > 0, "No request completed during the run",
      static_cast<double>(requests), 1);
  for (const v1::WorkerResults& w : results.workers()) {
    if (!w.lost()) continue;
    Add(&v, "worker-lost", "", false,
        absl::StrFormat("Worker %d (%s pid %d, %d users) lost after %.1f s: %s", w.index(),
                        w.host(), w.pid(), w.users(), w.lost_after_seconds(), w.error()),
        1, 0);
  }
  v.set_pass(v.failures_size() == 0);
  return v;
}

}  // namespace loadsim
