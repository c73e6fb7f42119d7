#include "common/value.h"

namespace loadsim {

Value Value::Null(Location where) {
  Value v;
  v.type_ = Type::kNull;
  v.location_ = std::move(where);
  return v;
}

Value Value::String(std::string s, Location where) {
  Value v = Null(std::move(where));
  v.type_ = Type::kString;
  v.string_ = std::move(s);
  return v;
}

Value Value::Integer(int64_t i, Location where) {
  Value v = Null(std::move(where));
  v.type_ = Type::kInteger;
  v.integer_ = i;
  return v;
}

Value Value::Real(double d, Location where) {
  Value v = Null(std::move(where));
  v.type_ = Type::kReal;
  v.real_ = d;
  return v;
}

Value Value::Bool(bool b, Location where) {
  Value v = Null(std::move(where));
  v.type_ = Type::kBool;
  v.integer_ = b ? 1 : 0;
  return v;
}

Value Value::Date(std::string iso8601, Location where) {
  Value v = String(std::move(iso8601), std::move(where));
  v.type_ = Type::kDate;
  return v;
}

Value Value::Data(std::string bytes, Location where) {
  Value v = String(std::move(bytes), std::move(where));
  v.type_ = Type::kData;
  return v;
}

Value Value::Array(Location where) {
  Value v = Null(std::move(where));
  v.type_ = Type::kArray;
  return v;
}

Value Value::Dict(Location where) {
  Value v = Null(std::move(where));
  v.type_ = Type::kDict;
  return v;
}

double Value::number_value() const {
  return type_ == Type::kInteger ? static_cast<double>(integer_) : real_;
}

const Value* Value::Find(absl::string_view key) const {
  if (type_ != Type::kDict) return nullptr;
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == key) return &items_[i];
  }
  return nullptr;
}

void Value::Append(Value v) { items_.push_back(std::move(v)); }

bool Value::Insert(std::string key, Value v) {
  if (Find(key) != nullptr) return false;
  keys_.push_back(std::move(key));
  items_.push_back(std::move(v));
  return true;
}

const char* Value::TypeName(Type t) {
  switch (t) {
    case Type::kNull:
      return "null";
    case Type::kDict:
      return "dict";
    case Type::kArray:
      return "array";
    case Type::kString:
      return "string";
    case Type::kInteger:
      return "integer";
    case Type::kReal:
      return "real";
    case Type::kBool:
      return "boolean";
    case Type::kDate:
      return "date";
    case Type::kData:
      return "data";
  }
  return "?";
}

}  // namespace loadsim
