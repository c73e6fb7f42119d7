// PGL lexer: turns a PGL workload file into tokens, each with its file, line and column, and
// splices `#include "file"` in place (the path is relative to the including file; include
// cycles and runaway nesting are errors).
//
// Tokens: identifiers, numbers (an int such as 42, a float such as 0.5 or 1e3, a percentage
// such as 55% (a float, 0.55), a time such as 5min or 250ms, a size such as 13KB), double-quoted
// strings, and the punctuation ; , = { } [ ] ( ) : . + - * /. Comments are // to the end of the
// line and /* ... */. Unit suffixes are those of polygraph.md 4.2 A; an unknown suffix is an
// error, and so are Kb, Mb and Gb (PGL reads them as kilobits etc., easily mistaken for KB).
// Single-quoted PGL addresses are rejected (origins are URL strings here).
//
// Stateless functions; thread-safe as long as `read_file` is.
#ifndef LOADSIM_COMMON_PGL_LEXER_H_
#define LOADSIM_COMMON_PGL_LEXER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/diagnostics.h"

namespace loadsim {

struct PglToken {
  enum Kind {
    kIdent,
    kInt,     // int_value
    kFloat,   // number (percentages already divided by 100)
    kTime,    // number: seconds
    kSize,    // number: bytes
    kString,  // text: the unescaped contents
    kPunct,   // text: the character
    kEnd,
  };
  Kind kind = kEnd;
  std::string text;  // identifier, string contents, punctuation, or the literal as written
  int64_t int_value = 0;
  double number = 0;
  Location at;
};

// Reads a file's bytes; NotFound (or another error) if it cannot.
using PglFileReader = std::function<absl::StatusOr<std::string>(const std::string& path)>;

// The file reader used when none is given: the file system.
PglFileReader DiskFileReader();

// Every token of `text` (named `file_name` in locations) and of the files it includes, ending
// with one kEnd token. InvalidArgument "file:line:column: message" at the first problem.
absl::StatusOr<std::vector<PglToken>> LexPgl(absl::string_view text, const std::string& file_name,
                                             const PglFileReader& read_file);

// The same for a file read through `read_file`.
absl::StatusOr<std::vector<PglToken>> LexPglFile(const std::string& path,
                                                 const PglFileReader& read_file);

// "identifier", "number 5min", "\"text\"", "';'", "end of file": a token for messages.
std::string DescribeToken(const PglToken& token);

}  // namespace loadsim

#endif  // LOADSIM_COMMON_PGL_LEXER_H_
