// Small file helpers shared by the configuration readers. Thread-safe (no state).
#ifndef LOADSIM_COMMON_FILE_UTIL_H_
#define LOADSIM_COMMON_FILE_UTIL_H_

#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"

namespace loadsim {

// The whole file as bytes; NotFound / PermissionDenied naming the path and the OS reason.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// `path` if absolute, else `path` joined to the directory holding `relative_to_file`.
std::string ResolvePath(absl::string_view path, absl::string_view relative_to_file);

// Maps byte offsets in a text to 1-based line numbers.
class LineIndex {
 public:
  explicit LineIndex(absl::string_view text);
  int LineOf(size_t offset) const;

 private:
  std::vector<size_t> line_starts_;
};

}  // namespace loadsim

#endif  // LOADSIM_COMMON_FILE_UTIL_H_
