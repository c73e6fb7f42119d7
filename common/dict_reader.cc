#include "common/dict_reader.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/units.h"

namespace loadsim {

DictReader::DictReader(const Value* dict, std::string path, Diagnostics* diags)
    : path_(std::move(path)), diags_(diags) {
  if (dict == nullptr) return;
  location_ = dict->location();
  if (!dict->is(Value::Type::kDict)) {
    diags_->Error(dict->location(), path_,
                  absl::StrCat("expected a dict, found ", dict->type_name()));
    return;
  }
  dict_ = dict;
}

std::string DictReader::KeyPath(absl::string_view key) const {
  return path_.empty() ? std::string(key) : absl::StrCat(path_, ".", key);
}

Location DictReader::LocationOf(absl::string_view key) const {
  if (dict_ != nullptr) {
    if (const Value* v = dict_->Find(key)) return v->location();
  }
  return location_;
}

void DictReader::Error(absl::string_view key, absl::string_view message) {
  diags_->Error(LocationOf(key), KeyPath(key), message);
}

void DictReader::Warning(absl::string_view key, absl::string_view message) {
  diags_->Warning(LocationOf(key), KeyPath(key), message);
}

const Value* DictReader::Get(std::initializer_list<absl::string_view> spellings) {
  const Value* found = nullptr;
  absl::string_view found_key;
  for (absl::string_view key : spellings) {
    known_.insert(std::string(key));
    if (dict_ == nullptr) continue;
    const Value* v = dict_->Find(key);
    if (v == nullptr) continue;
    if (found == nullptr) {
      found = v;
      found_key = key;
    } else {
      Warning(key, absl::StrCat("also spelled '", found_key, "' at line ",
                                found->location().line, "; using '", found_key, "'"));
    }
  }
  return found;
}

const Value* DictReader::Require(absl::string_view key) {
  const Value* v = Get(key);
  if (v == nullptr && diags_ != nullptr) {
    diags_->Error(location_, KeyPath(key), "required key is missing");
  }
  return v;
}

bool DictReader::CheckType(const Value* v, absl::string_view key, Value::Type type) {
  if (v->is(type)) return true;
  Error(key, absl::StrCat("expected ", Value::TypeName(type), ", found ", v->type_name()));
  return false;
}

bool DictReader::Bool(std::initializer_list<absl::string_view> spellings, bool def) {
  const Value* v = Get(spellings);
  if (v == nullptr) return def;
  if (!v->is(Value::Type::kBool)) {
    diags_->Error(v->location(), KeyPath(*spellings.begin()),
                  absl::StrCat("expected boolean (<true/> or <false/>), found ", v->type_name()));
    return def;
  }
  return v->bool_value();
}

int64_t DictReader::Int(absl::string_view key, int64_t def, int64_t min, int64_t max) {
  const Value* v = Get(key);
  if (v == nullptr) return def;
  int64_t out;
  if (v->is(Value::Type::kInteger)) {
    out = v->integer_value();
  } else if (v->is(Value::Type::kReal) && v->real_value() == static_cast<int64_t>(v->real_value())) {
    out = static_cast<int64_t>(v->real_value());
  } else {
    Error(key, absl::StrCat("expected integer, found ", v->type_name()));
    return def;
  }
  if (out < min || out > max) {
    if (max == std::numeric_limits<int64_t>::max()) {
      Error(key, absl::StrCat("must be >= ", min, ", got ", out));
    } else {
      Error(key, absl::StrCat("must be between ", min, " and ", max, ", got ", out));
    }
    return def;
  }
  return out;
}

double DictReader::Number(absl::string_view key, double def, double min, double max) {
  const Value* v = Get(key);
  if (v == nullptr) return def;
  if (!v->is_number()) {
    Error(key, absl::StrCat("expected a number, found ", v->type_name()));
    return def;
  }
  double out = v->number_value();
  if (out < min || out > max) {
    Error(key, absl::StrFormat("must be between %g and %g, got %g", min, max, out));
    return def;
  }
  return out;
}

std::optional<double> DictReader::Ratio(absl::string_view key) {
  const Value* v = Get(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_number()) return v->number_value();
  if (v->is(Value::Type::kString)) {
    absl::StatusOr<double> r = ParseRatio(v->string_value());
    if (r.ok()) return *r;
    Error(key, r.status().message());
    return std::nullopt;
  }
  Error(key, absl::StrCat("expected a number or a percentage such as \"50%\", found ",
                          v->type_name()));
  return std::nullopt;
}

double DictReader::Seconds(absl::string_view key, double def, double min) {
  const Value* v = Get(key);
  if (v == nullptr) return def;
  double out;
  if (v->is_number()) {
    out = v->number_value();
  } else if (v->is(Value::Type::kString)) {
    absl::StatusOr<double> t = ParseTime(v->string_value());
    if (!t.ok()) {
      Error(key, t.status().message());
      return def;
    }
    out = *t;
  } else {
    Error(key, absl::StrCat("expected seconds (a number) or a time such as \"30s\", found ",
                            v->type_name()));
    return def;
  }
  if (out < min) {
    Error(key, absl::StrFormat("must be >= %g seconds, got %g", min, out));
    return def;
  }
  return out;
}

std::string DictReader::String(absl::string_view key, const std::string& def) {
  const Value* v = Get(key);
  if (v == nullptr) return def;
  if (!CheckType(v, key, Value::Type::kString)) return def;
  return v->string_value();
}

const Value* DictReader::Child(absl::string_view key, Value::Type type) {
  const Value* v = Get(key);
  if (v == nullptr) return nullptr;
  if (!CheckType(v, key, type)) return nullptr;
  return v;
}

void DictReader::WarnUnknownKeys() {
  if (dict_ == nullptr) return;
  for (size_t i = 0; i < dict_->keys().size(); ++i) {
    const std::string& key = dict_->keys()[i];
    if (known_.count(key) == 0) {
      diags_->Warning(dict_->items()[i].location(), KeyPath(key), "unknown key, ignored");
    }
  }
}

}  // namespace loadsim
