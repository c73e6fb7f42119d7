// Live status: machine-readable views of a Results snapshot taken during (or after) a run, for
// the web admin's /metrics (Prometheus text exposition format 0.0.4) and /api/status (JSON).
//
// Label classes: every label is exported; scheduling lines (lag{}, blocked{}) go to their own
// metric family, not to the request counters. Which labels count as transactions for the
// request rate and totals is a predicate of the caller, so the numbers match its live lines.
// Stateless functions; thread-safe.
#ifndef LOADSIM_MASTER_LIVE_STATUS_H_
#define LOADSIM_MASTER_LIVE_STATUS_H_

#include <functional>
#include <string>

#include "absl/strings/string_view.h"
#include "loadsim/v1/results.pb.h"

namespace loadsim {

// True for the labels counted as transactions (requests and operations).
using TransactionPredicate = std::function<bool(absl::string_view label)>;

// Not a scheduling line (worker/recorder.h IsSchedulingLabel).
bool NotSchedulingLabel(absl::string_view label);

// "running" (no end reason yet), "stopping" (`stop_requested` and still running) or
// "finished".
std::string RunState(const v1::Results& results, bool stop_requested);

// The Prometheus exposition of `results`:
//   loadsim_requests_total{label}            counter   samples per label (scheduling lines
//   loadsim_request_failures_total{label}    counter   excluded), failures per label
//   loadsim_request_duration_seconds{label,quantile}   summary: p50, p90, p99, p99.9, _sum,
//                                                      _count (histogram midpoints)
//   loadsim_scheduling_delay_seconds{label,quantile}   summary of lag{} / blocked{} lines
//   loadsim_users_alive, loadsim_workers_alive, loadsim_workers, loadsim_run_elapsed_seconds,
//   loadsim_phase{name} (value: the phase index), loadsim_run_finished (0/1),
//   loadsim_verdict_pass (0/1, only once the snapshot has been judged).
// Label values are escaped as the format requires (\\, \", \n).
std::string PrometheusMetrics(const v1::Results& results);

// The /api/status document (pretty-printed JSON): state, elapsed_seconds, phase, users_alive,
// the last complete interval (requests, failures, requests_per_second), totals, per label
// (count, failures, mean/p50/p90/p99/max in ms), workers (alive, total, each worker) and the
// verdict so far (null until the snapshot has been judged).
std::string StatusJson(const v1::Results& results, absl::string_view state,
                       const TransactionPredicate& is_transaction);

}  // namespace loadsim

#endif  // LOADSIM_MASTER_LIVE_STATUS_H_
