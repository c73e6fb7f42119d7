#include "common/rules.h"

#include <cmath>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/units.h"

namespace loadsim {
namespace {

constexpr char kMetricHint[] = "expected p<N> with 0 < N < 100, mean, max, failed, rate, count";
constexpr char kQuantile[] = "quantile";

bool IsLatency(absl::string_view metric) {
  return metric == kQuantile || metric == "mean" || metric == "max";
}

std::string Quote(absl::string_view s) { return absl::StrCat("\"", s, "\""); }

// Sets rule->metric (and quantile) from the metric's name; false if it is unknown.
bool SetMetric(absl::string_view name, v1::RuleSpec* rule) {
  for (absl::string_view known : {"mean", "max", "failed", "rate", "count"}) {
    if (name == known) {
      rule->set_metric(std::string(name));
      return true;
    }
  }
  if (name.size() < 2 || name[0] != 'p') return false;
  absl::string_view digits = name.substr(1);
  for (char c : digits) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '.') return false;
  }
  double n = 0;
  if (!absl::SimpleAtod(digits, &n) || !(n > 0 && n < 100)) return false;
  rule->set_metric(kQuantile);
  rule->set_quantile(n / 100.0);
  return true;
}

// The bound in the metric's unit, or why it is not valid.
absl::StatusOr<double> ParseBound(absl::string_view metric, absl::string_view text) {
  absl::StatusOr<double> v;
  if (IsLatency(metric)) {
    if (!absl::ascii_isalpha(static_cast<unsigned char>(text.back()))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bound ", Quote(text), ": a latency needs a unit (ms, s, sec, min), e.g. 500ms"));
    }
    v = ParseTime(text);
  } else if (metric == "failed") {
    v = ParseRatio(text);
    if (v.ok() && *v > 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bound ", Quote(text), " is not a fraction in [0, 1] or a percentage up to 100%"));
    }
  } else if (metric == "rate") {
    v = ParseRate(text);
  } else {  // count
    double n = 0;
    if (!absl::SimpleAtod(text, &n) || !(n >= 0) || std::floor(n) != n) {
      return absl::InvalidArgumentError(
          absl::StrCat("bound ", Quote(text), " must be a whole number >= 0"));
    }
    v = n;
  }
  if (!v.ok()) return v.status();
  if (*v < 0) {
    return absl::InvalidArgumentError(absl::StrCat("bound ", Quote(text), " must not be negative"));
  }
  return v;
}

bool Holds(absl::string_view op, double observed, double bound) {
  if (op == "<") return observed < bound;
  if (op == "<=") return observed <= bound;
  if (op == ">") return observed > bound;
  return observed >= bound;  // ">="
}

double Observed(const v1::RuleSpec& rule, const LabelRecorder& stats, double run_seconds) {
  const std::string& m = rule.metric();
  if (m == kQuantile) return static_cast<double>(stats.ValueAtQuantileUs(rule.quantile())) / 1e6;
  if (m == "mean") return stats.MeanUs() / 1e6;
  if (m == "max") return static_cast<double>(stats.max_us()) / 1e6;
  if (m == "failed") {
    return stats.count() ? static_cast<double>(stats.failures()) / stats.count() : 0.0;
  }
  if (m == "rate") return run_seconds > 0 ? stats.count() / run_seconds : 0.0;
  return static_cast<double>(stats.count());
}

// A value of the rule's metric with its unit; observed values get 4 significant digits,
// bounds are shown as written (%g).
std::string FormatValue(absl::string_view metric, double v, bool observed) {
  if (metric == "count") return absl::StrFormat("%.0f", v);
  if (metric == "failed") v *= 100;
  const std::string number = observed ? absl::StrFormat("%.4g", v) : absl::StrFormat("%g", v);
  if (IsLatency(metric)) return absl::StrCat(number, " s");
  return absl::StrCat(number, metric == "failed" ? "%" : "/s");
}

// Appends the outcomes of one rule: one per judged label for "*", else one for its label.
void AppendOutcomes(const v1::RuleSpec& rule, const RuleLabelMap& labels, double run_seconds,
                    absl::FunctionRef<bool(absl::string_view)> judged,
                    std::vector<RuleOutcome>* out) {
  if (rule.label() == "*") {
    for (const auto& [label, stats] : labels) {
      if (judged(label)) out->push_back(EvaluateRule(rule, stats, run_seconds));
    }
    return;
  }
  auto it = labels.find(rule.label());
  out->push_back(it != labels.end()
                     ? EvaluateRule(rule, it->second, run_seconds)
                     : EvaluateRule(rule, LabelRecorder(rule.label()), run_seconds));
}

}  // namespace

