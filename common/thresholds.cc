#include "common/thresholds.h"

#include <cmath>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/json.h"
#include "common/rules.h"
#include "common/units.h"

namespace loadsim {
namespace {

constexpr double kBuiltinLimits[] = {0.1, 0.5, 1.0, 3.0, 5.0, 10.0, 30.0};
constexpr char kBuiltinSource[] = "built-in";
constexpr char kDefaultLabel[] = "default";

v1::ThresholdTable BuiltinTable(std::initializer_list<double> default_row) {
  v1::ThresholdTable table;
  for (double limit : kBuiltinLimits) table.add_limits_seconds(limit);
  v1::ThresholdTable::Row* row = table.add_rows();
  row->set_label(kDefaultLabel);
  for (double p : default_row) row->add_percent(p);
  table.set_source(kBuiltinSource);
  return table;
}

std::string Join(absl::string_view path, absl::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
}

// Warns about every key of `dict` not in `known`.
void WarnUnknownKeys(const Value& dict, absl::string_view path,
                     std::initializer_list<absl::string_view> known, Diagnostics* diags) {
  for (size_t i = 0; i < dict.size(); ++i) {
    const std::string& key = dict.keys()[i];
    bool found = false;
    for (absl::string_view k : known) found = found || k == key;
    if (!found) {
      diags->Warning(
          dict.items()[i].location(), Join(path, key),
          absl::StrCat("unknown key ignored (expected ", absl::StrJoin(known, ", "), ")"));
    }
  }
}

bool ExpectType(const Value& v, Value::Type type, absl::string_view path, Diagnostics* diags) {
  if (v.is(type)) return true;
  diags->Error(v.location(), path,
               absl::StrCat("must be ", type == Value::Type::kDict ? "an object" : "an array",
                            " (found ", v.type_name(), ")"));
  return false;
}

// Error unless the whole document is an object; `expected` says what it should be.
bool ExpectDocumentObject(const Value& root, absl::string_view expected, Diagnostics* diags) {
  if (root.is(Value::Type::kDict)) return true;
  diags->Error(root.location(), "", absl::StrCat(expected, " (found ", root.type_name(), ")"));
  return false;
}

// A number, or an error naming the path.
std::optional<double> Number(const Value& v, absl::string_view path, Diagnostics* diags) {
  if (!v.is_number()) {
    diags->Error(v.location(), path, absl::StrCat("must be a number (found ", v.type_name(), ")"));
    return std::nullopt;
  }
  return v.number_value();
}

// The number under `key` of `dict` (whose key path is `path`), which must satisfy `valid`;
// nullopt (error reported) if it is missing, not a number or not valid. The error reads
// "<key> <value> <requirement>".
std::optional<double> RequiredNumber(const Value& dict, absl::string_view key,
                                     absl::string_view path, bool (*valid)(double),
                                     absl::string_view requirement, Diagnostics* diags) {
  const std::string key_path = Join(path, key);
  const Value* v = dict.Find(key);
  if (v == nullptr) {
    diags->Error(dict.location(), key_path, "required key is missing");
    return std::nullopt;
  }
  std::optional<double> x = Number(*v, key_path, diags);
  if (x && !valid(*x)) {
    diags->Error(v->location(), key_path, absl::StrCat(key, " ", *x, " ", requirement));
    return std::nullopt;
  }
  return x;
}

// Reads the "limits" array; nullopt (errors reported) if it is not valid.
std::optional<std::vector<double>> ReadLimits(const Value& v, const std::string& path,
                                              Diagnostics* diags) {
  if (!ExpectType(v, Value::Type::kArray, path, diags)) return std::nullopt;
  if (v.size() == 0) {
    diags->Error(v.location(), path, "must list at least one limit");
    return std::nullopt;
  }
  std::vector<double> limits;
  bool ok = true;
  for (size_t i = 0; i < v.size(); ++i) {
    const Value& item = v.items()[i];
    std::string item_path = absl::StrCat(path, "[", i, "]");
    std::optional<double> limit = Number(item, item_path, diags);
    if (!limit) {
      ok = false;
      continue;
    }
    if (!(*limit > 0)) {
      diags->Error(item.location(), item_path,
                   absl::StrCat("limit ", *limit, " must be a positive number of seconds"));
      ok = false;
    } else if (!limits.empty() && !(*limit > limits.back())) {
      diags->Error(item.location(), item_path,
                   absl::StrCat("limit ", *limit, " is not greater than the previous limit ",
                                limits.back(), " (limits must be strictly increasing)"));
      ok = false;
    }
    limits.push_back(*limit);
  }
  if (!ok) return std::nullopt;
  return limits;
}

// Reads one row of percentages into `row`; false (errors reported) if it is not valid.
// `limit_count` < 0: the limits are invalid, so the length is not checked.
bool ReadRow(const Value& v, const std::string& path, int limit_count, v1::ThresholdTable::Row* row,
             Diagnostics* diags) {
  if (!ExpectType(v, Value::Type::kArray, path, diags)) return false;
  bool ok = true;
  if (limit_count >= 0 && v.size() != static_cast<size_t>(limit_count)) {
    diags->Error(v.location(), path,
                 absl::StrCat("has ", v.size(), " values but limits has ", limit_count));
    ok = false;
  }
  for (size_t i = 0; i < v.size(); ++i) {
    const Value& item = v.items()[i];
    std::string item_path = absl::StrCat(path, "[", i, "]");
    std::optional<double> p = Number(item, item_path, diags);
    if (!p) {
      ok = false;
      continue;
    }
    if (!(*p >= 0 && *p <= 100)) {
      diags->Error(item.location(), item_path,
                   absl::StrCat(*p, " is not a percentage in [0, 100]"));
      ok = false;
      continue;
    }
    row->add_percent(*p);
  }
  return ok;
}

// Reads one section ("requests" or "operations"); nullopt (errors reported) if it is invalid.
std::optional<v1::ThresholdTable> ReadSection(const Value& section, const std::string& name,
                                              absl::string_view source, Diagnostics* diags) {
  if (!ExpectType(section, Value::Type::kDict, name, diags)) return std::nullopt;
  WarnUnknownKeys(section, name, {"limits", "thresholds"}, diags);
  const int errors_before = diags->error_count();

  v1::ThresholdTable table;
  table.set_source(std::string(source));
  int limit_count = -1;
  const Value* limits = section.Find("limits");
  if (limits == nullptr) {
    diags->Error(section.location(), Join(name, "limits"), "required key is missing");
  } else if (std::optional<std::vector<double>> values =
                 ReadLimits(*limits, Join(name, "limits"), diags)) {
    for (double limit : *values) table.add_limits_seconds(limit);
    limit_count = static_cast<int>(values->size());
  }

  const Value* rows = section.Find("thresholds");
  const std::string rows_path = Join(name, "thresholds");
  if (rows == nullptr) {
    diags->Error(section.location(), rows_path, "required key is missing");
  } else if (ExpectType(*rows, Value::Type::kDict, rows_path, diags)) {
    for (size_t i = 0; i < rows->size(); ++i) {
      v1::ThresholdTable::Row* row = table.add_rows();
      row->set_label(rows->keys()[i]);
      ReadRow(rows->items()[i], Join(rows_path, rows->keys()[i]), limit_count, row, diags);
    }
    if (!rows->Has(kDefaultLabel)) {
      diags->Error(rows->location(), rows_path,
                   "has no \"default\" row (used for every label without its own row)");
    }
  }
  if (diags->error_count() != errors_before) return std::nullopt;
  return table;
}

// Reads section `name` of `root` into `table`, or the built-in table if it is absent.
void ReadSectionOr(const Value& root, const std::string& name, v1::ThresholdTable (*builtin)(),
                   absl::string_view source, Diagnostics* diags, v1::ThresholdTable* table) {
  const Value* section = root.Find(name);
  if (section == nullptr) {
    *table = builtin();
  } else if (std::optional<v1::ThresholdTable> t = ReadSection(*section, name, source, diags)) {
    *table = *std::move(t);
  }
}

// A required non-empty string under `key` of `item`; nullptr (error reported) otherwise.
const Value* RequiredString(const Value& item, absl::string_view key, absl::string_view path,
                            Diagnostics* diags) {
  const Value* v = item.Find(key);
  const std::string key_path = Join(path, key);
  if (v == nullptr) {
    diags->Error(item.location(), key_path, "required key is missing");
  } else if (!v->is(Value::Type::kString) || v->string_value().empty()) {
    diags->Error(v->location(), key_path,
                 absl::StrCat("must be a non-empty string (found ", v->type_name(), ")"));
    v = nullptr;
  }
  return v;
}

// Reads one item of "rules" into `rule` (errors reported).
void ReadRule(const Value& item, const std::string& path, absl::string_view source,
              v1::RuleSpec* rule, Diagnostics* diags) {
  if (!ExpectType(item, Value::Type::kDict, path, diags)) return;
  WarnUnknownKeys(item, path, {"label", "expr", "min_samples", "abort_after"}, diags);
  rule->mutable_origin()->set_file(std::string(source));
  rule->mutable_origin()->set_line(item.location().line);
  if (const Value* label = RequiredString(item, "label", path, diags)) {
    rule->set_label(label->string_value());
  }
  if (const Value* expr = RequiredString(item, "expr", path, diags)) {
    absl::Status st = ParseRuleExpr(expr->string_value(), rule);
    if (!st.ok()) diags->Error(expr->location(), Join(path, "expr"), st.message());
    rule->set_min_samples(DefaultMinSamples(*rule));
  }
  if (const Value* min = item.Find("min_samples")) {
    const std::string key_path = Join(path, "min_samples");
    std::optional<double> n = Number(*min, key_path, diags);
    if (n && !(*n >= 0 && *n < 1e15 && std::floor(*n) == *n)) {
      diags->Error(min->location(), key_path,
                   absl::StrCat("min_samples ", *n, " must be a whole number >= 0"));
    } else if (n) {
      rule->set_min_samples(static_cast<uint64_t>(*n));
    }
  }
  if (const Value* abort = item.Find("abort_after")) {
    const std::string key_path = Join(path, "abort_after");
    if (!abort->is(Value::Type::kString)) {
      diags->Error(abort->location(), key_path,
                   absl::StrCat("must be a time such as \"30s\" (found ", abort->type_name(), ")"));
    } else if (absl::StatusOr<double> t = ParseTime(abort->string_value()); !t.ok()) {
      diags->Error(abort->location(), key_path, t.status().message());
    } else if (!(*t > 0)) {
      diags->Error(abort->location(), key_path,
                   absl::StrCat("\"", abort->string_value(), "\" must be a positive time"));
    } else {
      rule->set_abort_after_seconds(*t);
    }
  }
}

// Reads the optional top-level "rules" array into `out` (errors reported).
void ReadRules(const Value& root, absl::string_view source, Diagnostics* diags,
               v1::Thresholds* out) {
  const Value* rules = root.Find("rules");
  if (rules == nullptr || !ExpectType(*rules, Value::Type::kArray, "rules", diags)) return;
  for (size_t i = 0; i < rules->size(); ++i) {
    ReadRule(rules->items()[i], absl::StrCat("rules[", i, "]"), source, out->add_rules(), diags);
  }
}

// Reads `path` as JSON and validates it with `from_value`.
template <typename T>
std::optional<T> LoadJsonFile(const std::string& path, Diagnostics* diags,
                              std::optional<T> (*from_value)(const Value&, absl::string_view,
                                                             Diagnostics*)) {
  absl::StatusOr<Value> root = ReadJsonFile(path);
  if (!root.ok()) {
    diags->AddStatus(root.status());
    return std::nullopt;
  }
  return from_value(*root, path, diags);
}

}  // namespace

v1::ThresholdTable BuiltinOperationThresholds() {
  return BuiltinTable({100, 100, 100, 100, 100, 100, 100});
}

v1::ThresholdTable BuiltinRequestThresholds() {
  return BuiltinTable({100, 100, 100, 5, 1, 0.5, 0});
}

std::optional<v1::Thresholds> ThresholdsFromValue(const Value& root, absl::string_view source,
                                                  Diagnostics* diags) {
  if (!ExpectDocumentObject(
          root, "thresholds must be a JSON object with \"requests\" and/or \"operations\"",
          diags)) {
    return std::nullopt;
  }
  WarnUnknownKeys(root, "", {"requests", "operations", "rules"}, diags);
  const int errors_before = diags->error_count();
  v1::Thresholds out;
  ReadSectionOr(root, "requests", BuiltinRequestThresholds, source, diags, out.mutable_requests());
  ReadSectionOr(root, "operations", BuiltinOperationThresholds, source, diags,
                out.mutable_operations());
  ReadRules(root, source, diags, &out);
  if (diags->error_count() != errors_before) return std::nullopt;
  return out;
}

std::optional<v1::Thresholds> LoadThresholds(const std::string& path, Diagnostics* diags) {
  return LoadJsonFile(path, diags, ThresholdsFromValue);
}

std::optional<v1::Benchmarks> BenchmarksFromValue(const Value& root, absl::string_view source,
                                                  Diagnostics* diags) {
  if (!ExpectDocumentObject(root,
                            "benchmarks must be a JSON object of {\"<label>\": {\"mean\": "
                            "<seconds>, \"weight\": <w>}}",
                            diags)) {
    return std::nullopt;
  }
  const int errors_before = diags->error_count();
  v1::Benchmarks out;
  out.set_source(std::string(source));
  for (size_t i = 0; i < root.size(); ++i) {
    const std::string& label = root.keys()[i];
    const Value& entry = root.items()[i];
    if (!ExpectType(entry, Value::Type::kDict, label, diags)) continue;
    WarnUnknownKeys(entry, label, {"mean", "weight"}, diags);
    std::optional<double> mean = RequiredNumber(
        entry, "mean", label, [](double m) { return m > 0; },
        "must be a positive number of seconds", diags);
    std::optional<double> weight = RequiredNumber(
        entry, "weight", label, [](double w) { return w >= 0; }, "must not be negative", diags);
    if (mean && weight) {
      v1::Benchmark* benchmark = out.add_benchmarks();
      benchmark->set_label(label);
      benchmark->set_mean_seconds(*mean);
      benchmark->set_weight(*weight);
    }
  }
  if (diags->error_count() != errors_before) return std::nullopt;
  return out;
}

std::optional<v1::Benchmarks> LoadBenchmarks(const std::string& path, Diagnostics* diags) {
  return LoadJsonFile(path, diags, BenchmarksFromValue);
}

const v1::ThresholdTable::Row& ThresholdRowFor(const v1::ThresholdTable& table,
                                               absl::string_view label) {
  const v1::ThresholdTable::Row* fallback = nullptr;
  for (const v1::ThresholdTable::Row& row : table.rows()) {
    if (row.label() == label) return row;
    if (fallback == nullptr && row.label() == kDefaultLabel) fallback = &row;
  }
  if (fallback != nullptr) return *fallback;
  static const v1::ThresholdTable::Row* const kEmpty = new v1::ThresholdTable::Row();
  return *kEmpty;
}

}  // namespace loadsim
