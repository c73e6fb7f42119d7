// Thresholds and benchmarks: reads CalendarServer's thresholds.json and benchmarks.json
// (spec sections 6.3 and 6.4) into validated ThresholdTable / Benchmarks messages, and provides
// the built-in tables used when no file is given.
//
// Every problem is reported to a Diagnostics as "file:line: key.path: message"; all problems of
// a file are reported, not only the first. Stateless functions; safe to call from any thread
// (each call needs its own Diagnostics).
#ifndef LOADSIM_COMMON_THRESHOLDS_H_
#define LOADSIM_COMMON_THRESHOLDS_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "common/diagnostics.h"
#include "common/value.h"
#include "loadsim/v1/run_spec.pb.h"

namespace loadsim {

// OperationLogger's default when no thresholds are given: limits 0.1, 0.5, 1, 3, 5, 10, 30 s and
// a "default" row of all 100 %. Source "built-in".
v1::ThresholdTable BuiltinOperationThresholds();

// The shipped "requests" default row: the same limits, "default" = 100, 100, 100, 5, 1, 0.5, 0.
// Source "built-in".
v1::ThresholdTable BuiltinRequestThresholds();

// Reads thresholds.json:
//   {"requests":   {"limits": [...], "thresholds": {"default": [...], "<label>": [...]}},
//    "operations": {...},
//    "rules": [{"label": "PUT{event}" or "*", "expr": "p99 < 500ms", "min_samples": 20,
//               "abort_after": "30s"}, ...]}
// Limits must be positive and strictly increasing; every row needs one percentage in [0, 100]
// per limit; each present section needs a "default" row. An absent section is filled with the
// built-in table. "rules" is optional (common/rules.h has the expression grammar): label and
// expr are required, min_samples defaults to DefaultMinSamples(), abort_after is a positive
// PGL time. Unknown keys are warnings. nullopt if any error was found (all reported).
std::optional<v1::Thresholds> LoadThresholds(const std::string& path, Diagnostics* diags);

// The same validation for an already parsed document; `source` is recorded in each table read
// from it (LoadThresholds passes the path).
std::optional<v1::Thresholds> ThresholdsFromValue(const Value& root, absl::string_view source,
                                                  Diagnostics* diags);

// Reads benchmarks.json: {"<request label>": {"mean": <seconds>, "weight": <w>}, ...}.
// mean > 0 and weight >= 0 are required numbers; unknown keys are warnings. Labels keep file
// order. nullopt if any error was found (all reported).
std::optional<v1::Benchmarks> LoadBenchmarks(const std::string& path, Diagnostics* diags);

// The same validation for an already parsed document.
std::optional<v1::Benchmarks> BenchmarksFromValue(const Value& root, absl::string_view source,
                                                  Diagnostics* diags);

// The row for `label`, or the "default" row if the label has none. A validated table always
// has a "default" row; for a table without one, an empty row (no percentages) is returned.
const v1::ThresholdTable::Row& ThresholdRowFor(const v1::ThresholdTable& table,
                                               absl::string_view label);

}  // namespace loadsim

#endif  // LOADSIM_COMMON_THRESHOLDS_H_
