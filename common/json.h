// JSON reader: parses a JSON document (thresholds.json, benchmarks.json) into the same Value
// tree the plist reader produces, so both formats are validated the same way and every value
// knows its file and the 1-based line where it starts.
//
// Objects become kDict (keys in file order), arrays kArray, strings kString, numbers kInteger
// when written as an integer literal that fits in int64 and kReal otherwise, true/false kBool,
// null kNull. Rejected, with "file:line: [key.path: ]message": malformed JSON (the reason from
// the parser), duplicate keys in an object, nesting deeper than kMaxJsonDepth, numbers too large
// for a double. Stateless functions; safe to call from any thread.
#ifndef LOADSIM_COMMON_JSON_H_
#define LOADSIM_COMMON_JSON_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/value.h"

namespace loadsim {

// Objects and arrays may nest this deep (the top-level value is depth 1).
inline constexpr int kMaxJsonDepth = 64;

// Parses `text` (UTF-8, an optional BOM is skipped); `file_name` is used only in locations and
// messages.
absl::StatusOr<Value> ParseJson(absl::string_view text, absl::string_view file_name);

// Reads and parses a file. NotFound / PermissionDenied if it cannot be read.
absl::StatusOr<Value> ReadJsonFile(const std::string& path);

}  // namespace loadsim

#endif  // LOADSIM_COMMON_JSON_H_
