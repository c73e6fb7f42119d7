#include "common/file_util.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace loadsim {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    std::string reason = err != 0 ? std::strerror(err) : "cannot open";
    if (err == EACCES) return absl::PermissionDeniedError(absl::StrCat(path, ": ", reason));
    return absl::NotFoundError(absl::StrCat(path, ": ", reason));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read error"));
  return buffer.str();
}

std::string ResolvePath(absl::string_view path, absl::string_view relative_to_file) {
  if (path.empty() || path.front() == '/') return std::string(path);
  size_t slash = relative_to_file.rfind('/');
  if (slash == absl::string_view::npos) return std::string(path);
  return absl::StrCat(relative_to_file.substr(0, slash + 1), path);
}

LineIndex::LineIndex(absl::string_view text) {
  line_starts_.push_back(0);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') line_starts_.push_back(i + 1);
  }
}

int LineIndex::LineOf(size_t offset) const {
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  return static_cast<int>(it - line_starts_.begin());
}

}  // namespace loadsim
