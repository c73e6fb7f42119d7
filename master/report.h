// Report: the combined end-of-run text report, rendered from a Results message.
//
// First exactly CalendarServer's report (calendarserver-sim.md 6.1-6.5), which scripts parse:
// "** REPORT **", the "* Client" and "* Server (Last 5 minutes)" key/value blocks (keys in byte
// order, title-cased, right-aligned), "* Details" (ReportStatistics' request table with its
// widths, threshold columns, mean, median, stddev, QoS and STATUS) and OperationLogger's
// operations table with avglag. Then what the original lacks: per-label percentiles and
// rates, a per-worker table, one section per phase (when the run has phases), and failure
// samples. Last the verdict: "*** PASS" or "*** FAIL" and every reason. Stateless.
#ifndef LOADSIM_MASTER_REPORT_H_
#define LOADSIM_MASTER_REPORT_H_

#include <string>
#include <utility>
#include <vector>

#include "loadsim/v1/results.pb.h"

namespace loadsim {

std::string FormatReport(const v1::Results& results);

// A key/value block as the original prints it: keys sorted by their raw bytes, shown
// title-cased (Python str.title()), right-aligned to the longest, " : ", the value.
std::string FormatKeyValues(std::vector<std::pair<std::string, std::string>> items);

}  // namespace loadsim

#endif  // LOADSIM_MASTER_REPORT_H_
