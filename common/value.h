// Value: a configuration value tree that remembers where every value was written.
//
// Both the plist reader (common/plist.h) and the JSON reader (common/json.h) produce Values,
// so the configuration layer validates plist and JSON the same way and every message can
// name a file and line. Dict entries keep their file order. Values are immutable once built
// and safe to read from several threads.
#ifndef LOADSIM_COMMON_VALUE_H_
#define LOADSIM_COMMON_VALUE_H_

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"
#include <utility>
#include <vector>

#include "common/diagnostics.h"

namespace loadsim {

class Value {
 public:
  enum class Type { kNull, kDict, kArray, kString, kInteger, kReal, kBool, kDate, kData };

  Value() = default;
  static Value Null(Location where);
  static Value String(std::string s, Location where);
  static Value Integer(int64_t v, Location where);
  static Value Real(double v, Location where);
  static Value Bool(bool v, Location where);
  static Value Date(std::string iso8601, Location where);  // kept as written, validated
  static Value Data(std::string bytes, Location where);    // decoded bytes
  static Value Array(Location where);
  static Value Dict(Location where);

  Type type() const { return type_; }
  const Location& location() const { return location_; }
  bool is(Type t) const { return type_ == t; }
  bool is_number() const { return type_ == Type::kInteger || type_ == Type::kReal; }

  // Accessors. REQUIRES: the matching type (string_value also serves kDate and kData).
  const std::string& string_value() const { return string_; }
  int64_t integer_value() const { return integer_; }
  double real_value() const { return real_; }
  // kInteger or kReal as a double.
  double number_value() const;
  bool bool_value() const { return integer_ != 0; }

  // Arrays and dicts. For a dict, items()[i] is the value of keys()[i].
  const std::vector<Value>& items() const { return items_; }
  const std::vector<std::string>& keys() const { return keys_; }
  size_t size() const { return items_.size(); }

  // Dict lookup; nullptr when absent or when this is not a dict.
  const Value* Find(absl::string_view key) const;
  bool Has(absl::string_view key) const { return Find(key) != nullptr; }

  // Building. Append: REQUIRES kArray. Insert: REQUIRES kDict; returns false (and does not
  // insert) if the key is already present.
  void Append(Value v);
  bool Insert(std::string key, Value v);

  static const char* TypeName(Type t);
  const char* type_name() const { return TypeName(type_); }

 private:
  Type type_ = Type::kNull;
  Location location_;
  std::string string_;
  int64_t integer_ = 0;
  double real_ = 0;
  std::vector<std::string> keys_;
  std::vector<Value> items_;
};

}  // namespace loadsim

#endif  // LOADSIM_COMMON_VALUE_H_
