// A Results message with known, varied content for the tests of every view of a run (text
// report golden files, results.json, intervals.csv, JUnit, report.html).
//
// MakeSampleResults() records samples drawn from a fixed-seed RandomStream into real
// LabelRecorders, so the histograms, counts and exceedances are what a run would have merged:
// a CalDAV run of 120 s in 12 intervals of 10 s, phases "warm" (0-40 s, users ramping 10 -> 40)
// and "plateau" (40-120 s), request labels GET{event}, PROPFIND{home}, PUT{event},
// REPORT{sync}, operations create and poll, the scheduling line lag{poll}; a latency spike in
// interval 7; PUT{event} and create fail about 4% of the time (412s and 30 s timeouts); three
// workers, worker 2 lost after 88.5 s (users alive drop to 27); server stats available; the
// verdict FAILs with several reasons. The spec carries the shipped thresholds of these labels
// (as in configs/thresholds.json, built in code so edits of that file do not move goldens),
// a "p99 < 500ms" rule for PUT{event} (judged by common/rules) and benchmarks. Summaries are
// filled. The same call always returns the same message. Header-only; thread-safe (no shared
// state).
#ifndef LOADSIM_TESTS_MASTER_RESULTS_FIXTURE_H_
#define LOADSIM_TESTS_MASTER_RESULTS_FIXTURE_H_

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/histogram.h"
#include "common/random.h"
#include "common/rules.h"
#include "common/thresholds.h"
#include "loadsim/v1/results.pb.h"
#include "master/results_files.h"
#include "worker/recorder.h"