absl::Status ParseRuleExpr(absl::string_view expr, v1::RuleSpec* rule) {
  rule->set_expr(std::string(expr));
  absl::string_view t = absl::StripAsciiWhitespace(expr);
  if (t.empty()) {
    return absl::InvalidArgumentError(
        "empty expression (expected <metric> <op> <bound>, e.g. \"p99 < 500ms\")");
  }
  size_t i = 0;
  while (i < t.size() && (absl::ascii_isalnum(static_cast<unsigned char>(t[i])) || t[i] == '.')) {
    ++i;
  }
  const absl::string_view metric = t.substr(0, i);
  if (metric.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Quote(t), " does not start with a metric (", kMetricHint, ")"));
  }
  if (!SetMetric(metric, rule)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown metric ", Quote(metric), " (", kMetricHint, ")"));
  }
  absl::string_view rest = absl::StripLeadingAsciiWhitespace(t.substr(i));
  absl::string_view op;
  for (absl::string_view candidate : {"<=", ">=", "<", ">"}) {
    if (absl::StartsWith(rest, candidate)) {
      op = candidate;
      break;
    }
  }
  if (op.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("expected an operator (<, <=, >, >=) after ",
                                                   Quote(metric), " in ", Quote(t)));
  }
  rule->set_op(std::string(op));
  const absl::string_view bound_text = absl::StripLeadingAsciiWhitespace(rest.substr(op.size()));
  if (bound_text.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("missing the bound after ", Quote(op), " in ", Quote(t)));
  }
  absl::StatusOr<double> bound = ParseBound(rule->metric(), bound_text);
  if (!bound.ok()) return bound.status();
  rule->set_bound(*bound);
  return absl::OkStatus();
}

uint64_t DefaultMinSamples(const v1::RuleSpec& rule) {
  return rule.metric() == "count" || rule.metric() == "rate" ? 0 : kDefaultRuleMinSamples;
}

std::string RuleMetricName(const v1::RuleSpec& rule) {
  if (rule.metric() == kQuantile) return absl::StrFormat("p%g", rule.quantile() * 100);
  return rule.metric();
}

std::string RuleOriginText(const v1::RuleSpec& rule) {
  const std::string& file = rule.origin().file();
  if (file.empty()) return absl::StrCat("(rule ", Quote(rule.expr()), ")");
  const size_t slash = file.rfind('/');
  return absl::StrCat("(rule ", slash == std::string::npos ? file : file.substr(slash + 1), ":",
                      rule.origin().line(), ")");
}

RuleOutcome EvaluateRule(const v1::RuleSpec& rule, const LabelRecorder& stats,
                         double run_seconds) {
  RuleOutcome out;
  out.label = stats.label();
  out.samples = stats.count();
  out.bound = rule.bound();
  const std::string metric = RuleMetricName(rule);
  const std::string origin = RuleOriginText(rule);
  if (stats.count() < rule.min_samples()) {
    out.message = absl::StrCat(out.label, " ", metric, ": not enough samples (", stats.count(),
                               " of ", rule.min_samples(), "), not judged ", origin);
    return out;
  }
  out.judged = true;
  out.observed = Observed(rule, stats, run_seconds);
  out.passed = Holds(rule.op(), out.observed, rule.bound());
  out.message = absl::StrCat(out.label, " ", metric, " ",
                             FormatValue(rule.metric(), out.observed, true),
                             out.passed ? " " : " is not ", rule.op(), " ",
                             FormatValue(rule.metric(), rule.bound(), false), " ", origin);
  return out;
}

std::vector<RuleOutcome> EvaluateRules(const google::protobuf::RepeatedPtrField<v1::RuleSpec>& rules,
                                       const RuleLabelMap& labels, double run_seconds,
                                       absl::FunctionRef<bool(absl::string_view)> judged) {
  std::vector<RuleOutcome> out;
  for (const v1::RuleSpec& rule : rules) AppendOutcomes(rule, labels, run_seconds, judged, &out);
  return out;
}

v1::VerdictRule ToVerdictRule(const RuleOutcome& outcome) {
  v1::VerdictRule v;
  v.set_kind("rule");
  v.set_label(outcome.label);
  v.set_passed(outcome.passed);
  v.set_message(outcome.message);
  v.set_observed(outcome.observed);
  v.set_limit(outcome.bound);
  return v;
}

AbortWatch::AbortWatch(const google::protobuf::RepeatedPtrField<v1::RuleSpec>& rules,
                       LabelPredicate judged)
    : judged_(std::move(judged)) {
  for (const v1::RuleSpec& rule : rules) {
    if (rule.abort_after_seconds() > 0) watched_.push_back(Watched{rule, {}});
  }
}

std::optional<std::string> AbortWatch::Update(const RuleLabelMap& cumulative,
                                              double elapsed_seconds) {
  if (fired_) return std::nullopt;
  for (Watched& w : watched_) {
    std::vector<RuleOutcome> outcomes;
    AppendOutcomes(w.rule, cumulative, elapsed_seconds, judged_, &outcomes);
    for (const RuleOutcome& o : outcomes) {
      if (!o.judged || o.passed) {
        w.breached_since.erase(o.label);
        continue;
      }
      const double since = w.breached_since.emplace(o.label, elapsed_seconds).first->second;
      if (elapsed_seconds - since >= w.rule.abort_after_seconds()) {
        fired_ = true;
        return absl::StrFormat("Aborted: %s for %g s (abort_after %s)", o.message,
                               elapsed_seconds - since, FormatTime(w.rule.abort_after_seconds()));
      }
    }
  }
  return std::nullopt;
}

}  // namespace loadsim
