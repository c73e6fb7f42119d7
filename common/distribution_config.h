// Reading distributions from configuration: turns a configuration Value into a validated
// v1::Distribution in base units (seconds, bytes), or reports every problem to Diagnostics
// with "file:line: key.path: message".
//
// Accepted spellings:
//  (a) CalendarServer's dict {type: "<dotted or short class name>", params: {...}} with the
//      class's exact parameter names and defaults (calendarserver-sim.md section 5);
//      numbers in a time slot are seconds, in a size slot bytes; a parameter may also be
//      written as a unit string ("5min"). The original's bugs are fixed (docs/compat.md).
//  (b) a PGL string: const(v), unif(lo, hi), exp(mean), norm(mean, sd), logn(mean, sd) (mean
//      and sd of the lognormal variable itself), zipf(N), seq(start), whose arguments may
//      carry units ("exp(60s)", "logn(30min, 10min)", "exp(13KB)"); a bare literal ("60s")
//      is a constant.
//  (c) a plain integer or real: a constant.
// The kind of the slot is checked: "exp(13KB)" in a time slot is an error; bare numbers take
// the slot's kind; date-time slots accept only NearFuture/Work and recurrence-rule slots only
// Recurrence dicts. Unknown parameters are warnings; everything else wrong is an error.
//
// Stateless functions; thread-safe (each call writes only to the Diagnostics it is given).
#ifndef LOADSIM_COMMON_DISTRIBUTION_CONFIG_H_
#define LOADSIM_COMMON_DISTRIBUTION_CONFIG_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/diagnostics.h"
#include "common/value.h"
#include "loadsim/v1/run_spec.pb.h"

namespace loadsim {

// The distribution written at `value` for a slot of kind `expected`, with `text` (canonical
// notation) and `origin` filled in; nullopt after reporting at least one error to `diags`.
// `key_path` names the value in messages ("clients[0].profiles[1].params.acceptDelay...").
std::optional<v1::Distribution> DistributionFromValue(const Value& value, v1::ValueKind expected,
                                                      absl::string_view key_path,
                                                      Diagnostics* diags);

// Parses a PGL distribution string (form (b) above) for a slot of kind `expected`.
// InvalidArgument with a message that quotes the text (without location) otherwise.
absl::StatusOr<v1::Distribution> ParsePglDistribution(absl::string_view text,
                                                      v1::ValueKind expected);

// A readable canonical notation of any distribution, from its fields alone:
// "exp(60s)", "logn(mu=1.79, sigma=1.34, max=60)", "work(mon-fri 08:00-17:00 UTC)".
std::string FormatDistribution(const v1::Distribution& distribution);

}  // namespace loadsim

#endif  // LOADSIM_COMMON_DISTRIBUTION_CONFIG_H_
