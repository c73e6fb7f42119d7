// Account loaders: build the list of user records the simulator logs in as, with
// CalendarServer's three loaders (spec section 1.2, "Account loaders", and Appendix A.2):
//
//   recordsFromCSVFile(path, interleavePods=false)  a CSV file of uid,password,commonName,email
//                                                   or uid,password,commonName,email,guid,pod
//   generateRecords(count, uidPattern, passwordPattern, namePattern, emailPattern,
//                   guidPattern, podPattern)        i = 1..count formatted into each pattern
//   recordsFromCount(count, uid, password, commonName, email)   the same with other defaults
//
// Record order is significant (the record index numbers users, partitions them across workers
// and picks invitees), so it is file order, or the pod-interleaved order if asked for.
// Unlike the original, the CSV reader accepts RFC 4180 quoting, CRLF line ends, a UTF-8 BOM, a
// header line and blank lines, and reports malformed lines instead of crashing (spec 9.4 item 4).
// Stateless functions; safe to call from any thread (each call needs its own Diagnostics).
#ifndef LOADSIM_COMMON_ACCOUNTS_H_
#define LOADSIM_COMMON_ACCOUNTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/diagnostics.h"
#include "common/value.h"
#include "loadsim/v1/run_spec.pb.h"

namespace loadsim {

struct LoadedAccounts {
  v1::AccountsSpec spec;
  std::vector<v1::Account> accounts;
};

// Largest `count` the generating loaders accept.
inline constexpr int64_t kMaxGeneratedAccounts = 100'000'000;

// Runs `loader` (a canonical short name, already resolved through the registry) with `params`
// (its params dict; nullptr if there is none). `where` locates the accounts dict (used for
// problems with no better location, such as a missing params dict), `key_path` names the params
// dict in messages ("accounts.params"). Relative CSV paths are resolved against the directory
// of the file that holds them and made absolute. Every problem goes to `diags`; unknown params
// keys are warnings. nullopt if there was any error.
std::optional<LoadedAccounts> LoadAccounts(absl::string_view loader, const Value* params,
                                           const Location& where, absl::string_view key_path,
                                           Diagnostics* diags);

// Parses the text of an accounts CSV file (the core of recordsFromCSVFile, separated so it can
// be tested and fuzzed without files). `file_name` is used only in messages. Rules:
//  * 4 columns uid,password,commonName,email or 6 columns with guid,pod added; every record has
//    the same number of columns;
//  * RFC 4180 fields: "quoted" fields may hold commas, newlines and doubled quotes (""); a quote
//    inside an unquoted field is taken literally;
//  * LF or CRLF line ends; a leading UTF-8 BOM and blank (or all-blank) lines are skipped;
//  * the first record is a header, and is skipped, if its first field is "uid" (any case) or all
//    its fields are column names; known names must then be in the column order above;
//  * a leading "mailto:" (any case) is removed from emails;
//  * every field must be valid UTF-8; a uid must be non-empty, without control characters, and
//    unique; at least one record is required.
// interleave_pods: records are grouped by pod in order of first appearance and then taken one
// from each pod in turn (a pod that runs out is skipped). The first error is returned as
// "file:line: message" with the line where the offending record starts.
absl::StatusOr<std::vector<v1::Account>> ParseAccountsCsv(absl::string_view text,
                                                          absl::string_view file_name,
                                                          bool interleave_pods);

// Reorders records round-robin across pods, pods in order of first appearance.
void InterleavePods(std::vector<v1::Account>* accounts);

// A Python %-format with exactly one integer conversion, as used by the generating loaders:
// literal text, "%%" for a percent sign, and one %[0][width]{d,i,x,X,o}. Immutable after Parse;
// thread-safe.
class IntPattern {
 public:
  // InvalidArgument (message without location) unless `pattern` has exactly one supported
  // conversion; `allow_constant` also accepts a pattern with no conversion at all.
  static absl::StatusOr<IntPattern> Parse(absl::string_view pattern, bool allow_constant = false);

  std::string Format(int64_t value) const;
  const std::string& pattern() const { return pattern_; }

 private:
  IntPattern() = default;

  std::string pattern_;
  std::string prefix_;  // literal text before the conversion, "%%" already unescaped
  std::string suffix_;  // literal text after it
  bool has_conversion_ = false;
  bool zero_pad_ = false;
  int width_ = 0;
  char conversion_ = 'd';
};

}  // namespace loadsim

#endif  // LOADSIM_COMMON_ACCOUNTS_H_
