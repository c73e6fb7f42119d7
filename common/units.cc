#include "common/units.h"

#include <cmath>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace loadsim {
namespace {

struct Suffix {
  const char* name;
  double scale;  // base units per unit (bits for bit suffixes)
  bool bits;
};

const Suffix kTimeSuffixes[] = {
    {"ms", 0.001, false}, {"msec", 0.001, false}, {"s", 1, false},
    {"sec", 1, false},    {"min", 60, false},     {"hour", 3600, false},
    {"hr", 3600, false},  {"day", 86400, false},  {"year", 365.0 * 86400, false},
};

constexpr double kKi = 1024.0;
constexpr double kMi = 1024.0 * 1024.0;
constexpr double kGi = 1024.0 * 1024.0 * 1024.0;

const Suffix kSizeSuffixes[] = {
    {"Byte", 1, false},  {"Bytes", 1, false},   {"KB", kKi, false},  {"KByte", kKi, false},
    {"MB", kMi, false},  {"MByte", kMi, false}, {"GB", kGi, false},  {"GByte", kGi, false},
    {"bit", 1, true},    {"Kb", kKi, true},     {"Kbit", kKi, true}, {"Mb", kMi, true},
    {"Mbit", kMi, true}, {"Gb", kGi, true},     {"Gbit", kGi, true},
};

template <size_t N>
const Suffix* FindSuffix(const Suffix (&table)[N], absl::string_view name) {
  for (const Suffix& s : table) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

template <size_t N>
std::string SuffixList(const Suffix (&table)[N]) {
  std::string out;
  for (const Suffix& s : table) {
    if (!out.empty()) out += ", ";
    out += s.name;
  }
  return out;
}

std::string Quote(absl::string_view text) {
  return absl::StrCat("\"", absl::CHexEscape(text), "\"");
}

// A literal split into its number (if any) and its suffix (possibly empty).
struct Literal {
  bool has_number = false;
  double number = 1;  // 1 when only a suffix is written ("sec")
  absl::string_view suffix;
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

absl::StatusOr<Literal> SplitLiteral(absl::string_view text, absl::string_view what) {
  absl::string_view t = absl::StripAsciiWhitespace(text);
  if (t.empty()) return absl::InvalidArgumentError(absl::StrCat("empty ", what));
  size_t i = 0;
  if (t[i] == '+' || t[i] == '-') ++i;
  size_t digits = 0;
  while (i < t.size() && IsDigit(t[i])) ++i, ++digits;
  if (i < t.size() && t[i] == '.') {
    ++i;
    while (i < t.size() && IsDigit(t[i])) ++i, ++digits;
  }
  Literal lit;
  if (digits == 0) {
    if (i > 0) {  // a sign or a dot without digits
      return absl::InvalidArgumentError(
          absl::StrCat("invalid ", what, " ", Quote(text), ": expected a number"));
    }
  } else {
    // An exponent only when 'e' is followed by digits, so no suffix is mistaken for one.
    if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
      size_t j = i + 1;
      if (j < t.size() && (t[j] == '+' || t[j] == '-')) ++j;
      if (j < t.size() && IsDigit(t[j])) {
        while (j < t.size() && IsDigit(t[j])) ++j;
        i = j;
      }
    }
    double v = 0;
    if (!absl::SimpleAtod(t.substr(0, i), &v) || !std::isfinite(v)) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid ", what, " ", Quote(text), ": the number is out of range"));
    }
    lit.has_number = true;
    lit.number = v;
  }
  lit.suffix = absl::StripLeadingAsciiWhitespace(t.substr(i));
  return lit;
}

absl::Status FiniteOr(double v, absl::string_view text, absl::string_view what) {
  if (std::isfinite(v)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("invalid ", what, " ", Quote(text), ": the value is out of range"));
}

// Applies a suffix table; a missing suffix means the base unit.
template <size_t N>
absl::StatusOr<double> ParseWithTable(absl::string_view text, absl::string_view what,
                                      const Suffix (&table)[N]) {
  absl::StatusOr<Literal> lit = SplitLiteral(text, what);
  if (!lit.ok()) return lit.status();
  if (lit->suffix.empty()) {
    if (!lit->has_number) {
      return absl::InvalidArgumentError(absl::StrCat("invalid ", what, " ", Quote(text)));
    }
    return lit->number;
  }
  const Suffix* s = FindSuffix(table, lit->suffix);
  if (s == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("invalid ", what, " ", Quote(text),
                                                   ": unknown suffix ", Quote(lit->suffix),
                                                   "; valid suffixes: ", SuffixList(table)));
  }
  double v = lit->number * s->scale;
  if (absl::Status st = FiniteOr(v, text, what); !st.ok()) return st;
  if (s->bits) {
    if (std::fmod(v, 8.0) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid ", what, " ", Quote(text), ": not a whole number of bytes"));
    }
    v /= 8.0;
  }
  return v;
}

// A bare number: no suffix allowed.
absl::StatusOr<double> ParsePlainNumber(absl::string_view text, absl::string_view what) {
  absl::StatusOr<Literal> lit = SplitLiteral(text, what);
  if (!lit.ok()) return lit.status();
  if (!lit->has_number || !lit->suffix.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid ", what, " ", Quote(text), ": expected a plain number"));
  }
  return lit->number;
}

}  // namespace

