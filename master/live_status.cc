#include "master/live_status.h"

#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/histogram.h"
#include "common/units.h"
#include "nlohmann/json.hpp"
#include "worker/recorder.h"

namespace loadsim {
namespace {

constexpr double kQuantiles[] = {0.5, 0.9, 0.99, 0.999};

// A label value of the exposition format: backslash, double quote and newline escaped.
std::string EscapeLabelValue(absl::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// Appends the HELP and TYPE lines of a metric family.
void Family(std::string* out, absl::string_view name, absl::string_view type,
            absl::string_view help) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

// Appends one sample: name{k1="v1",...} value.
void Sample(std::string* out, absl::string_view name,
            std::initializer_list<std::pair<absl::string_view, absl::string_view>> labels,
            double value) {
  absl::StrAppend(out, name);
  if (labels.size() > 0) {
    const char* sep = "{";
    for (const auto& [k, v] : labels) {
      absl::StrAppend(out, sep, k, "=\"", EscapeLabelValue(v), "\"");
      sep = ",";
    }
    absl::StrAppend(out, "}");
  }
  absl::StrAppend(out, " ", FormatNumber(value), "\n");
}

// A label's statistics as sent and as a recorder (quantiles need the histogram); a label
// that does not decode keeps its counts only.
struct Label {
  const v1::LabelStats* stats;
  LabelRecorder recorder;
};

std::vector<Label> Labels(const v1::Results& results) {
  std::vector<Label> out;
  for (const v1::LabelStats& ls : results.labels()) {
    absl::StatusOr<LabelRecorder> r = LabelRecorder::FromProto(ls);
    out.push_back(Label{&ls, r.ok() ? *std::move(r) : LabelRecorder(ls.label())});
  }
  return out;
}

// A summary family over the scheduling lines (`scheduling`) or over the other labels.
void SummaryFamily(std::string* out, absl::string_view name, absl::string_view help,
                   const std::vector<Label>& labels, bool scheduling) {
  Family(out, name, "summary", help);
  for (const Label& l : labels) {
    const LabelRecorder& r = l.recorder;
    if (IsSchedulingLabel(r.label()) != scheduling) continue;
    for (double q : kQuantiles) {
      Sample(out, name, {{"label", r.label()}, {"quantile", FormatNumber(q)}},
             static_cast<double>(r.ValueAtQuantileUs(q)) / 1e6);
    }
    Sample(out, absl::StrCat(name, "_sum"), {{"label", r.label()}},
           static_cast<double>(l.stats->sum_us()) / 1e6);
    Sample(out, absl::StrCat(name, "_count"), {{"label", r.label()}},
           static_cast<double>(l.stats->count()));
  }
}

// The phase the run is in: the last one reached.
std::pair<int, std::string> CurrentPhase(const v1::Results& results) {
  if (results.phases_size() == 0) return {0, ""};
  const v1::PhaseResults& p = results.phases(results.phases_size() - 1);
  return {p.index(), p.name()};
}

uint64_t UsersAlive(const v1::Results& results) {
  if (results.intervals_size() == 0) return 0;
  return results.intervals(results.intervals_size() - 1).users_alive();
}

int WorkersAlive(const v1::Results& results) {
  int alive = 0;
  for (const v1::WorkerResults& w : results.workers()) alive += !w.lost();
  return alive;
}

bool Judged(const v1::Results& results) {
  return results.verdict().rules_size() > 0 || results.verdict().failures_size() > 0;
}

double Ms(uint64_t us) { return static_cast<double>(us) / 1000.0; }

// The last interval that ended by the snapshot's elapsed time, all its rows (one per phase)
// added; null if there is none yet.
nlohmann::ordered_json LastInterval(const v1::Results& results,
                                    const TransactionPredicate& is_transaction) {
  const double now = results.run().ran_seconds();
  const v1::IntervalResults* last = nullptr;
  for (const v1::IntervalResults& ir : results.intervals()) {
    if (ir.end_seconds() <= now + 1e-9 && (last == nullptr || ir.index() > last->index())) {
      last = &ir;
    }
  }
  if (last == nullptr) return nullptr;
  uint64_t requests = 0, failures = 0;
  for (const v1::IntervalResults& ir : results.intervals()) {
    if (ir.index() != last->index()) continue;
    for (const v1::LabelStats& ls : ir.labels()) {
      if (!is_transaction(ls.label())) continue;
      requests += ls.count();
      failures += ls.failures();
    }
  }
  const double seconds = last->end_seconds() - last->start_seconds();
  nlohmann::ordered_json j;
  j["index"] = last->index();
  j["start_seconds"] = last->start_seconds();
  j["end_seconds"] = last->end_seconds();
  j["requests"] = requests;
  j["failures"] = failures;
  j["requests_per_second"] = seconds > 0 ? requests / seconds : 0.0;
  return j;
}

}  // namespace

bool NotSchedulingLabel(absl::string_view label) { return !IsSchedulingLabel(label); }

std::string RunState(const v1::Results& results, bool stop_requested) {
  if (!results.run().end_reason().empty()) return "finished";
  return stop_requested ? "stopping" : "running";
}

std::string PrometheusMetrics(const v1::Results& results) {
  const std::vector<Label> labels = Labels(results);
  std::string out;
  constexpr char kRequests[] = "loadsim_requests_total";
  Family(&out, kRequests, "counter",
         "Samples recorded per request or operation label since the run start.");
  for (const Label& l : labels) {
    if (!IsSchedulingLabel(l.stats->label())) {
      Sample(&out, kRequests, {{"label", l.stats->label()}}, static_cast<double>(l.stats->count()));
    }
  }
  constexpr char kFailures[] = "loadsim_request_failures_total";
  Family(&out, kFailures, "counter", "Failed samples per request or operation label.");
  for (const Label& l : labels) {
    if (!IsSchedulingLabel(l.stats->label())) {
      Sample(&out, kFailures, {{"label", l.stats->label()}},
             static_cast<double>(l.stats->failures()));
    }
  }
  SummaryFamily(&out, "loadsim_request_duration_seconds",
                "Response time per label, failed samples included (histogram bucket midpoints).",
                labels, false);
  SummaryFamily(&out, "loadsim_scheduling_delay_seconds",
                "The generator's own delays: lag{} (due to sent) and blocked{} (waiting for a "
                "connection).",
                labels, true);

  Family(&out, "loadsim_users_alive", "gauge", "Simulated users alive in the last interval.");
  Sample(&out, "loadsim_users_alive", {}, static_cast<double>(UsersAlive(results)));
  Family(&out, "loadsim_workers_alive", "gauge", "Workers not lost.");
  Sample(&out, "loadsim_workers_alive", {}, WorkersAlive(results));
  Family(&out, "loadsim_workers", "gauge", "Workers that joined the run.");
  Sample(&out, "loadsim_workers", {}, results.workers_size());
  Family(&out, "loadsim_run_elapsed_seconds", "gauge", "Seconds since the load started.");
  Sample(&out, "loadsim_run_elapsed_seconds", {}, results.run().ran_seconds());
  const auto [phase_index, phase_name] = CurrentPhase(results);
  Family(&out, "loadsim_phase", "gauge", "Index of the current phase (label: its name).");
  Sample(&out, "loadsim_phase", {{"name", phase_name}}, phase_index);
  Family(&out, "loadsim_run_finished", "gauge", "1 once the run has ended.");
  Sample(&out, "loadsim_run_finished", {}, results.run().end_reason().empty() ? 0 : 1);
  if (Judged(results)) {
    Family(&out, "loadsim_verdict_pass", "gauge", "1 when the verdict so far is PASS.");
    Sample(&out, "loadsim_verdict_pass", {}, results.verdict().pass() ? 1 : 0);
  }
  return out;
}

std::string StatusJson(const v1::Results& results, absl::string_view state,
                       const TransactionPredicate& is_transaction) {
  nlohmann::ordered_json j;
  j["state"] = std::string(state);
  j["elapsed_seconds"] = results.run().ran_seconds();
  const auto [phase_index, phase_name] = CurrentPhase(results);
  j["phase"] = {{"index", phase_index}, {"name", phase_name}};
  j["users_alive"] = UsersAlive(results);
  j["interval"] = LastInterval(results, is_transaction);

  uint64_t requests = 0, failures = 0;
  nlohmann::ordered_json labels = nlohmann::ordered_json::array();
  for (const Label& l : Labels(results)) {
    const LabelRecorder& r = l.recorder;
    if (!is_transaction(r.label())) continue;
    requests += r.count();
    failures += r.failures();
    labels.push_back({{"label", r.label()},
                      {"count", r.count()},
                      {"failures", r.failures()},
                      {"mean_ms", r.MeanUs() / 1000.0},
                      {"p50_ms", Ms(r.ValueAtQuantileUs(0.5))},
                      {"p90_ms", Ms(r.ValueAtQuantileUs(0.9))},
                      {"p99_ms", Ms(r.ValueAtQuantileUs(0.99))},
                      {"max_ms", Ms(r.max_us())}});
  }
  const double ran = results.run().ran_seconds();
  j["totals"] = {{"requests", requests},
                 {"failures", failures},
                 {"requests_per_second", ran > 0 ? requests / ran : 0.0}};
  j["labels"] = std::move(labels);

  nlohmann::ordered_json workers = nlohmann::ordered_json::array();
  for (const v1::WorkerResults& w : results.workers()) {
    workers.push_back({{"index", w.index()},
                       {"host", w.host()},
                       {"pid", w.pid()},
                       {"users", w.users()},
                       {"requests", w.requests()},
                       {"failures", w.failures()},
                       {"lag_p99_ms", w.lag_p99_ms()},
                       {"finished", w.finished()},
                       {"lost", w.lost()}});
  }
  j["workers"] = {{"alive", WorkersAlive(results)},
                  {"total", results.workers_size()},
                  {"list", std::move(workers)}};

  if (Judged(results)) {
    nlohmann::ordered_json failures_list = nlohmann::ordered_json::array();
    for (const std::string& f : results.verdict().failures()) failures_list.push_back(f);
    j["verdict"] = {{"pass", results.verdict().pass()}, {"failures", std::move(failures_list)}};
  } else {
    j["verdict"] = nullptr;
  }
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace loadsim
