#include "common/diagnostics.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace loadsim {

std::string Location::ToString() const {
  if (line <= 0) return file;
  if (column > 0) return absl::StrCat(file, ":", line, ":", column);
  return absl::StrCat(file, ":", line);
}

std::string Diagnostic::ToString() const {
  std::string out = location.ToString();
  if (!out.empty()) out += ": ";
  if (severity == Severity::kWarning) out += "warning: ";
  if (!key_path.empty()) absl::StrAppend(&out, key_path, ": ");
  out += message;
  return out;
}

void Diagnostics::Error(const Location& where, absl::string_view key_path,
                        absl::string_view message) {
  entries_.push_back({Diagnostic::Severity::kError, where, std::string(key_path),
                      std::string(message)});
  ++error_count_;
}

void Diagnostics::Warning(const Location& where, absl::string_view key_path,
                          absl::string_view message) {
  entries_.push_back({Diagnostic::Severity::kWarning, where, std::string(key_path),
                      std::string(message)});
}

void Diagnostics::AddStatus(const absl::Status& status) {
  if (status.ok()) return;
  entries_.push_back({Diagnostic::Severity::kError, Location{}, "", std::string(status.message())});
  ++error_count_;
}

std::vector<std::string> Diagnostics::Warnings() const {
  std::vector<std::string> out;
  for (const Diagnostic& d : entries_) {
    if (d.severity == Diagnostic::Severity::kWarning) out.push_back(d.ToString());
  }
  return out;
}

absl::Status Diagnostics::ToStatus() const {
  if (error_count_ == 0) return absl::OkStatus();
  std::vector<std::string> lines;
  for (const Diagnostic& d : entries_) {
    if (d.severity == Diagnostic::Severity::kError) lines.push_back(d.ToString());
  }
  return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
}

absl::Status LocatedError(const Location& where, absl::string_view key_path,
                          absl::string_view message) {
  Diagnostic d{Diagnostic::Severity::kError, where, std::string(key_path), std::string(message)};
  return absl::InvalidArgumentError(d.ToString());
}

}  // namespace loadsim
