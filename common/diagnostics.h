// Diagnostics: collects every error and warning found while reading configuration, so that a
// user sees all problems of a file at once instead of one per run.
//
// Each entry names where it was found (file:line) and the key path inside the file
// ("clients[0].profiles[1].params.interval"), then the problem. Not thread-safe: one
// Diagnostics belongs to one loading pass.
#ifndef LOADSIM_COMMON_DIAGNOSTICS_H_
#define LOADSIM_COMMON_DIAGNOSTICS_H_

#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/status.h"

namespace loadsim {

// A position in a configuration file. line is 1-based; 0 means "the file as a whole".
// column is 1-based where the reader knows it (PGL workloads); 0 means unknown.
struct Location {
  std::string file;
  int line = 0;
  int column = 0;

  std::string ToString() const;  // "file:line:column", "file:line" or "file"
};

struct Diagnostic {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;
  Location location;
  std::string key_path;  // may be empty
  std::string message;

  // "file:line: key.path: message" (warnings are prefixed with "warning: " after the location).
  std::string ToString() const;
};

class Diagnostics {
 public:
  void Error(const Location& where, absl::string_view key_path, absl::string_view message);
  void Warning(const Location& where, absl::string_view key_path, absl::string_view message);
  // Appends an error carried by a Status (its message is used verbatim).
  void AddStatus(const absl::Status& status);

  bool has_errors() const { return error_count_ > 0; }
  int error_count() const { return error_count_; }
  const std::vector<Diagnostic>& entries() const { return entries_; }
  std::vector<std::string> Warnings() const;

  // OK if there is no error; otherwise InvalidArgument whose message lists every error, one
  // per line, in the order found.
  absl::Status ToStatus() const;

 private:
  std::vector<Diagnostic> entries_;
  int error_count_ = 0;
};

// "file:line: key.path: message" as an InvalidArgument status.
absl::Status LocatedError(const Location& where, absl::string_view key_path,
                          absl::string_view message);

}  // namespace loadsim

#endif  // LOADSIM_COMMON_DIAGNOSTICS_H_
