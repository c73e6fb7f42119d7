// Results files: the machine-readable views of one run's Results message (results.json,
// intervals.csv, the JUnit XML file) and the `--output DIR` writer that adds report.html.
//
// Every number is computed from the Results message alone, with the histogram's own quantile
// function (common/histogram.h), so the files agree with the text report and with each other.
// Stateless functions; safe to call from any thread.
#ifndef LOADSIM_MASTER_RESULTS_FILES_H_
#define LOADSIM_MASTER_RESULTS_FILES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "loadsim/v1/results.pb.h"

namespace loadsim {

// The derived numbers of one label: count, failures, mean, stddev, min, p50 (upper median),
// p90, p99, p99.9 and max in seconds, and count / `seconds` (0 when seconds <= 0).
// InvalidArgument if the histogram is malformed.
absl::StatusOr<v1::LabelSummary> SummarizeLabel(const v1::LabelStats& stats, double seconds);

// Replaces Results.summaries (one per Results.labels entry, rates over run.ran_seconds) and
// every PhaseResults.summaries (rates over the phase's end - start). Call it once, after the
// Results is complete and before writing any view.
absl::Status FillSummaries(v1::Results* results);

// results.json: the Results message in proto3 JSON, field names as in the .proto, default
// values included (so every key is always present), 64-bit integers as strings (proto3 JSON).
std::string ResultsJson(const v1::Results& results);
absl::Status WriteResultsJson(const v1::Results& results, const std::string& path);

// intervals.csv (RFC 4180, CRLF line ends): header
//   interval,start_s,end_s,phase,label,count,failures,mean_ms,p50_ms,p90_ms,p99_ms,max_ms,users
// then one row per interval per label of that interval, in interval then label order. The
// generator's scheduling lines (lag{...}, blocked{...}; worker/recorder.h) are included: they
// show when the generator itself fell behind; filter them out by their label prefix. An
// interval without any sample has one row with an empty label and zero counts, so `users`
// covers every interval. Latencies are milliseconds with 3 decimals (microsecond exact for
// quantiles and max); `phase` is the phase name, empty when the interval has no phase.
absl::StatusOr<std::string> IntervalsCsv(const v1::Results& results);
absl::Status WriteIntervalsCsv(const v1::Results& results, const std::string& path);

// JUnit XML for CI systems: suite "loadsim.labels" has one test case per request or operation
// label (scheduling lines excluded unless a verdict rule names them), failed when any verdict
// rule of that label failed; suite "loadsim.verdict" has one test case per verdict rule
// (VerdictResults.rules) and a final "verdict" case that fails when the run failed.
absl::StatusOr<std::string> JunitXml(const v1::Results& results);
absl::Status WriteJunit(const v1::Results& results, const std::string& path);

// Creates `dir` (and its parents) if needed and writes results.json, intervals.csv and
// report.html (RenderHtmlReport with `report_text`, the text report as printed). Errors name
// the directory or file and the reason.
absl::Status WriteOutputDir(const v1::Results& results, const std::string& dir,
                            absl::string_view report_text);

// Writes `content` to `path` (replacing it); the error names the path and the OS reason.
absl::Status WriteTextFile(const std::string& path, absl::string_view content);

}  // namespace loadsim

#endif  // LOADSIM_MASTER_RESULTS_FILES_H_
