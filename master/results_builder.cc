#include "master/results_builder.h"

#include <ctime>

#include "master/results_files.h"
#include "master/verdict.h"

namespace loadsim {
namespace {

std::string LocalStartTime(int64_t unix_ms) {
  time_t t = static_cast<time_t>(unix_ms / 1000);
  struct tm tm;
  localtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof(buf), "%m/%d %H:%M:%S", &tm);
  return buf;
}

void AddLabels(const LabelMap& labels, google::protobuf::RepeatedPtrField<v1::LabelStats>* out) {
  for (const auto& [label, s] : labels) *out->Add() = s.ToProto();
}

// QoS (calendarserver-sim.md 6.4): the mean over benchmarked labels of
// ((success mean / benchmark mean) - 1) x weight + 1; labels without a successful sample are
// skipped (the original divided by zero).
std::optional<double> OverallQos(const v1::RunSpec& spec, const LabelMap& totals) {
  for (const v1::ObserverSpec& o : spec.observers()) {
    if (!o.has_report_statistics()) continue;
    double sum = 0;
    int n = 0;
    for (const v1::Benchmark& b : o.report_statistics().benchmarks().benchmarks()) {
      auto it = totals.find(b.label());
      if (it == totals.end() || it->second.count() == it->second.failures()) continue;
      double mean_s = it->second.SuccessMeanUs() / 1e6;
      sum += ((mean_s / b.mean_seconds()) - 1) * b.weight() + 1;
      ++n;
    }
    if (n > 0) return sum / n;
  }
  return std::nullopt;
}

}  // namespace

v1::Results CollectResults(const RunFacts& f) {
  v1::Results r;
  r.set_schema_version(1);
  r.set_loadsim_version(LOADSIM_VERSION);
  *r.mutable_spec() = *f.spec;
  v1::RunSummary* run = r.mutable_run();
  run->set_start_unix_ms(f.start_unix_ms);
  run->set_start_time_local(LocalStartTime(f.start_unix_ms));
  run->set_planned_seconds(f.planned_s);
  run->set_ran_seconds(f.ran_s);
  run->set_seed(f.spec->seed());
  run->set_end_reason(f.end_reason);
  uint64_t users_active = 0, assigned = 0;
  for (const WorkerStatus& w : f.workers) {
    // Finished workers say how many users ever ran; a running one, how many run now.
    users_active += w.finished ? w.users_active : w.users_alive;
    assigned += w.users;
    run->set_cpu_user_seconds(run->cpu_user_seconds() + w.cpu_user_seconds);
    run->set_cpu_system_seconds(run->cpu_system_seconds() + w.cpu_system_seconds);
    for (const std::string& cf : w.client_failures) run->add_client_failures(cf);
    v1::WorkerResults* wr = r.add_workers();
    wr->set_index(w.index);
    wr->set_host(w.host);
    wr->set_pid(w.pid);
    wr->set_users(w.users);
    wr->set_requests(w.requests);
    wr->set_failures(w.failures);
    wr->set_cpu_user_seconds(w.cpu_user_seconds);
    wr->set_cpu_system_seconds(w.cpu_system_seconds);
    wr->set_rss_bytes(w.rss_bytes);
    wr->set_lag_p99_ms(w.lag_p99_ms);
    wr->set_finished(w.finished);
    wr->set_lost(w.lost);
    wr->set_lost_after_seconds(w.lost_after_s);
    wr->set_error(w.error);
  }
  run->set_users(users_active);
  run->set_users_assigned(assigned);
  // Every simulated user runs clientsPerUser clients.
  run->set_clients(users_active *
                   static_cast<uint64_t>(std::max(1, f.spec->arrival().clients_per_user())));
  for (const auto& [label, s] : f.totals) {
    if (!IsOperationLabel(label)) continue;
    for (const auto& [reason, n] : s.failure_reasons()) {
      (*run->mutable_operation_failures())[reason] += n;
    }
  }
  if (std::optional<double> qos = OverallQos(*f.spec, f.totals)) {
    run->set_has_qos(true);
    run->set_qos(*qos);
  }
  AddLabels(f.totals, r.mutable_labels());
  if (f.phases != nullptr) {
    for (size_t i = 0; i < f.phases->phases().size(); ++i) {
      const PhaseController::Record& rec = f.phases->records()[i];
      if (rec.start_s < 0) continue;  // never reached
      v1::PhaseResults* p = r.add_phases();
      p->set_index(static_cast<int>(i));
      p->set_name(f.phases->phases()[i].name());
      p->set_start_seconds(rec.start_s);
      p->set_end_seconds(rec.end_s >= 0 ? rec.end_s : f.ran_s);
      p->set_ended_by(rec.ended_by.empty() ? "stopped" : rec.ended_by);
      *p->mutable_spec() = f.phases->phases()[i];
      auto it = f.phase_totals.find(static_cast<int>(i));
      if (it != f.phase_totals.end()) AddLabels(it->second, p->mutable_labels());
    }
  }
  for (const IntervalAgg& agg : f.intervals) {
    v1::IntervalResults* ir = r.add_intervals();
    ir->set_index(agg.cycle);
    ir->set_start_seconds(agg.cycle * f.stats_cycle_s);
    ir->set_end_seconds(
        std::min((agg.cycle + 1) * f.stats_cycle_s, std::max(f.ran_s, 0.0) + f.stats_cycle_s));
    ir->set_phase_index(agg.phase);
    ir->set_users_alive(agg.users_alive);
    AddLabels(agg.labels, ir->mutable_labels());
  }
  if (f.server_stats.has_value()) {
    v1::ServerStatsResults* ss = r.mutable_server_stats();
    ss->set_enabled(true);
    if (f.server_stats->ok()) {
      const ServerStats& st = **f.server_stats;
      ss->set_available(true);
      ss->set_cpu_percent(st.cpu_percent);
      ss->set_req_per_second(st.req_per_s);
      ss->set_response_ms(st.response_ms);
      ss->set_slots(st.slots);
    } else {
      ss->set_error(std::string(f.server_stats->status().message()));
    }
  }
  for (const v1::FailureSample& s : f.failure_samples) *r.add_failure_samples() = s;
  FillSummaries(&r).IgnoreError();
  return r;
}

v1::Results BuildResults(const RunFacts& facts) {
  v1::Results r = CollectResults(facts);
  *r.mutable_verdict() = Judge(r);
  if (facts.incomplete) {
    v1::VerdictRule* rule = r.mutable_verdict()->add_rules();
    rule->set_kind("incomplete");
    rule->set_passed(false);
    rule->set_message("Run incomplete: " + facts.end_reason);
    r.mutable_verdict()->add_failures(rule->message());
    r.mutable_verdict()->set_pass(false);
  }
  int status = facts.incomplete ? 3 : (r.verdict().pass() ? 0 : 1);
  for (const v1::WorkerResults& w : r.workers()) {
    if (w.lost()) status = 3;
  }
  r.mutable_run()->set_exit_status(status);
  return r;
}

}  // namespace loadsim
