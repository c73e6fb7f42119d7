// Verdict rules beyond CalendarServer's "% over limit" tables: thresholds.json "rules" such as
// {"label": "PUT{event}", "expr": "p99 < 500ms"}. This file parses a rule's expression,
// evaluates a rule against a label's statistics (a rule cannot fail before the label has
// min_samples samples), applies a rule list to a whole label map ("*" = every judged label on
// its own), and provides AbortWatch, which ends a run when a rule with abort_after has been
// breached continuously that long (k6's abortOnFail with a grace time).
//
// Expression grammar: <metric> <op> <bound>, spaces optional.
//   metric: p<N> (0 < N < 100: p50, p90, p99, p99.9), mean, max (latencies: bound is a time
//           with a unit: 500ms, 0.5s, 2sec, 1min), failed (a fraction 0.01 or a percentage 1%),
//           rate (samples per second over the run: 10/sec, 600/min or a bare number), count.
//   op:     <, <=, >, >= (the rule passes when "observed op bound" holds).
//
// Functions are stateless and thread-safe; an AbortWatch is not thread-safe (one per run, fed
// by the master's loop).
#ifndef LOADSIM_COMMON_RULES_H_
#define LOADSIM_COMMON_RULES_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/histogram.h"
#include "loadsim/v1/results.pb.h"
#include "loadsim/v1/run_spec.pb.h"

namespace loadsim {

// Samples a latency or "failed" rule needs before it may fail, when min_samples is not given.
// Count and rate rules default to 0 (they are about the number of samples itself).
inline constexpr uint64_t kDefaultRuleMinSamples = 20;

// Label statistics by label: the same type as the worker's LabelMap (worker/recorder.h),
// spelled out because common_lib does not depend on worker_lib.
using RuleLabelMap = std::map<std::string, LabelRecorder, std::less<>>;

// Which labels a "*" rule judges (the master passes "not a scheduling label").
using LabelPredicate = std::function<bool(absl::string_view label)>;

// Parses `expr` into rule->metric, quantile, op and bound (rule->expr is set to `expr`).
// InvalidArgument naming the problem (no file or key: the caller adds them), e.g.
// `unknown metric "p1000" (expected p<N> with 0 < N < 100, mean, max, failed, rate, count)`.
absl::Status ParseRuleExpr(absl::string_view expr, v1::RuleSpec* rule);

// min_samples when the rule does not give one (see kDefaultRuleMinSamples).
uint64_t DefaultMinSamples(const v1::RuleSpec& rule);

// The metric as written in expressions: "p99", "p99.9", "mean", "failed", ...
std::string RuleMetricName(const v1::RuleSpec& rule);

// "(rule thresholds.json:14)": the file's base name and line, for messages.
std::string RuleOriginText(const v1::RuleSpec& rule);

struct RuleOutcome {
  std::string label;     // the label judged (a "*" rule has one outcome per label)
  double observed = 0;   // seconds (latencies), a fraction (failed), per second, or a count
  double bound = 0;      // the rule's bound, same unit
  uint64_t samples = 0;  // the label's sample count
  bool judged = false;   // false: fewer than min_samples samples (then passed is true)
  bool passed = true;
  // "PUT{event} p99 0.734 s is not < 0.5 s (rule thresholds.json:14)" when failed,
  // "PUT{event} p99 0.234 s < 0.5 s (rule ...)" when passed,
  // "PUT{event} p99: not enough samples (12 of 20), not judged (rule ...)" when not judged.
  std::string message;
};

// Judges `rule` on one label's statistics. The label named in messages is stats.label().
// `run_seconds` is the divisor of the rate metric (rate 0 when it is not positive).
RuleOutcome EvaluateRule(const v1::RuleSpec& rule, const LabelRecorder& stats,
                         double run_seconds);

// Every rule on `labels`, in rule order then label order. A "*" rule judges each label for
// which `judged(label)` is true; a named rule judges its label, with empty statistics when
// the label has none (so it is "not enough samples" unless min_samples is 0).
std::vector<RuleOutcome> EvaluateRules(const google::protobuf::RepeatedPtrField<v1::RuleSpec>& rules,
                                       const RuleLabelMap& labels, double run_seconds,
                                       absl::FunctionRef<bool(absl::string_view)> judged);

// The outcome as a verdict entry: kind "rule", label, passed, message, observed, limit.
v1::VerdictRule ToVerdictRule(const RuleOutcome& outcome);

// Watches the rules that have abort_after_seconds > 0 during a run. Update() is fed the
// run's cumulative statistics at each interval; a (rule, label) pair is breached while it
// is judged and fails; when a pair has failed at every update from time t0 up to now and
// now - t0 >= abort_after_seconds, Update returns the message to print and stop the run with.
class AbortWatch {
 public:
  AbortWatch(const google::protobuf::RepeatedPtrField<v1::RuleSpec>& rules, LabelPredicate judged);

  // True when no rule has abort_after: Update never fires, the master need not call it.
  bool empty() const { return watched_.empty(); }

  // `elapsed_seconds`: since the run start (also the rate metric's divisor). Returns the
  // abort message the first time a pair has been breached long enough, e.g.
  // "Aborted: PUT{event} p99 0.734 s is not < 0.5 s (rule thresholds.json:14) for 30 s
  // (abort_after 30s)"; nullopt otherwise, and always after it has fired once.
  std::optional<std::string> Update(const RuleLabelMap& cumulative, double elapsed_seconds);

  bool fired() const { return fired_; }

 private:
  struct Watched {
    v1::RuleSpec rule;
    std::map<std::string, double> breached_since;  // label -> elapsed time of the first breach
  };

  std::vector<Watched> watched_;
  LabelPredicate judged_;
  bool fired_ = false;
};

}  // namespace loadsim

#endif  // LOADSIM_COMMON_RULES_H_
