#include "common/robot_config.h"

#include <cmath>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/distribution.h"
#include "common/distribution_config.h"
#include "common/pgl_schema.h"

namespace loadsim {
namespace {

// Largest popZipf skew accepted: U^skew underflows to 0 long before this matters.
constexpr double kMaxZipfSkew = 1000;

std::optional<double> Fraction(DictReader& d, absl::string_view key, bool zero_ok) {
  std::optional<double> f = d.Ratio(key);
  if (!f) return std::nullopt;
  if (!std::isfinite(*f) || *f < 0 || *f > 1 || (!zero_ok && *f == 0)) {
    d.Error(key, absl::StrCat("must be ", zero_ok ? "from 0%" : "above 0%",
                              " to 100% (a fraction), got ", *f * 100, "%"));
    return std::nullopt;
  }
  return f;
}

std::optional<v1::Distribution> TimeDistribution(DictReader& d, absl::string_view key) {
  const Value* v = d.Require(key);
  if (v == nullptr) return std::nullopt;
  return DistributionFromValue(*v, v1::VALUE_KIND_TIME, d.KeyPath(key), d.diags());
}

void ReadPopModel(DictReader& params, v1::RobotParams* r) {
  DictReader pm(params.Child("pop_model", Value::Type::kDict), params.KeyPath("pop_model"),
                params.diags());
  if (!pm.present()) return;
  v1::PopModel* model = r->mutable_pop_model();
  if (const Value* distr = pm.Require("pop_distr")) {
    if (!distr->is(Value::Type::kString)) {
      pm.Error("pop_distr", absl::StrCat("expected \"popUnif()\" or \"popZipf(skew)\", found ",
                                         distr->type_name()));
    } else if (absl::Status s = ParsePopDistr(distr->string_value(), model); !s.ok()) {
      pm.Error("pop_distr", s.message());
    }
  }
  model->set_hot_set_frac(Fraction(pm, "hot_set_frac", false).value_or(1.0));
  model->set_hot_set_prob(Fraction(pm, "hot_set_prob", true).value_or(0.0));
  RejectUnsupportedKeys(pm, "PopModel");
  pm.WarnUnknownKeys();
}

void ReadSession(DictReader& params, v1::RobotParams* r) {
  DictReader session(params.Child("session", Value::Type::kDict), params.KeyPath("session"),
                     params.diags());
  if (!session.present()) return;
  v1::SessionSpec* s = r->mutable_session();
  if (std::optional<v1::Distribution> busy = TimeDistribution(session, "busy_period")) {
    absl::StatusOr<NumberSampler> sampler = NumberSampler::Create(*busy);
    if (sampler.ok() && !(sampler->Mean() > 0)) {
      session.Error("busy_period", "must have a mean above 0 seconds");
    }
    *s->mutable_busy_period() = *std::move(busy);
  }
  if (std::optional<v1::Distribution> idle = TimeDistribution(session, "idle_period_duration")) {
    *s->mutable_idle_period_duration() = *std::move(idle);
  }
  RejectUnsupportedKeys(session, "Session");
  session.WarnUnknownKeys();
}

}  // namespace

absl::Status ParsePopDistr(absl::string_view text, v1::PopModel* model) {
  absl::string_view t = absl::StripAsciiWhitespace(text);
  if (t == "popUnif()" || t == "popUnif") {
    model->set_pop_distr("popUnif");
    model->set_zipf_skew(0);
    return absl::OkStatus();
  }
  if (absl::ConsumePrefix(&t, "popZipf(") && absl::ConsumeSuffix(&t, ")")) {
    double skew = 0;
    if (!absl::SimpleAtod(absl::StripAsciiWhitespace(t), &skew) || !std::isfinite(skew) ||
        skew <= 0 || skew > kMaxZipfSkew) {
      return absl::InvalidArgumentError(absl::StrCat(
          "popZipf(skew) needs a skew above 0 and at most ", kMaxZipfSkew, ", got \"", text, "\""));
    }
    model->set_pop_distr("popZipf");
    model->set_zipf_skew(skew);
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown popularity distribution \"", text,
                   "\"; expected popUnif() or popZipf(skew)"));
}

void ReadRobotWorkloadParams(DictReader& params, v1::RobotParams* r) {
  r->set_kind(params.String("kind", ""));
  r->set_recurrence(Fraction(params, "recurrence", true).value_or(0.0));
  ReadPopModel(params, r);
  r->set_working_set_length_seconds(params.Seconds("working_set_length", 0));
  r->set_working_set_cap(params.Int("working_set_cap", 0, 0));
  r->set_launch_win_seconds(params.Seconds("launch_win", 0));
  ReadSession(params, r);
  RejectUnsupportedKeys(params, "Robot");
  if (r->recurrence() > 0 && !r->has_pop_model()) {
    params.Error("recurrence",
                 "a positive recurrence needs a pop_model (e.g. { pop_distr: \"popUnif()\" }) to "
                 "choose which object to revisit");
  }
  if (r->recurrence() == 0) {
    if (r->has_pop_model()) {
      params.Warning("pop_model", "has no effect: recurrence is 0, so no request revisits");
    }
    for (const v1::Selector::Item& origin : r->origins().items()) {
      if (absl::StrContains(origin.value(), "{id}")) {
        params.Warning("origins",
                       absl::StrCat("'", origin.value(),
                                    "' contains {id}, but recurrence is 0: object ids are used "
                                    "only with a positive recurrence, so {id} is sent as written"));
        break;
      }
    }
  }
}

}  // namespace loadsim
