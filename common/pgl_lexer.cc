#include "common/pgl_lexer.h"

#include <cmath>
#include <filesystem>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/file_util.h"
#include "common/units.h"

namespace loadsim {
namespace {

constexpr int kMaxIncludeDepth = 16;
constexpr size_t kMaxTokens = 1000000;
constexpr size_t kMaxFileBytes = 8 << 20;
constexpr char kPunctuation[] = ";,={}[]():.+-*/";

bool IsIdentStart(char c) { return absl::ascii_isalpha(static_cast<uint8_t>(c)) || c == '_'; }
bool IsIdentChar(char c) { return absl::ascii_isalnum(static_cast<uint8_t>(c)) || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

absl::Status ErrorAt(const Location& at, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(at.ToString(), ": ", message));
}

// A number literal with its suffix, e.g. "5min", "0.5", "55%", "13KB".
absl::Status NumberToken(absl::string_view literal, absl::string_view digits,
                         absl::string_view suffix, PglToken* tok) {
  tok->text = std::string(literal);
  const bool integral = digits.find_first_of(".eE") == absl::string_view::npos;
  if (suffix.empty()) {
    if (integral) {
      if (!absl::SimpleAtoi(digits, &tok->int_value)) {
        return ErrorAt(tok->at, absl::StrCat("integer ", literal, " is too large"));
      }
      tok->kind = PglToken::kInt;
      return absl::OkStatus();
    }
    if (!absl::SimpleAtod(digits, &tok->number) || !std::isfinite(tok->number)) {
      return ErrorAt(tok->at, absl::StrCat("number ", literal, " is out of range"));
    }
    tok->kind = PglToken::kFloat;
    return absl::OkStatus();
  }
  if (suffix == "%") {
    absl::StatusOr<double> r = ParseRatio(literal);
    if (!r.ok() || !std::isfinite(*r)) {
      return ErrorAt(tok->at, absl::StrCat("percentage ", literal, " is out of range"));
    }
    tok->kind = PglToken::kFloat;
    tok->number = *r;
    return absl::OkStatus();
  }
  if (suffix == "Kb" || suffix == "Mb" || suffix == "Gb") {
    return ErrorAt(tok->at,
                   absl::StrCat("size suffix ", suffix, " in ", literal,
                                " is refused: PGL reads it as kilo/mega/gigabits (1Kb = 128 "
                                "bytes), easily mistaken for bytes; write ",
                                suffix.substr(0, 1), "B (1024-based bytes) or ", suffix.substr(0, 1),
                                "bit if bits are meant"));
  }
  if (absl::StatusOr<double> t = ParseTime(literal); t.ok()) {
    tok->kind = PglToken::kTime;
    tok->number = *t;
    return absl::OkStatus();
  }
  absl::StatusOr<double> s = ParseSize(literal);
  if (s.ok()) {
    tok->kind = PglToken::kSize;
    tok->number = *s;
    return absl::OkStatus();
  }
  if (absl::StrContains(s.status().message(), "unknown suffix")) {
    return ErrorAt(tok->at,
                   absl::StrCat("unknown unit suffix '", suffix, "' in ", literal,
                                "; times take ms, msec, s, sec, min, hour, hr, day, year; sizes "
                                "take Byte, Bytes, KB, MB, GB, KByte, MByte, GByte, bit, Kbit, "
                                "Mbit, Gbit; a percentage takes %"));
  }
  return ErrorAt(tok->at, s.status().message());
}

class Lexer {
 public:
  Lexer(const PglFileReader& read_file, std::vector<PglToken>* out)
      : read_file_(read_file), out_(out) {}

  absl::Status LexFile(const std::string& path, const Location* included_at) {
    absl::StatusOr<std::string> text = read_file_(path);
    if (!text.ok()) {
      if (included_at == nullptr) return text.status();
      return ErrorAt(*included_at,
                     absl::StrCat("cannot include \"", path, "\": ", text.status().message()));
    }
    return Lex(*text, path);
  }