absl::StatusOr<double> ParseTime(absl::string_view text) {
  return ParseWithTable(text, "time", kTimeSuffixes);
}

absl::StatusOr<double> ParseSize(absl::string_view text) {
  return ParseWithTable(text, "size", kSizeSuffixes);
}

absl::StatusOr<double> ParseRate(absl::string_view text) {
  const size_t slash = text.find('/');
  if (slash == absl::string_view::npos) return ParsePlainNumber(text, "rate");
  absl::StatusOr<double> count = ParsePlainNumber(text.substr(0, slash), "rate");
  if (!count.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid rate ", Quote(text), ": expected <number>/<time>, e.g. 10/sec or 3/5min"));
  }
  const absl::string_view per = text.substr(slash + 1);
  absl::StatusOr<Literal> lit = SplitLiteral(per, "rate");
  if (!lit.ok() || lit->suffix.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid rate ", Quote(text),
                                                   ": the divisor must be a time with a suffix (",
                                                   SuffixList(kTimeSuffixes), ")"));
  }
  absl::StatusOr<double> seconds = ParseTime(per);
  if (!seconds.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid rate ", Quote(text), ": ", seconds.status().message()));
  }
  if (!(*seconds > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid rate ", Quote(text), ": the time must be > 0"));
  }
  const double v = *count / *seconds;
  if (absl::Status st = FiniteOr(v, text, "rate"); !st.ok()) return st;
  return v;
}

absl::StatusOr<double> ParseRatio(absl::string_view text) {
  absl::StatusOr<Literal> lit = SplitLiteral(text, "ratio");
  if (!lit.ok()) return lit.status();
  if (!lit->has_number || (!lit->suffix.empty() && lit->suffix != "%")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid ratio ", Quote(text), ": expected a fraction (0.55) or a percentage (55%)"));
  }
  return lit->suffix.empty() ? lit->number : lit->number / 100.0;
}

const char* QuantityKindName(Quantity::Kind kind) {
  switch (kind) {
    case Quantity::kNumber:
      return "number";
    case Quantity::kTime:
      return "time";
    case Quantity::kSize:
      return "size";
    case Quantity::kRate:
      return "rate";
    case Quantity::kRatio:
      return "ratio";
  }
  return "?";
}

absl::StatusOr<Quantity> ParseQuantity(absl::string_view text) {
  if (text.find('/') != absl::string_view::npos) {
    absl::StatusOr<double> rate = ParseRate(text);
    if (!rate.ok()) return rate.status();
    return Quantity{Quantity::kRate, *rate};
  }
  absl::StatusOr<Literal> lit = SplitLiteral(text, "value");
  if (!lit.ok()) return lit.status();
  if (lit->suffix.empty() && lit->has_number) return Quantity{Quantity::kNumber, lit->number};
  if (lit->suffix == "%") {
    absl::StatusOr<double> ratio = ParseRatio(text);
    if (!ratio.ok()) return ratio.status();
    return Quantity{Quantity::kRatio, *ratio};
  }
  if (FindSuffix(kTimeSuffixes, lit->suffix) != nullptr) {
    absl::StatusOr<double> v = ParseTime(text);
    if (!v.ok()) return v.status();
    return Quantity{Quantity::kTime, *v};
  }
  if (FindSuffix(kSizeSuffixes, lit->suffix) != nullptr) {
    absl::StatusOr<double> v = ParseSize(text);
    if (!v.ok()) return v.status();
    return Quantity{Quantity::kSize, *v};
  }
  return absl::InvalidArgumentError(
      absl::StrCat("invalid value ", Quote(text), ": unknown suffix ", Quote(lit->suffix),
                   "; valid suffixes: time ", SuffixList(kTimeSuffixes), "; size ",
                   SuffixList(kSizeSuffixes), "; ratio %; rate <number>/<time>"));
}

std::string FormatNumber(double v) {
  if (!std::isfinite(v)) return absl::StrFormat("%g", v);
  if (v == 0) return "0";  // also -0
  if (std::floor(v) == v && std::fabs(v) < 1e15) return absl::StrFormat("%.0f", v);
  for (int precision = 1; precision < 17; ++precision) {
    std::string s = absl::StrFormat("%.*g", precision, v);
    double back = 0;
    if (absl::SimpleAtod(s, &back) && back == v) return s;
  }
  return absl::StrFormat("%.17g", v);
}

std::string FormatTime(double seconds) { return FormatNumber(seconds) + "s"; }

std::string FormatSize(double bytes) {
  if (bytes != 0 && std::isfinite(bytes)) {
    if (std::fmod(bytes, kGi) == 0) return FormatNumber(bytes / kGi) + "GB";
    if (std::fmod(bytes, kMi) == 0) return FormatNumber(bytes / kMi) + "MB";
    if (std::fmod(bytes, kKi) == 0) return FormatNumber(bytes / kKi) + "KB";
  }
  return FormatNumber(bytes) + "Byte";
}

std::string FormatQuantity(double value, Quantity::Kind kind) {
  switch (kind) {
    case Quantity::kNumber:
      return FormatNumber(value);
    case Quantity::kTime:
      return FormatTime(value);
    case Quantity::kSize:
      return FormatSize(value);
    case Quantity::kRate:
      return FormatNumber(value) + "/sec";
    case Quantity::kRatio:
      return absl::StrFormat("%.12g%%", value * 100.0);
  }
  return FormatNumber(value);
}

}  // namespace loadsim
