// Verdict: judges a run from its Results, in CalendarServer's words (calendarserver-sim.md
// 6.5 and 4.7) plus loadsim's own rules. Checked, in this order: every request label against
// ReportStatistics' failCutoff and its thresholds row (strict >, percent of that label's
// samples); client failures; operation failures (distinct reasons); every operation label
// against OperationLogger's lagCutoff (median scheduling lag) and failCutoff; the thresholds
// file's extra rules (percentiles, rates); lost workers; an incomplete run. Every check is a
// VerdictRule (passed or not) so JUnit can list them; failures keep the original's text.
// Stateless.
#ifndef LOADSIM_MASTER_VERDICT_H_
#define LOADSIM_MASTER_VERDICT_H_

#include <string>

#include "absl/strings/string_view.h"
#include "loadsim/v1/results.pb.h"
#include "worker/recorder.h"

namespace loadsim {

// Operation labels (profile and client operations) as opposed to request labels.
bool IsOperationLabel(absl::string_view label);
// Lines that are neither requests nor operations (lag{}, blocked{}, AUTH{}).
bool IsInternalLabel(absl::string_view label);

// The observers' parameters in `spec`; null when the observer is not configured.
const v1::ReportStatisticsParams* ReportParams(const v1::RunSpec& spec);
const v1::OperationLoggerParams* OperationParams(const v1::RunSpec& spec);

// The run's labels as recorders (for quantiles).
LabelMap LabelsOf(const google::protobuf::RepeatedPtrField<v1::LabelStats>& labels);

v1::VerdictResults Judge(const v1::Results& results);

}  // namespace loadsim

#endif  // LOADSIM_MASTER_VERDICT_H_