  absl::Status Lex(absl::string_view text, const std::string& file) {
    if (text.size() > kMaxFileBytes) {
      return ErrorAt(Location{file, 0, 0}, "file is larger than 8 MiB");
    }
    stack_.push_back(Canonical(file));
    size_t i = 0;
    int line = 1;
    size_t line_start = 0;
    bool line_has_token = false;
    auto at = [&](size_t offset) {
      return Location{file, line, static_cast<int>(offset - line_start) + 1};
    };
    while (i < text.size()) {
      const char c = text[i];
      if (c == '\n') {
        ++i;
        ++line;
        line_start = i;
        line_has_token = false;
        continue;
      }
      if (absl::ascii_isspace(static_cast<uint8_t>(c))) {
        ++i;
        continue;
      }
      if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
        while (i < text.size() && text[i] != '\n') ++i;
        continue;
      }
      if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
        const Location start = at(i);
        i += 2;
        bool closed = false;
        while (i < text.size()) {
          if (text[i] == '*' && i + 1 < text.size() && text[i + 1] == '/') {
            i += 2;
            closed = true;
            break;
          }
          if (text[i] == '\n') {
            ++line;
            line_start = i + 1;
          }
          ++i;
        }
        if (!closed) return ErrorAt(start, "unterminated /* comment");
        continue;
      }
      if (out_->size() >= kMaxTokens) {
        return ErrorAt(at(i), absl::StrCat("more than ", kMaxTokens, " tokens"));
      }
      PglToken tok;
      tok.at = at(i);
      if (c == '#') {
        if (line_has_token) return ErrorAt(tok.at, "'#' must start a line (#include \"file\")");
        size_t j = i + 1;
        while (j < text.size() && IsIdentChar(text[j])) ++j;
        const absl::string_view directive = text.substr(i + 1, j - i - 1);
        if (directive != "include") {
          return ErrorAt(tok.at, absl::StrCat("unknown directive #", directive,
                                              "; only #include \"file\" is supported"));
        }
        while (j < text.size() && (text[j] == ' ' || text[j] == '\t')) ++j;
        if (j >= text.size() || text[j] != '"') {
          return ErrorAt(tok.at, "#include needs a double-quoted file name");
        }
        const size_t name_start = j + 1;
        size_t name_end = name_start;
        while (name_end < text.size() && text[name_end] != '"' && text[name_end] != '\n') {
          ++name_end;
        }
        if (name_end >= text.size() || text[name_end] != '"' || name_end == name_start) {
          return ErrorAt(tok.at, "#include needs a double-quoted, non-empty file name");
        }
        const std::string name(text.substr(name_start, name_end - name_start));
        i = name_end + 1;
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r')) ++i;
        if (i + 1 < text.size() && text[i] == '/' && text[i + 1] == '/') {
          while (i < text.size() && text[i] != '\n') ++i;
        }
        if (i < text.size() && text[i] != '\n') {
          return ErrorAt(at(i), "unexpected text after #include \"file\"");
        }
        const std::string path = ResolvePath(name, file);
        const std::string canonical = Canonical(path);
        for (size_t k = 0; k < stack_.size(); ++k) {
          if (stack_[k] == canonical) {
            std::vector<std::string> chain(stack_.begin() + static_cast<long>(k), stack_.end());
            chain.push_back(canonical);
            return ErrorAt(tok.at,
                           absl::StrCat("#include cycle: ", absl::StrJoin(chain, " -> ")));
          }
        }
        if (stack_.size() >= kMaxIncludeDepth) {
          return ErrorAt(tok.at,
                         absl::StrCat("#include nested more than ", kMaxIncludeDepth, " deep"));
        }
        if (absl::Status s = LexFile(path, &tok.at); !s.ok()) return s;
        continue;
      }
      line_has_token = true;
      if (IsIdentStart(c)) {
        size_t j = i;
        while (j < text.size() && IsIdentChar(text[j])) ++j;
        tok.kind = PglToken::kIdent;
        tok.text = std::string(text.substr(i, j - i));
        i = j;
      } else if (IsDigit(c) || (c == '.' && i + 1 < text.size() && IsDigit(text[i + 1]))) {
        size_t j = i;
        while (j < text.size() && IsDigit(text[j])) ++j;
        if (j < text.size() && text[j] == '.' && j + 1 < text.size() && IsDigit(text[j + 1])) {
          ++j;
          while (j < text.size() && IsDigit(text[j])) ++j;
        }
        if (j < text.size() && (text[j] == 'e' || text[j] == 'E')) {
          size_t k = j + 1;
          if (k < text.size() && (text[k] == '+' || text[k] == '-')) ++k;
          if (k < text.size() && IsDigit(text[k])) {
            while (k < text.size() && IsDigit(text[k])) ++k;
            j = k;
          }
        }
        const size_t digits_end = j;
        if (j < text.size() && text[j] == '%') {
          ++j;
        } else {
          while (j < text.size() && absl::ascii_isalpha(static_cast<uint8_t>(text[j]))) ++j;
        }
        if (j < text.size() && IsIdentChar(text[j])) {
          return ErrorAt(tok.at, absl::StrCat("malformed number '",
                                              absl::CHexEscape(text.substr(i, j - i + 1)), "'"));
        }
        if (absl::Status s = NumberToken(text.substr(i, j - i), text.substr(i, digits_end - i),
                                         text.substr(digits_end, j - digits_end), &tok);
            !s.ok()) {
          return s;
        }
        i = j;
      } else if (c == '"') {
        size_t j = i + 1;
        std::string value;
        bool closed = false;
        while (j < text.size() && text[j] != '\n') {
          if (text[j] == '"') {
            closed = true;
            break;
          }
          if (text[j] == '\\' && j + 1 < text.size() &&
              (text[j + 1] == '"' || text[j + 1] == '\\')) {
            ++j;
          }
          value.push_back(text[j]);
          ++j;
        }
        if (!closed) return ErrorAt(tok.at, "unterminated string (strings end on their line)");
        tok.kind = PglToken::kString;
        tok.text = std::move(value);
        i = j + 1;
      } else if (c == '\'') {
        return ErrorAt(tok.at,
                       "single-quoted PGL addresses and absolute times are not supported; write "
                       "origins as URL strings such as \"http://127.0.0.1:8080/\"");
      } else if (absl::string_view(kPunctuation).find(c) != absl::string_view::npos) {
        tok.kind = PglToken::kPunct;
        tok.text = std::string(1, c);
        ++i;
      } else {
        return ErrorAt(tok.at,
                       absl::StrCat("unexpected character '",
                                    absl::CHexEscape(absl::string_view(&text[i], 1)), "'"));
      }
      out_->push_back(std::move(tok));
    }
    stack_.pop_back();
    return absl::OkStatus();
  }

