// Plist reader: parses an Apple XML property list (the format of CalendarServer's
// config.plist and clients.plist) into a Value tree whose every value knows its file and line.
//
// Supported elements: dict, array, string, integer, real, true, false, date, data. Rejected,
// with "file:line: key.path: message": malformed XML, unknown elements, a dict key without a
// value, duplicate keys, integers/reals/dates/data that do not parse. Stateless functions;
// safe to call from any thread.
#ifndef LOADSIM_COMMON_PLIST_H_
#define LOADSIM_COMMON_PLIST_H_

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "common/value.h"

namespace loadsim {

// Parses `text`; `file_name` is used only in locations and messages.
absl::StatusOr<Value> ParsePlist(absl::string_view text, absl::string_view file_name);

// Reads and parses a file. NotFound if it cannot be read.
absl::StatusOr<Value> ReadPlistFile(const std::string& path);

}  // namespace loadsim

#endif  // LOADSIM_COMMON_PLIST_H_
