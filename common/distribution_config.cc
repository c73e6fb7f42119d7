#include "common/distribution_config.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/distribution.h"
#include "common/registry.h"
#include "common/units.h"

namespace loadsim {
namespace {

constexpr double kTwoPow53 = 9007199254740992.0;

// NearFutureDistribution: exp(N(7, 0.8)) seconds (median e^7, about 18 minutes).
constexpr double kNearFutureMu = 7.0;
constexpr double kNearFutureSigma = 0.8;
// WorkDistribution: N(6 work days, 4 work days) of 8-hour days, in seconds.
constexpr double kWorkOffsetMean = 8.0 * 3600 * 6;
constexpr double kWorkOffsetSd = 8.0 * 3600 * 4;

struct RecurrenceDef {
  const char* name;
  const char* rrule;
};
// Alphabetical, the order CalendarServer iterates the weights in.
const RecurrenceDef kRecurrenceRules[] = {
    {"daily", "FREQ=DAILY"},
    {"dailylimit", "FREQ=DAILY;COUNT=14"},
    {"monthly", "FREQ=MONTHLY"},
    {"none", ""},
    {"weekly", "FREQ=WEEKLY"},
    {"weeklylimit", "FREQ=WEEKLY;COUNT=4"},
    {"workdays", "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR"},
    {"yearly", "FREQ=YEARLY"},
};

const char* const kDayNames[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

struct PglShape {
  const char* name;
  int args;
  const char* usage;
};
const PglShape kPglShapes[] = {
    {"const", 1, "const(v)"},      {"unif", 2, "unif(lo, hi)"},   {"exp", 1, "exp(mean)"},
    {"norm", 2, "norm(mean, sd)"}, {"logn", 2, "logn(mean, sd)"}, {"zipf", 1, "zipf(N)"},
    {"seq", 1, "seq(start)"},
};

bool IsNumericKind(v1::ValueKind kind) {
  return kind == v1::VALUE_KIND_NUMBER || kind == v1::VALUE_KIND_TIME ||
         kind == v1::VALUE_KIND_SIZE;
}

Quantity::Kind UnitKindFor(v1::ValueKind kind) {
  switch (kind) {
    case v1::VALUE_KIND_TIME:
      return Quantity::kTime;
    case v1::VALUE_KIND_SIZE:
      return Quantity::kSize;
    default:
      return Quantity::kNumber;
  }
}

std::string Fmt(double v, v1::ValueKind kind) { return FormatQuantity(v, UnitKindFor(kind)); }

std::string Quote(absl::string_view text) {
  return absl::StrCat("\"", absl::CHexEscape(text), "\"");
}

std::string JoinPath(absl::string_view path, absl::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
}

// What to write instead, for a slot that takes no numbers.
std::string NonNumericHint(v1::ValueKind kind) {
  if (kind == v1::VALUE_KIND_DATETIME) {
    return "write {type: WorkDistribution or NearFutureDistribution, params: {...}}";
  }
  if (kind == v1::VALUE_KIND_RRULE) return "write {type: RecurrenceDistribution, params: {...}}";
  return "";
}

std::string DaysText(const v1::WorkShape& w) {
  bool days[7] = {};
  for (int d : w.days_of_week()) {
    if (d >= 0 && d < 7) days[d] = true;
  }
  std::vector<std::string> parts;
  for (int d = 0; d < 7;) {
    if (!days[d]) {
      ++d;
      continue;
    }
    int e = d;
    while (e + 1 < 7 && days[e + 1]) ++e;
    if (e - d >= 2) {
      parts.push_back(absl::StrCat(kDayNames[d], "-", kDayNames[e]));
    } else {
      for (int i = d; i <= e; ++i) parts.push_back(kDayNames[i]);
    }
    d = e + 1;
  }
  return absl::StrJoin(parts, ",");
}

// Reads one distribution written at a Value; reports problems to diags.
class Reader {
 public:
  Reader(v1::ValueKind expected, absl::string_view key_path, Diagnostics* diags)
      : expected_(expected), path_(key_path), diags_(diags) {}

  std::optional<v1::Distribution> Read(const Value& value) {
    const int errors_before = diags_->error_count();
    v1::Distribution d;
    d.set_kind(expected_);
    switch (value.type()) {
      case Value::Type::kDict:
        ReadDict(value, &d);
        break;
      case Value::Type::kString: {
        absl::StatusOr<v1::Distribution> parsed =
            ParsePglDistribution(value.string_value(), expected_);
        if (parsed.ok()) {
          d = *std::move(parsed);
        } else {
          Error(value, path_, parsed.status().message());
        }
        break;
      }
      case Value::Type::kInteger:
      case Value::Type::kReal:
        if (!IsNumericKind(expected_)) {
          Error(value, path_,
                absl::StrCat("a number cannot be a ", ValueKindLabel(expected_), " distribution; ",
                             NonNumericHint(expected_)));
          break;
        }
        d.mutable_constant()->set_value(value.number_value());
        break;
      default:
        Error(value, path_,
              absl::StrCat("expected a distribution (a dict {type, params}, a PGL string such "
                           "as \"exp(60s)\", or a number), got ",
                           value.type_name()));
        break;
    }
    if (diags_->error_count() == errors_before) CheckSampler(value, d);
    if (diags_->error_count() != errors_before) return std::nullopt;
    if (d.text().empty()) d.set_text(FormatDistribution(d));
    d.mutable_origin()->set_file(value.location().file);
    d.mutable_origin()->set_line(value.location().line);
    return d;
  }

 private:
  void Error(const Value& at, absl::string_view path, absl::string_view message) {
    diags_->Error(at.location(), path, message);
  }

  // Belt and braces: the sampler's own checks (overflow bounds and the like).
  void CheckSampler(const Value& value, const v1::Distribution& d) {
    absl::Status status;
    if (IsNumericKind(d.kind())) {
      status = NumberSampler::Create(d).status();
    } else if (d.kind() == v1::VALUE_KIND_DATETIME) {
      status = DateTimeSampler::Create(d).status();
    } else {
      status = RecurrenceSampler::Create(d).status();
    }
    if (!status.ok()) Error(value, path_, status.message());
  }

  // ---- dict form --------------------------------------------------------------------------

  void ReadDict(const Value& dict, v1::Distribution* d) {
    const Value* type = dict.Find("type");
    const std::string type_path = JoinPath(path_, "type");
    if (type == nullptr) {
      Error(dict, path_,
            "a distribution dict needs 'type' (e.g. LogNormalDistribution) and 'params'");
      return;
    }
    if (!type->is(Value::Type::kString)) {
      Error(*type, type_path, absl::StrCat("must be a string, got ", type->type_name()));
      return;
    }
    for (size_t i = 0; i < dict.keys().size(); ++i) {
      const std::string& key = dict.keys()[i];
      if (key != "type" && key != "params") {
        diags_->Warning(dict.items()[i].location(), JoinPath(path_, key),
                        "unknown key ignored (a distribution dict has 'type' and 'params')");
      }
    }
    absl::StatusOr<std::string> name = ResolveName(NameKind::kDistribution, type->string_value());
    if (!name.ok()) {
      Error(*type, type_path, name.status().message());
      return;
    }
    params_path_ = JoinPath(path_, "params");
    owner_ = &dict;
    params_ = dict.Find("params");
    if (params_ != nullptr && !params_->is(Value::Type::kDict)) {
      Error(*params_, params_path_, absl::StrCat("must be a dict, got ", params_->type_name()));
      return;
    }
    const bool wants_datetime = *name == "NearFutureDistribution" || *name == "WorkDistribution";
    const bool wants_rrule = *name == "RecurrenceDistribution";
    const v1::ValueKind produces = wants_datetime ? v1::VALUE_KIND_DATETIME
                                   : wants_rrule  ? v1::VALUE_KIND_RRULE
                                                  : v1::VALUE_KIND_NUMBER;
    if (wants_datetime != (expected_ == v1::VALUE_KIND_DATETIME) ||
        wants_rrule != (expected_ == v1::VALUE_KIND_RRULE) || !KnownKind()) {
      std::string hint = NonNumericHint(expected_);
      Error(*type, type_path,
            absl::StrCat(*name, " gives ",
                         IsNumericKind(produces) ? std::string("numbers")
                                                 : absl::StrCat(ValueKindLabel(produces), "s"),
                         "; this parameter takes a ", ValueKindLabel(expected_), " distribution",
                         hint.empty() ? "" : "; ", hint));
      return;
    }
    if (*name == "UniformDiscreteDistribution") {
      UniformDiscrete(d);
    } else if (*name == "UniformIntegerDistribution") {
      UniformInteger(d);
    } else if (*name == "NormalDistribution") {
      Normal(d);
    } else if (*name == "FixedDistribution") {
      Fixed(d);
    } else if (*name == "LogNormalDistribution") {
      LogNormal(d);
    } else if (*name == "NearFutureDistribution") {
      NearFuture(d);
    } else if (*name == "WorkDistribution") {
      Work(d);
    } else if (*name == "RecurrenceDistribution") {
      Recurrence(d);
    } else {
      Error(*type, type_path, absl::StrCat("distribution ", *name, " is not supported here"));
      return;
    }
    WarnUnknownParams(*name);
  }

  bool KnownKind() const {
    return expected_ >= v1::VALUE_KIND_NUMBER && expected_ <= v1::VALUE_KIND_RRULE;
  }

  const Value* Param(absl::string_view name) {
    if (std::find(known_params_.begin(), known_params_.end(), name) == known_params_.end()) {
      known_params_.emplace_back(name);
    }
    return params_ == nullptr ? nullptr : params_->Find(name);
  }
  std::string ParamPath(absl::string_view name) const { return JoinPath(params_path_, name); }
  // Where to point at for a missing parameter: the params dict, or the distribution dict.
  const Value& ParamsOrOwner() const { return params_ != nullptr ? *params_ : *owner_; }

  void Missing(absl::string_view name, absl::string_view why) {
    Error(ParamsOrOwner(), ParamPath(name), why);
  }

  void WarnUnknownParams(absl::string_view type) {
    if (params_ == nullptr) return;
    for (size_t i = 0; i < params_->keys().size(); ++i) {
      const std::string& key = params_->keys()[i];
      if (std::find(known_params_.begin(), known_params_.end(), key) != known_params_.end()) {
        continue;
      }
      diags_->Warning(
          params_->items()[i].location(), ParamPath(key),
          absl::StrCat("unknown parameter of ", type, " ignored (known: ",
                       known_params_.empty() ? "none" : absl::StrJoin(known_params_, ", "), ")"));
    }
  }

  // A number in the slot's unit: an integer, a real, or a string with a matching unit
  // ("5min" in a time slot). unitless: only plain numbers (e.g. lognormal mu and sigma).
  std::optional<double> Number(const Value& v, absl::string_view path, bool unitless = false) {
    if (v.is_number()) {
      if (!std::isfinite(v.number_value())) {
        Error(v, path, "must be finite");
        return std::nullopt;
      }
      return v.number_value();
    }
    if (!v.is(Value::Type::kString)) {
      Error(v, path, absl::StrCat("must be a number, got ", v.type_name()));
      return std::nullopt;
    }
    absl::StatusOr<Quantity> q = ParseQuantity(v.string_value());
    if (!q.ok()) {
      Error(v, path, q.status().message());
      return std::nullopt;
    }
    const Quantity::Kind want = unitless ? Quantity::kNumber : UnitKindFor(expected_);
    if (q->kind == Quantity::kNumber || q->kind == want) return q->value;
    Error(v, path,
          absl::StrCat(Quote(v.string_value()), " is a ", QuantityKindName(q->kind),
                       " but this parameter takes a ",
                       want == Quantity::kNumber ? "plain number" : QuantityKindName(want)));
    return std::nullopt;
  }

  // A required number parameter; nullopt (after an error) if absent or invalid.
  std::optional<double> Required(absl::string_view name, absl::string_view why,
                                 bool unitless = false) {
    const Value* v = Param(name);
    if (v == nullptr) {
      Missing(name, why);
      return std::nullopt;
    }
    return Number(*v, ParamPath(name), unitless);
  }

  bool Bool(absl::string_view name, bool fallback) {
    const Value* v = Param(name);
    if (v == nullptr) return fallback;
    if (!v->is(Value::Type::kBool)) {
      Error(*v, ParamPath(name), absl::StrCat("must be a boolean, got ", v->type_name()));
      return fallback;
    }
    return v->bool_value();
  }

  // A whole number within +/-2^53.
  bool Integral(const Value& at, absl::string_view path, double v) {
    if (std::floor(v) != v || std::fabs(v) >= kTwoPow53) {
      Error(at, path, absl::StrCat("must be a whole number, got ", FormatNumber(v)));
      return false;
    }
    return true;
  }

  // ---- the CalendarServer classes ---------------------------------------------------------

  void UniformDiscrete(v1::Distribution* d) {
    v1::UniformDiscreteShape* shape = d->mutable_uniform_discrete();
    shape->set_randomize(Bool("randomize", true));
    const Value* values = Param("values");
    if (values == nullptr) {
      Missing("values", "required: the list of values to draw from");
      return;
    }
    if (!values->is(Value::Type::kArray)) {
      Error(*values, ParamPath("values"),
            absl::StrCat("must be an array, got ", values->type_name()));
      return;
    }
    if (values->size() == 0) {
      Error(*values, ParamPath("values"), "must not be empty");
      return;
    }
    for (size_t i = 0; i < values->size(); ++i) {
      std::optional<double> v =
          Number(values->items()[i], absl::StrCat(ParamPath("values"), "[", i, "]"));
      if (v) shape->add_values(*v);
    }
  }

  void UniformInteger(v1::Distribution* d) {
    std::optional<double> lo = Required("min", "required (inclusive lower bound)");
    std::optional<double> hi = Required("max", "required (exclusive upper bound)");
    if (!lo || !hi) return;
    if (!Integral(*Param("min"), ParamPath("min"), *lo) ||
        !Integral(*Param("max"), ParamPath("max"), *hi)) {
      return;
    }
    if (*hi <= *lo) {
      Error(*Param("max"), ParamPath("max"),
            absl::StrCat("must be greater than min (", Fmt(*lo, expected_),
                         "); the range [min, max) excludes max"));
      return;
    }
    d->mutable_uniform_integer()->set_min(static_cast<int64_t>(*lo));
    d->mutable_uniform_integer()->set_max(static_cast<int64_t>(*hi));
    d->set_text(absl::StrCat("unif_int(", Fmt(*lo, expected_), ", ", Fmt(*hi, expected_), ")"));
  }

  void Normal(v1::Distribution* d) {
    std::optional<double> mu = Required("mu", "required (the mean)");
    std::optional<double> sigma = Required("sigma", "required (the standard deviation)");
    if (!mu || !sigma) return;
    if (*sigma < 0) {
      Error(*Param("sigma"), ParamPath("sigma"), "must be >= 0");
      return;
    }
    // CalendarServer redraws negative samples; refuse parameters where that rarely succeeds.
    const double p = *sigma == 0 ? (*mu >= 0 ? 1.0 : 0.0) : NormalCdf(*mu / *sigma);
    if (p < kMinAcceptProbability) {
      Error(*Param("mu"), ParamPath("mu"),
            absl::StrFormat("only %.3g%% of draws would be >= 0 (negative draws are redrawn); "
                            "at least 1%% is needed",
                            p * 100));
      return;
    }
    v1::NormalShape* shape = d->mutable_normal();
    shape->set_mean(*mu);
    shape->set_sd(*sigma);
    shape->set_non_negative(true);
  }

  void Fixed(v1::Distribution* d) {
    std::optional<double> v = Required("value", "required (the constant)");
    if (v) d->mutable_constant()->set_value(*v);
  }

  void LogNormal(v1::Distribution* d) {
    const Value* mu_v = Param("mu");
    const Value* sigma_v = Param("sigma");
    const Value* mode_v = Param("mode");
    const Value* median_v = Param("median");
    const Value* mean_v = Param("mean");
    const Value* max_v = Param("maximum");
    double mu = 0, sigma = 0;
    std::string text;
    if (mu_v != nullptr || sigma_v != nullptr) {
      if (mu_v == nullptr || sigma_v == nullptr) {
        const bool has_mu = mu_v != nullptr;
        Error(has_mu ? *mu_v : *sigma_v, ParamPath(has_mu ? "mu" : "sigma"),
              absl::StrCat("given without ", has_mu ? "sigma" : "mu",
                           "; give both mu and sigma, or mode with median or mean"));
        return;
      }
      for (const char* other : {"mode", "median", "mean"}) {
        if (const Value* v = Param(other); v != nullptr) {
          Error(*v, ParamPath(other),
                "conflicts with mu and sigma; give either mu and sigma, or mode with median "
                "or mean");
          return;
        }
      }
      std::optional<double> m = Number(*mu_v, ParamPath("mu"), /*unitless=*/true);
      std::optional<double> s = Number(*sigma_v, ParamPath("sigma"), /*unitless=*/true);
      if (!m || !s) return;
      if (*s < 0) {
        Error(*sigma_v, ParamPath("sigma"), "must be >= 0");
        return;
      }
      mu = *m;
      sigma = *s;
      text = absl::StrCat("logn(mu=", FormatNumber(mu), ", sigma=", FormatNumber(sigma));
    } else {
      if (mode_v == nullptr) {
        Missing("mode", "required: give mode with median or mean, or mu and sigma");
        return;
      }
      std::optional<double> mode = Number(*mode_v, ParamPath("mode"));
      if (!mode) return;
      if (!(*mode > 0)) {
        Error(*mode_v, ParamPath("mode"), "must be > 0");
        return;
      }
      if (median_v != nullptr && mean_v != nullptr) {
        Error(*mean_v, ParamPath("mean"), "give median or mean with mode, not both");
        return;
      }
      if (median_v == nullptr && mean_v == nullptr) {
        Missing("median", "mode needs median or mean");
        return;
      }
      const bool by_median = median_v != nullptr;
      const char* key = by_median ? "median" : "mean";
      const Value& other_v = by_median ? *median_v : *mean_v;
      std::optional<double> other = Number(other_v, ParamPath(key));
      if (!other) return;
      if (*other < *mode) {
        Error(other_v, ParamPath(key),
              absl::StrCat("must be >= mode (", Fmt(*mode, expected_), "); a lognormal's ", key,
                           " is never below its mode"));
        return;
      }
      // Float division throughout (CalendarServer r11831 truncated integer ratios).
      if (by_median) {
        // mode = e^(mu - sigma^2), median = e^mu.
        mu = std::log(*other);
        sigma = std::sqrt(std::log(*other / *mode));
      } else {
        // mode = e^(mu - sigma^2), mean = e^(mu + sigma^2 / 2): mean / mode = e^(3 sigma^2 / 2).
        const double s2 = (2.0 / 3.0) * std::log(*other / *mode);
        mu = std::log(*mode) + s2;
        sigma = std::sqrt(s2);
      }
      text =
          absl::StrCat("logn(mode=", Fmt(*mode, expected_), ", ", key, "=", Fmt(*other, expected_));
    }
    double maximum = 0;
    if (max_v != nullptr) {
      std::optional<double> m = Number(*max_v, ParamPath("maximum"));
      if (!m) return;
      if (!(*m > 0)) {
        Error(*max_v, ParamPath("maximum"), "must be > 0");
        return;
      }
      const double p =
          sigma == 0 ? (mu <= std::log(*m) ? 1.0 : 0.0) : NormalCdf((std::log(*m) - mu) / sigma);
      if (p < kMinAcceptProbability) {
        Error(*max_v, ParamPath("maximum"),
              absl::StrFormat("only %.3g%% of samples fall below it (larger samples are "
                              "redrawn); at least 1%% is needed",
                              p * 100));
        return;
      }
      maximum = *m;
      absl::StrAppend(&text, ", max=", Fmt(maximum, expected_));
    }
    v1::LogNormalShape* shape = d->mutable_lognormal();
    shape->set_mu(mu);
    shape->set_sigma(sigma);
    shape->set_maximum(maximum);
    d->set_text(text + ")");
  }

  void NearFuture(v1::Distribution* d) {
    d->mutable_near_future()->set_mu(kNearFutureMu);
    d->mutable_near_future()->set_sigma(kNearFutureSigma);
  }

  void Work(v1::Distribution* d) {
    v1::WorkShape* w = d->mutable_work();
    w->set_offset_mean_seconds(kWorkOffsetMean);
    w->set_offset_sd_seconds(kWorkOffsetSd);
    const Value* days = Param("daysOfWeek");
    if (days == nullptr) {
      for (int i = 1; i <= 5; ++i) w->add_days_of_week(i);
    } else if (!days->is(Value::Type::kArray)) {
      Error(*days, ParamPath("daysOfWeek"),
            absl::StrCat("must be an array of day names, got ", days->type_name()));
    } else if (days->size() == 0) {
      Error(*days, ParamPath("daysOfWeek"), "must name at least one day");
    } else {
      for (size_t i = 0; i < days->size(); ++i) {
        const Value& item = days->items()[i];
        const std::string path = absl::StrCat(ParamPath("daysOfWeek"), "[", i, "]");
        const std::string name =
            item.is(Value::Type::kString) ? absl::AsciiStrToLower(item.string_value()) : "";
        const auto* it = std::find(std::begin(kDayNames), std::end(kDayNames), name);
        if (it == std::end(kDayNames)) {
          Error(item, path,
                absl::StrCat(
                    "unknown day ",
                    item.is(Value::Type::kString) ? Quote(item.string_value()) : item.type_name(),
                    "; days are ", absl::StrJoin(kDayNames, ", ")));
          continue;
        }
        w->add_days_of_week(static_cast<int>(it - std::begin(kDayNames)));
      }
    }
    int hours[2] = {8, 17};
    const char* hour_keys[2] = {"beginHour", "endHour"};
    for (int i = 0; i < 2; ++i) {
      const Value* v = Param(hour_keys[i]);
      if (v == nullptr) continue;
      std::optional<double> h = Number(*v, ParamPath(hour_keys[i]), /*unitless=*/true);
      if (!h) return;
      if (!Integral(*v, ParamPath(hour_keys[i]), *h)) return;
      if (*h < 0 || *h > 24) {
        Error(*v, ParamPath(hour_keys[i]), "must be an hour from 0 to 24");
        return;
      }
      hours[i] = static_cast<int>(*h);
    }
    if (hours[0] >= hours[1]) {
      const Value* at = Param("endHour");
      Error(at != nullptr ? *at : ParamsOrOwner(), ParamPath("endHour"),
            absl::StrCat("must be later than beginHour (", hours[0], ")"));
      return;
    }
    w->set_begin_hour(hours[0]);
    w->set_end_hour(hours[1]);
    std::string tzname = "UTC";
    if (const Value* tz = Param("tzname"); tz != nullptr) {
      if (!tz->is(Value::Type::kString)) {
        Error(*tz, ParamPath("tzname"), absl::StrCat("must be a string, got ", tz->type_name()));
        return;
      }
      tzname = tz->string_value();
      absl::TimeZone zone;
      if (tzname.empty() || !absl::LoadTimeZone(tzname, &zone)) {
        Error(*tz, ParamPath("tzname"),
              absl::StrCat("unknown time zone ", Quote(tzname),
                           " (use an IANA name such as \"America/Los_Angeles\" or \"UTC\")"));
        return;
      }
    }
    w->set_tzname(tzname);
  }

  void Recurrence(v1::Distribution* d) {
    v1::RecurrenceShape* shape = d->mutable_recurrence();
    const bool allow = Bool("allowRecurrence", false);
    shape->set_allow(allow);
    const Value* weights = Param("weights");
    if (weights != nullptr && !weights->is(Value::Type::kDict)) {
      Error(*weights, ParamPath("weights"),
            absl::StrCat("must be a dict {rule: weight}, got ", weights->type_name()));
      return;
    }
    std::vector<std::string> names;
    for (const RecurrenceDef& r : kRecurrenceRules) names.push_back(r.name);
    double total = 0;
    const size_t n = weights == nullptr ? 0 : weights->size();
    for (size_t i = 0; i < n; ++i) {
      const std::string& name = weights->keys()[i];
      const Value& v = weights->items()[i];
      const std::string path = absl::StrCat(ParamPath("weights"), ".", name);
      const RecurrenceDef* def = nullptr;
      for (const RecurrenceDef& r : kRecurrenceRules) {
        if (name == r.name) def = &r;
      }
      if (def == nullptr) {
        Error(v, path,
              absl::StrCat("unknown recurrence rule; known: ", absl::StrJoin(names, ", ")));
        continue;
      }
      std::optional<double> weight = Number(v, path, /*unitless=*/true);
      if (!weight) continue;
      if (*weight < 0) {
        Error(v, path, "must be >= 0");
        continue;
      }
      total += *weight;
      v1::RecurrenceRule* rule = shape->add_rules();
      rule->set_name(name);
      rule->set_rrule(def->rrule);
      rule->set_weight(*weight);
    }
    std::sort(shape->mutable_rules()->begin(), shape->mutable_rules()->end(),
              [](const v1::RecurrenceRule& a, const v1::RecurrenceRule& b) {
                return a.name() < b.name();
              });
    if (allow && n > 0 && shape->rules_size() == static_cast<int>(n) && !(total > 0)) {
      Error(*weights, ParamPath("weights"),
            "allowRecurrence is true but every weight is 0; give at least one positive weight");
    } else if (allow && n == 0) {
      const Value* at = weights != nullptr ? weights : Param("allowRecurrence");
      Error(at != nullptr ? *at : ParamsOrOwner(), ParamPath("weights"),
            absl::StrCat("allowRecurrence is true but no weights are given; e.g. {none: 80, "
                         "weekly: 20}; rules: ",
                         absl::StrJoin(names, ", ")));
    }
  }

  const v1::ValueKind expected_;
  const std::string path_;
  Diagnostics* const diags_;
  // The dict being read (dict form only).
  const Value* owner_ = nullptr;
  const Value* params_ = nullptr;
  std::string params_path_;
  std::vector<std::string> known_params_;  // every parameter name the class looked at
};

absl::Status PglError(absl::string_view text, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat("PGL distribution ", Quote(text), ": ", message));
}

std::string PglUsages() {
  std::vector<std::string> u;
  for (const PglShape& s : kPglShapes) u.push_back(s.usage);
  return absl::StrJoin(u, ", ");
}

}  // namespace

absl::StatusOr<v1::Distribution> ParsePglDistribution(absl::string_view text,
                                                      v1::ValueKind expected) {
  const absl::string_view t = absl::StripAsciiWhitespace(text);
  if (!IsNumericKind(expected)) {
    return PglError(
        text, absl::StrCat("a PGL distribution gives numbers; this parameter takes "
                           "a ",
                           ValueKindLabel(expected), " distribution; ", NonNumericHint(expected)));
  }
  if (t.empty()) return PglError(text, absl::StrCat("empty; expected one of ", PglUsages()));
  absl::string_view name = "const";
  std::vector<absl::string_view> args;
  const size_t open = t.find('(');
  if (open == absl::string_view::npos) {
    args.push_back(t);  // a bare literal: a constant
  } else {
    name = absl::StripAsciiWhitespace(t.substr(0, open));
    if (t.back() != ')') {
      return PglError(text, "expected name(arguments), e.g. exp(60s), with nothing after ')'");
    }
    const absl::string_view inner = t.substr(open + 1, t.size() - open - 2);
    if (inner.find_first_of("()") != absl::string_view::npos) {
      return PglError(text, "unexpected parenthesis inside the arguments");
    }
    args = absl::StrSplit(inner, ',');
  }
  const PglShape* shape = nullptr;
  for (const PglShape& s : kPglShapes) {
    if (name == s.name) shape = &s;
  }
  if (shape == nullptr) {
    return PglError(text,
                    absl::StrCat("unknown distribution ", Quote(name), "; known: ", PglUsages()));
  }
  if (static_cast<int>(args.size()) != shape->args) {
    return PglError(text, absl::StrCat(shape->name, " takes ", shape->args, " argument",
                                       shape->args == 1 ? "" : "s", " (", shape->usage, "), got ",
                                       args.size()));
  }
  std::vector<double> a;
  bool has_unit = false;
  Quantity::Kind unit = Quantity::kNumber;
  for (size_t i = 0; i < args.size(); ++i) {
    absl::StatusOr<Quantity> q = ParseQuantity(args[i]);
    if (!q.ok()) {
      return PglError(text, absl::StrCat("argument ", i + 1, ": ", q.status().message()));
    }
    if (q->kind == Quantity::kRate) {
      return PglError(text, absl::StrCat("argument ", i + 1,
                                         " is a rate; distributions take numbers, times or "
                                         "sizes"));
    }
    if (q->kind == Quantity::kTime || q->kind == Quantity::kSize) {
      if (has_unit && q->kind != unit) {
        return PglError(text, "mixes times and sizes");
      }
      has_unit = true;
      unit = q->kind;
    }
    a.push_back(q->value);
  }
  const Quantity::Kind want = UnitKindFor(expected);
  if (has_unit && unit != want) {
    return PglError(text, absl::StrCat("is a ", QuantityKindName(unit),
                                       " distribution; this parameter takes a ",
                                       ValueKindLabel(expected), " distribution"));
  }
  v1::Distribution d;
  d.set_kind(expected);
  const absl::string_view n = shape->name;
  auto whole = [&](double v, absl::string_view what) -> absl::Status {
    if (std::floor(v) != v || std::fabs(v) >= kTwoPow53) {
      return PglError(text, absl::StrCat(what, " must be a whole number below 2^53"));
    }
    return absl::OkStatus();
  };
  if (n == "const") {
    d.mutable_constant()->set_value(a[0]);
  } else if (n == "unif") {
    if (a[1] < a[0]) return PglError(text, "hi must be >= lo");
    d.mutable_uniform()->set_lo(a[0]);
    d.mutable_uniform()->set_hi(a[1]);
  } else if (n == "exp") {
    if (!(a[0] > 0)) return PglError(text, "the mean must be > 0");
    d.mutable_exponential()->set_mean(a[0]);
  } else if (n == "norm") {
    if (a[1] < 0) return PglError(text, "sd must be >= 0");
    d.mutable_normal()->set_mean(a[0]);
    d.mutable_normal()->set_sd(a[1]);
  } else if (n == "logn") {
    if (!(a[0] > 0)) return PglError(text, "the mean must be > 0");
    if (a[1] < 0) return PglError(text, "sd must be >= 0");
    // mean and sd of the lognormal variable: sigma^2 = ln(1 + sd^2/mean^2),
    // mu = ln(mean) - sigma^2 / 2.
    const double cv = a[1] / a[0];
    const double s2 = std::log1p(cv * cv);
    if (!std::isfinite(s2)) return PglError(text, "sd is too large for the mean");
    d.mutable_lognormal()->set_mu(std::log(a[0]) - 0.5 * s2);
    d.mutable_lognormal()->set_sigma(std::sqrt(s2));
  } else if (n == "zipf") {
    if (absl::Status s = whole(a[0], "N"); !s.ok()) return s;
    if (a[0] < 1) return PglError(text, "N must be >= 1");
    d.mutable_zipf()->set_n(static_cast<int64_t>(a[0]));
  } else if (n == "seq") {
    if (absl::Status s = whole(a[0], "start"); !s.ok()) return s;
    d.mutable_sequential()->set_start(static_cast<int64_t>(a[0]));
  }
  std::vector<std::string> shown;
  for (double v : a) shown.push_back(Fmt(v, expected));
  d.set_text(absl::StrCat(n, "(", absl::StrJoin(shown, ", "), ")"));
  absl::Status valid = NumberSampler::Create(d).status();
  if (!valid.ok()) return PglError(text, valid.message());
  return d;
}

std::optional<v1::Distribution> DistributionFromValue(const Value& value, v1::ValueKind expected,
                                                      absl::string_view key_path,
                                                      Diagnostics* diags) {
  return Reader(expected, key_path, diags).Read(value);
}

std::string FormatDistribution(const v1::Distribution& d) {
  const v1::ValueKind k = d.kind();
  switch (d.shape_case()) {
    case v1::Distribution::kConstant:
      return absl::StrCat("const(", Fmt(d.constant().value(), k), ")");
    case v1::Distribution::kUniform:
      return absl::StrCat("unif(", Fmt(d.uniform().lo(), k), ", ", Fmt(d.uniform().hi(), k), ")");
    case v1::Distribution::kUniformInteger:
      return absl::StrCat("unif_int(", Fmt(static_cast<double>(d.uniform_integer().min()), k), ", ",
                          Fmt(static_cast<double>(d.uniform_integer().max()), k), ")");
    case v1::Distribution::kUniformDiscrete: {
      std::vector<std::string> values;
      for (double v : d.uniform_discrete().values()) values.push_back(Fmt(v, k));
      return absl::StrCat("discrete(", absl::StrJoin(values, ", "),
                          d.uniform_discrete().randomize() ? "" : "; in order", ")");
    }
    case v1::Distribution::kExponential:
      return absl::StrCat("exp(", Fmt(d.exponential().mean(), k), ")");
    case v1::Distribution::kNormal:
      return absl::StrCat("norm(", Fmt(d.normal().mean(), k), ", ", Fmt(d.normal().sd(), k),
                          d.normal().non_negative() ? "; non-negative" : "", ")");
    case v1::Distribution::kLognormal: {
      std::string out = absl::StrCat("logn(mu=", FormatNumber(d.lognormal().mu()),
                                     ", sigma=", FormatNumber(d.lognormal().sigma()));
      if (d.lognormal().maximum() > 0) {
        absl::StrAppend(&out, ", max=", Fmt(d.lognormal().maximum(), k));
      }
      return out + ")";
    }
    case v1::Distribution::kZipf:
      return absl::StrCat("zipf(", d.zipf().n(), ")");
    case v1::Distribution::kSequential:
      return absl::StrCat("seq(", d.sequential().start(), ")");
    case v1::Distribution::kNearFuture:
      return absl::StrCat("near_future(mu=", FormatNumber(d.near_future().mu()),
                          ", sigma=", FormatNumber(d.near_future().sigma()), ")");
    case v1::Distribution::kWork: {
      const v1::WorkShape& w = d.work();
      return absl::StrFormat("work(%s %02d:00-%02d:00 %s)", DaysText(w), w.begin_hour(),
                             w.end_hour(), w.tzname().empty() ? "UTC" : w.tzname());
    }
    case v1::Distribution::kRecurrence: {
      const v1::RecurrenceShape& r = d.recurrence();
      if (!r.allow() || r.rules_size() == 0) return "recurrence(none)";
      std::vector<std::string> parts;
      for (const v1::RecurrenceRule& rule : r.rules()) {
        parts.push_back(absl::StrCat(rule.name(), "=", FormatNumber(rule.weight())));
      }
      return absl::StrCat("recurrence(", absl::StrJoin(parts, ", "), ")");
    }
    case v1::Distribution::SHAPE_NOT_SET:
      break;
  }
  return "(no distribution)";
}

}  // namespace loadsim