namespace loadsim {
namespace testing {

namespace fixture_internal {

struct LabelModel {
  const char* label;
  bool operation;
  double per_user_rate;  // samples per user per second
  double median_ms;      // lognormal latency
  double sigma;
  double fail_probability;
  std::vector<const char*> reasons;  // cycled through by successive failures
};

inline const std::vector<LabelModel>& Models() {
  static const std::vector<LabelModel> kModels = {
      {"GET{event}", false, 0.02, 30, 0.4, 0.0, {}},
      {"PROPFIND{home}", false, 0.1, 45, 0.45, 0.004, {"HTTP 503 Service Unavailable"}},
      {"PUT{event}",
       false,
       0.03,
       160,
       0.6,
       0.045,
       {"HTTP 412 Precondition Failed", "timeout after 30 s"}},
      {"REPORT{sync}", false, 0.1, 70, 0.6, 0.0, {}},
      {"create", true, 0.03, 320, 0.55, 0.045, {"PUT{event} failed: HTTP 412 Precondition Failed"}},
      {"poll", true, 0.1, 130, 0.5, 0.004, {"PROPFIND{home} failed: HTTP 503 Service Unavailable"}},
      {"lag{poll}", false, 0.1, 0.8, 0.9, 0.0, {}},
  };
  return kModels;
}

inline void AddRow(v1::ThresholdTable* table, const char* label, std::vector<double> percent) {
  v1::ThresholdTable::Row* row = table->add_rows();
  row->set_label(label);
  for (double p : percent) row->add_percent(p);
}

inline v1::RunSpec SampleSpec() {
  v1::RunSpec spec;
  spec.set_config_file("configs/config.plist");
  spec.set_clients_file("configs/clients.plist");
  spec.set_seed(42);
  spec.mutable_server()->set_url("http://127.0.0.1:8008");
  spec.mutable_server()->set_principal_path_template("/principals/__uids__/%s/");
  spec.mutable_server_stats()->set_enabled(true);
  spec.mutable_server_stats()->set_host("127.0.0.1");
  spec.mutable_server_stats()->set_port(8100);
  v1::ArrivalSpec* arrival = spec.mutable_arrival();
  arrival->set_factory("SmoothRampUp");
  arrival->set_groups(4);
  arrival->set_group_size(10);
  arrival->set_interval_seconds(10);
  arrival->set_clients_per_user(1);
  for (const char* w : {"ssh loadgen-a loadsim-worker", "ssh loadgen-b loadsim-worker",
                        "ssh loadgen-c loadsim-worker"}) {
    spec.add_workers(w);
  }

  v1::Thresholds thresholds;
  v1::ThresholdTable* requests = thresholds.mutable_requests();
  *requests = BuiltinRequestThresholds();
  requests->set_source("configs/thresholds.json");
  AddRow(requests, "GET{event}", {100, 100, 100, 75, 50, 25, 5});
  AddRow(requests, "PROPFIND{home}", {100, 100, 100, 75, 50, 25, 10});
  AddRow(requests, "PUT{event}", {100, 100, 100, 75, 50, 25, 0.5});
  AddRow(requests, "REPORT{sync}", {100, 100, 100, 50, 10, 5, 1});
  v1::ThresholdTable* operations = thresholds.mutable_operations();
  *operations = BuiltinOperationThresholds();
  operations->set_source("configs/thresholds.json");
  AddRow(operations, "create", {100, 100, 100, 75, 50, 10, 5});
  AddRow(operations, "poll", {100, 100, 100, 75, 50, 10, 5});
  v1::RuleSpec* rule = thresholds.add_rules();
  rule->set_label("PUT{event}");
  ParseRuleExpr("p99 < 500ms", rule).IgnoreError();  // a valid expression
  rule->set_min_samples(20);
  rule->mutable_origin()->set_file("configs/thresholds.json");
  rule->mutable_origin()->set_line(46);

  v1::ObserverSpec* report = spec.add_observers();
  report->set_type("ReportStatistics");
  v1::ReportStatisticsParams* rp = report->mutable_report_statistics();
  rp->set_fail_cutoff_percent(1.0);
  *rp->mutable_thresholds() = thresholds;
  rp->mutable_benchmarks()->set_source("configs/benchmarks.json");
  for (auto [label, mean, weight] :
       std::vector<std::tuple<const char*, double, double>>{{"GET{event}", 0.1, 1},
                                                            {"PROPFIND{home}", 0.25, 1},
                                                            {"PUT{event}", 0.25, 1},
                                                            {"REPORT{sync}", 0.25, 1}}) {
    v1::Benchmark* b = rp->mutable_benchmarks()->add_benchmarks();
    b->set_label(label);
    b->set_mean_seconds(mean);
    b->set_weight(weight);
  }
  v1::ObserverSpec* oplog = spec.add_observers();
  oplog->set_type("OperationLogger");
  v1::OperationLoggerParams* op = oplog->mutable_operation_logger();
  op->set_lag_cutoff_seconds(1.0);
  op->set_fail_cutoff_percent(1.0);
  *op->mutable_thresholds() = thresholds.operations();

  struct PhaseDef {
    const char* name;
    double seconds, load_beg, load_end, pop_beg, pop_end;
  };
  for (const PhaseDef& d :
       {PhaseDef{"warm", 40, 0.25, 1, 0.25, 1}, PhaseDef{"plateau", 80, 1, 1, 1, 1}}) {
    v1::PhaseSpec* p = spec.add_phases();
    p->set_name(d.name);
    p->mutable_goal()->set_duration_seconds(d.seconds);
    p->set_load_factor_beg(d.load_beg);
    p->set_load_factor_end(d.load_end);
    p->set_populus_factor_beg(d.pop_beg);
    p->set_populus_factor_end(d.pop_end);
    p->set_log_stats(true);
    p->set_synchronize(true);
  }
  return spec;
}

inline std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

inline void AddRule(v1::Results* r, const char* kind, const std::string& label, double observed,
                    double limit, bool passed, const std::string& message) {
  v1::VerdictRule* rule = r->mutable_verdict()->add_rules();
  rule->set_kind(kind);
  rule->set_label(label);
  rule->set_observed(observed);
  rule->set_limit(limit);
  rule->set_passed(passed);
  if (!passed) {
    rule->set_message(message);
    r->mutable_verdict()->add_failures(message);
  }
}

}  // namespace fixture_internal

inline v1::Results MakeSampleResults() {
  using fixture_internal::LabelModel;
  using fixture_internal::Models;
  constexpr int kIntervals = 12;
  constexpr double kIntervalSeconds = 10;
  constexpr int kWarmIntervals = 4;
  constexpr double kLostAfter = 88.5;  // worker 2
  const uint64_t kUsersAlive[kIntervals] = {10, 20, 30, 40, 40, 40, 40, 40, 40, 27, 27, 27};

  v1::Results r;
  r.set_schema_version(1);
  r.set_loadsim_version("0.1.0");
  *r.mutable_spec() = fixture_internal::SampleSpec();
  const v1::ThresholdTable& requests =
      r.spec().observers(0).report_statistics().thresholds().requests();
  std::vector<uint64_t> limits_us;
  for (double l : requests.limits_seconds()) limits_us.push_back(static_cast<uint64_t>(l * 1e6));

  RandomStream rng(DeriveSeed(42, 0, "results-fixture"));
  std::map<std::string, LabelRecorder> totals;
  std::vector<std::map<std::string, LabelRecorder>> phases(2);
  std::vector<std::map<std::string, uint64_t>> worker_counts(3), worker_failures(3);
  std::vector<LabelRecorder> worker_lag(3, LabelRecorder("lag{poll}", limits_us));
  std::map<const LabelModel*, size_t> failures_so_far;
  std::vector<int> samples_kept(3, 0);

  for (int i = 0; i < kIntervals; ++i) {
    const double start = i * kIntervalSeconds, end = start + kIntervalSeconds;
    const int phase = i < kWarmIntervals ? 0 : 1;
    const bool spike = i == 7;  // the server stalls: PROPFIND and REPORT three times slower
    const int workers_alive = end <= kLostAfter + kIntervalSeconds ? 3 : 2;
    v1::IntervalResults* in = r.add_intervals();
    in->set_index(i);
    in->set_start_seconds(start);
    in->set_end_seconds(end);
    in->set_phase_index(phase);
    in->set_users_alive(kUsersAlive[i]);
    for (const LabelModel& m : Models()) {
      LabelRecorder rec(m.label, limits_us);
      const double expected = m.per_user_rate * kUsersAlive[i] * kIntervalSeconds;
      const int n = static_cast<int>(expected + rng.Uniform01());
      const std::string label = m.label;
      const bool slowed = spike && (label == "PROPFIND{home}" || label == "REPORT{sync}");
      for (int k = 0; k < n; ++k) {
        double ms = m.median_ms * std::exp(m.sigma * rng.Normal()) * (slowed ? 3 : 1);
        uint64_t us = std::max<uint64_t>(50, static_cast<uint64_t>(std::llround(ms * 1000)));
        const int worker = static_cast<int>(rng.UniformInt(0, workers_alive));
        bool ok = rng.Uniform01() >= m.fail_probability;
        std::string reason;
        if (!ok) {
          reason = m.reasons[failures_so_far[&m]++ % m.reasons.size()];
          if (reason.rfind("timeout", 0) == 0) us = 30000000 + us % 5000;
        }
        rec.Record(us, ok, reason);
        if (IsSchedulingLabel(m.label)) {
          worker_lag[worker].Record(us, true);
        } else {
          ++worker_counts[worker][m.label];
          if (!ok) ++worker_failures[worker][m.label];
        }
        if (!ok && !m.operation && samples_kept[worker] < 3) {
          ++samples_kept[worker];
          v1::FailureSample* f = r.add_failure_samples();
          f->set_worker_index(worker);
          f->set_at_seconds(start + (k + 0.5) * kIntervalSeconds / n);
          const int user = static_cast<int>(rng.UniformInt(1, 41));
          f->set_user(absl::StrFormat("user%02d", user));
          f->set_label(m.label);
          f->set_method(label.substr(0, label.find('{')));
          if (label == "PUT{event}") {
            f->set_url(absl::StrFormat("/calendars/__uids__/user%02d/calendar/%08X.ics", user,
                                       static_cast<uint32_t>(rng.NextU64())));
          } else {
            f->set_url(absl::StrFormat("/calendars/__uids__/user%02d/", user));
          }
          f->set_reason(reason);
          if (reason.rfind("HTTP 412", 0) == 0) {
            f->set_status(412);
            f->set_body_excerpt(
                "<?xml version='1.0' encoding='UTF-8'?>\n<error xmlns='DAV:'>"
                "<no-uid-conflict xmlns='urn:ietf:params:xml:ns:caldav'/></error>\n"
                "If-Match \"etag\" & If-None-Match failed");
          } else if (reason.rfind("HTTP 503", 0) == 0) {
            f->set_status(503);
            f->set_body_excerpt(
                "<html><head><title>Service Unavailable</title></head><body>"
                "<h1>Service Unavailable</h1>Too many requests & no free slot.</body></html>");
          }
        }
      }
      *in->add_labels() = rec.ToProto();
      auto merge = [&rec](std::map<std::string, LabelRecorder>& into) {
        auto it = into.find(rec.label());
        if (it == into.end()) {
          into.emplace(rec.label(), rec);
        } else {
          it->second.Merge(rec).IgnoreError();  // same label and limits by construction
        }
      };
      merge(totals);
      merge(phases[phase]);
    }
  }

  // Totals, phases (sorted by label: the maps are).
  for (const auto& [label, rec] : totals) *r.add_labels() = rec.ToProto();
  const double kPhaseEnd[] = {kWarmIntervals * kIntervalSeconds, kIntervals * kIntervalSeconds};
  for (int p = 0; p < 2; ++p) {
    v1::PhaseResults* pr = r.add_phases();
    pr->set_index(p);
    pr->set_name(r.spec().phases(p).name());
    pr->set_start_seconds(p == 0 ? 0 : kPhaseEnd[0]);
    pr->set_end_seconds(kPhaseEnd[p]);
    pr->set_ended_by("duration");
    *pr->mutable_spec() = r.spec().phases(p);
    for (const auto& [label, rec] : phases[p]) *pr->add_labels() = rec.ToProto();
  }

  // Workers.
  const char* kHosts[] = {"loadgen-a", "loadgen-b", "loadgen-c"};
  const uint64_t kUsers[] = {14, 13, 13};
  const double kCpu[][2] = {{12.4, 1.5}, {11.9, 1.4}, {8.1, 1.0}};
  for (int w = 0; w < 3; ++w) {
    v1::WorkerResults* wr = r.add_workers();
    wr->set_index(w);
    wr->set_host(kHosts[w]);
    wr->set_pid(4101 + 17 * w);
    wr->set_users(kUsers[w]);
    uint64_t requests_sent = 0, failed = 0;
    for (const auto& [label, n] : worker_counts[w]) requests_sent += n;
    for (const auto& [label, n] : worker_failures[w]) failed += n;
    wr->set_requests(requests_sent);
    wr->set_failures(failed);
    wr->set_cpu_user_seconds(kCpu[w][0]);
    wr->set_cpu_system_seconds(kCpu[w][1]);
    wr->set_rss_bytes((52 + 3 * w) * int64_t{1048576});
    wr->set_lag_p99_ms(worker_lag[w].ValueAtQuantileUs(0.99) / 1000.0);
    wr->set_finished(w != 2);
    wr->set_lost(w == 2);
    if (w == 2) {
      wr->set_lost_after_seconds(kLostAfter);
      wr->set_error("no heartbeat for 3 s");
    }
  }

  // Run summary.
  v1::RunSummary* run = r.mutable_run();
  run->set_start_unix_ms(1700000000000);
  run->set_start_time_local("11/14 22:13:20");
  run->set_planned_seconds(120);
  run->set_ran_seconds(120);
  run->set_seed(42);
  run->set_users(40);
  run->set_clients(40);
  run->set_users_assigned(40);
  run->set_cpu_user_seconds(kCpu[0][0] + kCpu[1][0] + kCpu[2][0]);
  run->set_cpu_system_seconds(kCpu[0][1] + kCpu[1][1] + kCpu[2][1]);
  run->add_client_failures("user17 (OS_X_10_7): startup failed: PROPFIND{home} HTTP 503");
  for (const auto& [label, rec] : totals) {
    for (const auto& [reason, n] : rec.failure_reasons()) {
      (*run->mutable_operation_failures())[reason] += n;
    }
  }
  // QoS over the benchmarked labels, from successful samples' means.
  double qos_sum = 0;
  int qos_n = 0;
  for (const v1::Benchmark& b :
       r.spec().observers(0).report_statistics().benchmarks().benchmarks()) {
    auto it = totals.find(b.label());
    if (it == totals.end() || it->second.count() == it->second.failures()) continue;
    qos_sum += (it->second.SuccessMeanUs() / 1e6 / b.mean_seconds() - 1) * b.weight() + 1;
    ++qos_n;
  }
  run->set_has_qos(qos_n > 0);
  run->set_qos(qos_n > 0 ? qos_sum / qos_n : 0);
  run->set_end_reason("runtime expired");

  // Server stats.
  v1::ServerStatsResults* ss = r.mutable_server_stats();
  ss->set_enabled(true);
  ss->set_available(true);
  ss->set_cpu_percent(23.4);
  ss->set_req_per_second(12.3);
  ss->set_response_ms(45.6);
  ss->set_slots(1.5);

  // Verdict: CalendarServer's rules for requests (failCutoff, thresholds rows) and operations
  // (OperationLogger: failCutoff, median lag), then the rule, the client failures, the
  // failure reasons and the lost worker.
  using fixture_internal::AddRule;
  for (const auto& [label, rec] : totals) {
    if (IsSchedulingLabel(label)) continue;
    const bool operation = label.find('{') == std::string::npos;
    const double failed = 100.0 * rec.failures() / rec.count();
    if (!operation) {
      AddRule(&r, "failed", label, failed, 1.0, !(failed > 1.0),
              absl::StrFormat("Greater than %g%% %s failed", 1.0, label));
      const v1::ThresholdTable::Row& row = ThresholdRowFor(requests, label);
      for (int i = 0; i < requests.limits_seconds_size(); ++i) {
        const double over = 100.0 * rec.over_limit()[i] / rec.count();
        AddRule(&r, "threshold", label, over, row.percent(i), !(over > row.percent(i)),
                absl::StrFormat("Greater than %g%% %s exceeded %g second response time",
                                row.percent(i), label, requests.limits_seconds(i)));
      }
    } else {
      AddRule(
          &r, "failed", label, failed, 1.0, !(failed > 1.0),
          absl::StrFormat("Greater than %.0f%% %s failed", 1.0, fixture_internal::Upper(label)));
    }
  }
  const LabelRecorder& lag = totals.at("lag{poll}");
  const double median_lag_ms = lag.ValueAtQuantileUs(0.5) / 1000.0;
  AddRule(&r, "lag", "poll", median_lag_ms, 1000.0, !(median_lag_ms > 1000.0),
          "Median POLL scheduling lag greater than 1000.0ms");
  for (const v1::RuleSpec& rule : r.spec().observers(0).report_statistics().thresholds().rules()) {
    v1::VerdictRule v = ToVerdictRule(EvaluateRule(rule, totals.at(rule.label()), 120));
    if (!v.passed()) r.mutable_verdict()->add_failures(v.message());
    *r.mutable_verdict()->add_rules() = std::move(v);
  }
  AddRule(&r, "client-failures", "", run->client_failures_size(), 0,
          run->client_failures_size() == 0,
          absl::StrCat("Client failures: ", run->client_failures_size()));
  AddRule(&r, "operation-failures", "", run->operation_failures_size(), 0,
          run->operation_failures_size() == 0,
          absl::StrCat("Overall failures: ", run->operation_failures_size()));
  AddRule(&r, "worker-lost", "", 1, 0, false,
          absl::StrFormat("Worker 2 (loadgen-c) lost after %.1f s", kLostAfter));
  r.mutable_verdict()->set_pass(r.verdict().failures_size() == 0);
  run->set_exit_status(r.verdict().pass() ? 0 : 1);

  FillSummaries(&r).IgnoreError();  // the histograms above are well-formed
  return r;
}

}  // namespace testing
}  // namespace loadsim

#endif  // LOADSIM_TESTS_MASTER_RESULTS_FIXTURE_H_
