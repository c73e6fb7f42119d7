// PGL unit literals: times ("5min", "250ms", "sec"), sizes ("13KB", "500Kb", "3Byte"), rates
// ("10/sec", "3/5min") and ratios ("55%", "0.55"), converted to base units (seconds, bytes,
// per second, fractions), plus the reverse: short canonical spellings for messages and
// distribution texts.
//
// Suffixes are case-sensitive, as in PGL: "KB" is 1024 bytes while "Kb" is a kilobit
// (128 bytes). A bare number is taken in the base unit; a bare suffix ("sec") means one unit.
// Unknown suffixes, empty text, trailing junk and non-finite values are rejected with a
// message that quotes the text and lists the valid suffixes. Stateless functions; thread-safe.
#ifndef LOADSIM_COMMON_UNITS_H_
#define LOADSIM_COMMON_UNITS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace loadsim {

// Seconds. Suffixes: ms, msec, s, sec, min, hour, hr, day, year (365 days).
absl::StatusOr<double> ParseTime(absl::string_view text);

// Bytes. Suffixes: Byte, Bytes, KB, MB, GB, KByte, MByte, GByte (powers of 1024); bit, Kb,
// Mb, Gb, Kbit, Mbit, Gbit (bits: Kb = 1024 bits = 128 bytes; the bit count must be a
// multiple of 8). Fractional byte counts are kept as written (not rounded).
absl::StatusOr<double> ParseSize(absl::string_view text);

// Per second: "<number>/<time>" ("10/sec", "3/5min", "10.5/s") or a bare number. The time
// must carry a suffix and be > 0.
absl::StatusOr<double> ParseRate(absl::string_view text);

// A fraction: "55%" -> 0.55, "0.55" -> 0.55.
absl::StatusOr<double> ParseRatio(absl::string_view text);

// A literal whose kind is inferred from its suffix (a PGL distribution argument).
struct Quantity {
  enum Kind { kNumber, kTime, kSize, kRate, kRatio };
  Kind kind = kNumber;
  double value = 0;  // in the base unit of `kind`
};

// "number", "time", "size", "rate", "ratio".
const char* QuantityKindName(Quantity::Kind kind);

// Any of the literals above; a bare number is kNumber, "55%" is kRatio, "10/sec" is kRate.
absl::StatusOr<Quantity> ParseQuantity(absl::string_view text);

// The shortest decimal spelling that reads back as exactly `v` ("0.1", "172800", "1e+30").
std::string FormatNumber(double v);

// Canonical spellings: FormatTime(60) == "60s"; FormatSize(13312) == "13KB",
// FormatSize(100) == "100Byte"; FormatQuantity picks by kind (kRatio: "55%").
std::string FormatTime(double seconds);
std::string FormatSize(double bytes);
std::string FormatQuantity(double value, Quantity::Kind kind);

}  // namespace loadsim

#endif  // LOADSIM_COMMON_UNITS_H_
