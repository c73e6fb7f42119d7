// DictReader: typed, located access to one dict of a configuration Value tree.
//
// Each getter reads a key (trying alternative spellings such as "Enabled"/"enabled"), checks
// its type and range, reports problems to Diagnostics with the key's file:line and full key
// path, returns the default when the key is absent, and remembers which keys were read so
// that WarnUnknownKeys() can flag misspellings. Not thread-safe; one reader per dict.
#ifndef LOADSIM_COMMON_DICT_READER_H_
#define LOADSIM_COMMON_DICT_READER_H_

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <set>
#include <string>

#include "absl/strings/string_view.h"
#include "common/diagnostics.h"
#include "common/value.h"

namespace loadsim {

class DictReader {
 public:
  // `dict` may be nullptr (the dict is absent: every getter returns its default) or a value of
  // another type (reported once as an error). `path` is this dict's key path ("" at the top).
  DictReader(const Value* dict, std::string path, Diagnostics* diags);

  bool present() const { return dict_ != nullptr; }
  const Location& location() const { return location_; }
  const std::string& path() const { return path_; }
  Diagnostics* diags() const { return diags_; }

  // "path.key" (or "key" at the top level).
  std::string KeyPath(absl::string_view key) const;

  // The value of the first spelling present, or nullptr; marks every spelling as known.
  // Warns when two spellings are both given.
  const Value* Get(std::initializer_list<absl::string_view> spellings);
  const Value* Get(absl::string_view key) { return Get({key}); }
  // Like Get, but an error if absent.
  const Value* Require(absl::string_view key);

  bool Bool(std::initializer_list<absl::string_view> spellings, bool def);
  int64_t Int(absl::string_view key, int64_t def, int64_t min = std::numeric_limits<int64_t>::min(),
              int64_t max = std::numeric_limits<int64_t>::max());
  double Number(absl::string_view key, double def,
                double min = -std::numeric_limits<double>::infinity(),
                double max = std::numeric_limits<double>::infinity());
  // A fraction: a number (0.55) or a percentage or number string ("55%", "0.55"); nullopt
  // when absent or after reporting a malformed value.
  std::optional<double> Ratio(absl::string_view key);
  // A duration in seconds: a number of seconds or a PGL time string ("30min").
  double Seconds(absl::string_view key, double def, double min = 0);
  std::string String(absl::string_view key, const std::string& def);
  // The child if present and of `type` (error if of another type), else nullptr.
  const Value* Child(absl::string_view key, Value::Type type);

  // Reports an error about `key` at the key's value location (or the dict's if absent).
  void Error(absl::string_view key, absl::string_view message);
  void Warning(absl::string_view key, absl::string_view message);

  // Marks a key as read without reading it.
  void MarkKnown(absl::string_view key) { known_.insert(std::string(key)); }
  // One warning per key that no getter asked for.
  void WarnUnknownKeys();

 private:
  Location LocationOf(absl::string_view key) const;
  bool CheckType(const Value* v, absl::string_view key, Value::Type type);

  const Value* dict_ = nullptr;
  Location location_;
  std::string path_;
  Diagnostics* diags_;
  std::set<std::string> known_;
};

}  // namespace loadsim

#endif  // LOADSIM_COMMON_DICT_READER_H_
