#include "common/phases.h"

#include <algorithm>
#include <cmath>
#include <tuple>
#include <map>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/pgl_schema.h"
#include "common/units.h"

namespace loadsim {
namespace {

std::string Describe(const PhaseDraft& p) {
  return p.name.empty() ? "(unnamed)" : absl::StrCat("'", p.name, "'");
}

// Checks one factor pair after inheritance.
void CheckFactor(const PhaseDraft& p, absl::string_view what, double beg, double end,
                 bool populus, Diagnostics* diags) {
  for (double f : {beg, end}) {
    if (!std::isfinite(f) || f < 0 || (populus && f > 1)) {
      diags->Error(p.where, p.key_path,
                   absl::StrCat(what, " ", FormatFactor(f), " is out of range: ",
                                populus ? "a populus factor is from 0% to 100%"
                                        : "a load factor is 0% or more"));
      return;
    }
  }
  if (!populus && std::max(beg, end) > 1) {
    diags->Warning(p.where, p.key_path,
                   absl::StrCat(what, " above 100% (", FormatFactor(std::max(beg, end)),
                                ") multiplies every open-loop rate beyond its configured value "
                                "(Polygraph 4.x would reject it)"));
  }
}

std::optional<uint64_t> ReadCount(DictReader& d, absl::string_view key, int64_t min) {
  if (d.Get(key) == nullptr) return std::nullopt;
  int64_t v = d.Int(key, -1, min);
  if (v < min) return std::nullopt;
  return static_cast<uint64_t>(v);
}

std::optional<bool> ReadFlag(DictReader& d, absl::string_view key) {
  const Value* v = d.Get(key);
  if (v == nullptr) return std::nullopt;
  return d.Bool({key}, true);
}

PhaseDraft ReadPhase(const Value& item, const std::string& path, Diagnostics* diags) {
  PhaseDraft p;
  p.where = item.location();
  p.key_path = path;
  DictReader ph(&item, path, diags);
  if (!ph.present()) return p;
  const Value* name = ph.Require("name");
  if (name != nullptr) {
    if (name->is(Value::Type::kString)) {
      p.name = name->string_value();
    } else {
      ph.Error("name", absl::StrCat("expected string, found ", name->type_name()));
    }
  }
  DictReader goal(ph.Child("goal", Value::Type::kDict), ph.KeyPath("goal"), diags);
  if (goal.Get("duration") != nullptr) {
    double d = goal.Seconds("duration", -1);
    if (d >= 0) p.duration_seconds = d;
  }
  p.xactions = ReadCount(goal, "xactions", 0);
  p.errors = goal.Ratio("errors");
  if (p.errors && (!std::isfinite(*p.errors) || *p.errors < 0)) {
    goal.Error("errors", "must be >= 0 (below 1: a ratio of failed transactions; 1 and above: "
                         "a count)");
    p.errors.reset();
  }
  p.errors_min_sample = ReadCount(goal, "errors_min_sample", 1);
  RejectUnsupportedKeys(goal, "Goal");
  goal.WarnUnknownKeys();
  p.load_factor_beg = ph.Ratio("load_factor_beg");
  p.load_factor_end = ph.Ratio("load_factor_end");
  p.populus_factor_beg = ph.Ratio("populus_factor_beg");
  p.populus_factor_end = ph.Ratio("populus_factor_end");
  p.log_stats = ReadFlag(ph, "log_stats");
  p.synchronize = ReadFlag(ph, "synchronize");
  RejectUnsupportedKeys(ph, "Phase");
  ph.WarnUnknownKeys();
  return p;
}

}  // namespace

std::string FormatFactor(double factor) { return absl::StrFormat("%.6g%%", factor * 100); }

std::vector<v1::PhaseSpec> ResolvePhases(const std::vector<PhaseDraft>& schedule,
                                         Diagnostics* diags) {
  std::vector<v1::PhaseSpec> out;
  std::map<std::string, const PhaseDraft*> seen;
  double prev_load = 1.0;
  double prev_populus = 1.0;
  for (size_t i = 0; i < schedule.size(); ++i) {
    const PhaseDraft& p = schedule[i];
    v1::PhaseSpec spec;
    spec.set_name(p.name);
    spec.mutable_origin()->set_file(p.where.file);
    spec.mutable_origin()->set_line(p.where.line);
    if (p.name.empty()) {
      diags->Error(p.where, p.key_path, "a phase needs a non-empty name");
    } else if (std::any_of(p.name.begin(), p.name.end(),
                           [](char c) { return absl::ascii_isspace(static_cast<uint8_t>(c)); })) {
      diags->Error(p.where, p.key_path,
                   absl::StrCat("phase name '", p.name,
                                "' contains whitespace; names become console tokens "
                                "(i-<phase>, p-<phase>)"));
    } else if (auto it = seen.find(p.name); it != seen.end()) {
      diags->Error(p.where, p.key_path,
                   absl::StrCat("phase name '", p.name, "' is already used by ",
                                it->second->key_path, " at ", it->second->where.ToString(),
                                "; every scheduled phase needs its own name"));
    } else {
      seen.emplace(p.name, &p);
    }

    // Polygraph's "load preservation" rules.
    const double load_beg = p.load_factor_beg.value_or(prev_load);
    const double load_end = p.load_factor_end.value_or(load_beg);
    const double pop_beg = p.populus_factor_beg.value_or(prev_populus);
    const double pop_end = p.populus_factor_end.value_or(pop_beg);
    prev_load = load_end;
    prev_populus = pop_end;
    spec.set_load_factor_beg(load_beg);
    spec.set_load_factor_end(load_end);
    spec.set_populus_factor_beg(pop_beg);
    spec.set_populus_factor_end(pop_end);
    CheckFactor(p, "load_factor", load_beg, load_end, false, diags);
    CheckFactor(p, "populus_factor", pop_beg, pop_end, true, diags);

    v1::GoalSpec* goal = spec.mutable_goal();
    goal->set_duration_seconds(p.duration_seconds.value_or(0));
    goal->set_xactions(p.xactions.value_or(0));
    goal->set_errors(p.errors.value_or(0));
    goal->set_errors_min_sample(p.errors_min_sample.value_or(kDefaultErrorsMinSample));
    const bool positive_goal = goal->duration_seconds() > 0 || goal->xactions() > 0;
    for (const auto& [what, beg, end] :
         {std::make_tuple("load_factor", load_beg, load_end),
          std::make_tuple("populus_factor", pop_beg, pop_end)}) {
      if (beg != end && !positive_goal) {
        diags->Error(p.where, p.key_path,
                     absl::StrCat("phase ", Describe(p), " ramps ", what, " from ",
                                  FormatFactor(beg), " to ", FormatFactor(end),
                                  " but has no positive goal: a ramp needs goal.duration or "
                                  "goal.xactions > 0 to ramp over"));
      }
    }
    if (!positive_goal && i + 1 < schedule.size()) {
      diags->Warning(p.where, p.key_path,
                     absl::StrCat("phase ", Describe(p),
                                  " has no positive goal (duration or xactions): it never ends, "
                                  "so the phases after it never run"));
    }
    spec.set_log_stats(p.log_stats.value_or(true));
    spec.set_synchronize(p.synchronize.value_or(true));
    out.push_back(std::move(spec));
  }
  return out;
}

void ReadPhases(DictReader& top, Diagnostics* diags,
                google::protobuf::RepeatedPtrField<v1::PhaseSpec>* out) {
  const Value* phases = top.Child("phases", Value::Type::kArray);
  const Value* schedule = top.Child("schedule", Value::Type::kArray);
  if (phases == nullptr) {
    if (schedule != nullptr) {
      top.Error("schedule", "names phases, but there is no phases array to take them from");
    }
    return;
  }
  std::vector<PhaseDraft> defined;
  std::map<std::string, size_t> by_name;
  for (size_t i = 0; i < phases->size(); ++i) {
    PhaseDraft p = ReadPhase(phases->items()[i], absl::StrCat("phases[", i, "]"), diags);
    if (schedule != nullptr && !p.name.empty()) {
      auto [it, inserted] = by_name.emplace(p.name, i);
      if (!inserted) {
        diags->Error(p.where, p.key_path,
                     absl::StrCat("phase name '", p.name, "' is already used by ",
                                  defined[it->second].key_path, " at ",
                                  defined[it->second].where.ToString()));
      }
    }
    defined.push_back(std::move(p));
  }
  if (phases->size() == 0) {
    top.Error("phases", "is empty: give at least one phase, or leave the key out");
    return;
  }
  std::vector<PhaseDraft> order;
  if (schedule == nullptr) {
    order = defined;
  } else {
    std::vector<bool> used(defined.size(), false);
    for (size_t k = 0; k < schedule->size(); ++k) {
      const Value& item = schedule->items()[k];
      const std::string path = absl::StrCat("schedule[", k, "]");
      if (!item.is(Value::Type::kString)) {
        diags->Error(item.location(), path,
                     absl::StrCat("expected a phase name (string), found ", item.type_name()));
        continue;
      }
      auto it = by_name.find(item.string_value());
      if (it == by_name.end()) {
        diags->Error(item.location(), path,
                     absl::StrCat("no phase named '", item.string_value(), "' in phases"));
        continue;
      }
      if (used[it->second]) {
        diags->Error(item.location(), path,
                     absl::StrCat("phase '", item.string_value(),
                                  "' is scheduled twice; every scheduled phase needs its own "
                                  "name (copy it under another name)"));
        continue;
      }
      used[it->second] = true;
      order.push_back(defined[it->second]);
    }
    if (schedule->size() == 0) top.Error("schedule", "is empty: name at least one phase");
    for (size_t i = 0; i < defined.size(); ++i) {
      if (!used[i] && !defined[i].name.empty() && by_name[defined[i].name] == i) {
        diags->Warning(defined[i].where, defined[i].key_path,
                       absl::StrCat("phase '", defined[i].name,
                                    "' is not in the schedule; it will not run"));
      }
    }
  }
  for (v1::PhaseSpec& spec : ResolvePhases(order, diags)) *out->Add() = std::move(spec);
}

}  // namespace loadsim
