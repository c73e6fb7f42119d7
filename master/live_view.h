// Live view: the console lines printed during a run, in Web Polygraph's format
// (polygraph.md 3.1): every stats cycle an i-line
//   <min.sec>| i-<phase> <xacts> <rate> <rptm> <errs> <users> [w=<alive>/<workers>]
// (xacts: successful transactions since the start of the run; rate: transactions per second in
// the cycle; rptm: mean response time in the cycle, integer ms; errs: failed transactions in
// the cycle; users: live simulated users), and when a phase ends a p-line with the same
// columns over the whole phase. Polygraph's hit-ratio column has no CalDAV meaning and is left
// out. Scheduling lines (lag{}, blocked{}) and AUTH{} exchanges are not transactions.
// Stateless functions.
#ifndef LOADSIM_MASTER_LIVE_VIEW_H_
#define LOADSIM_MASTER_LIVE_VIEW_H_

#include <cstdint>
#include <string>

#include "worker/recorder.h"

namespace loadsim {

struct LineCounts {
  uint64_t ok = 0;
  uint64_t failed = 0;
  double mean_ms = 0;
};

// Transactions in `labels` (no scheduling or AUTH lines).
LineCounts CountTransactions(const LabelMap& labels);

// "005.01| i-plateau 12345 410.20 23 0 100 w=3/3"; the prefix is minutes since the start.
std::string IntervalLine(double elapsed_s, const std::string& phase, uint64_t cumulative_ok,
                         const LabelMap& interval, double interval_s, uint64_t users,
                         int workers_alive, int workers);
std::string PhaseLine(double elapsed_s, const std::string& phase, uint64_t cumulative_ok,
                      const LabelMap& phase_labels, double phase_s, uint64_t users);

}  // namespace loadsim

#endif  // LOADSIM_MASTER_LIVE_VIEW_H_