 private:
  static std::string Canonical(const std::string& path) {
    std::error_code ec;
    std::filesystem::path p = std::filesystem::weakly_canonical(path, ec);
    return ec ? std::filesystem::path(path).lexically_normal().string() : p.string();
  }

  const PglFileReader& read_file_;
  std::vector<PglToken>* out_;
  std::vector<std::string> stack_;  // files being lexed, outermost first
};

absl::StatusOr<std::vector<PglToken>> Finish(absl::Status status, std::vector<PglToken> tokens,
                                             const std::string& file) {
  if (!status.ok()) return status;
  PglToken end;
  end.kind = PglToken::kEnd;
  end.at = tokens.empty() ? Location{file, 1, 1} : tokens.back().at;
  tokens.push_back(std::move(end));
  return tokens;
}

}  // namespace

PglFileReader DiskFileReader() {
  return [](const std::string& path) { return ReadFile(path); };
}

absl::StatusOr<std::vector<PglToken>> LexPgl(absl::string_view text, const std::string& file_name,
                                             const PglFileReader& read_file) {
  std::vector<PglToken> tokens;
  Lexer lexer(read_file, &tokens);
  absl::Status s = lexer.Lex(text, file_name);
  return Finish(std::move(s), std::move(tokens), file_name);
}

absl::StatusOr<std::vector<PglToken>> LexPglFile(const std::string& path,
                                                 const PglFileReader& read_file) {
  std::vector<PglToken> tokens;
  Lexer lexer(read_file, &tokens);
  absl::Status s = lexer.LexFile(path, nullptr);
  return Finish(std::move(s), std::move(tokens), path);
}

std::string DescribeToken(const PglToken& token) {
  switch (token.kind) {
    case PglToken::kIdent:
      return absl::StrCat("'", token.text, "'");
    case PglToken::kInt:
    case PglToken::kFloat:
    case PglToken::kTime:
    case PglToken::kSize:
      return absl::StrCat("number ", token.text);
    case PglToken::kString:
      return absl::StrCat("string \"", absl::CHexEscape(token.text), "\"");
    case PglToken::kPunct:
      return absl::StrCat("'", token.text, "'");
    case PglToken::kEnd:
      return "end of file";
  }
  return "?";
}

}  // namespace loadsim
