// Phases: reads a Polygraph phase schedule written with PGL field names (the `phases` and
// `schedule` keys of config.plist; the PGL front end lowers Phase records to the same keys)
// and resolves it into RunSpec.phases, the form the engine runs (polygraph.md 2.3, 4.2 D-E):
//
//  * inheritance: an unset *_beg is the previous phase's *_end, an unset *_end is this
//    phase's *_beg, and the first phase's unset factors are 100%;
//  * a ramp (beg != end for the load or populus factor) needs a positive goal (goal.duration
//    or goal.xactions), else it is an error naming the phase and where it was written;
//  * populus factors lie in [0, 1]; load factors are >= 0 (a warning above 100%);
//  * names are non-empty, unique and without whitespace (they become console tokens);
//  * goal.errors below 1 is a ratio of failed transactions, 1 and above a count;
//    goal.errors_min_sample defaults to 1000; log_stats and synchronize default to true.
//
// Every problem goes to Diagnostics with file:line (and column for PGL) and the key path.
// Stateless functions; thread-safe.
#ifndef LOADSIM_COMMON_PHASES_H_
#define LOADSIM_COMMON_PHASES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/diagnostics.h"
#include "common/dict_reader.h"
#include "loadsim/v1/run_spec.pb.h"

namespace loadsim {

inline constexpr uint64_t kDefaultErrorsMinSample = 1000;

// One phase as written: unset fields are nullopt.
struct PhaseDraft {
  std::string name;
  Location where;        // the phase's definition
  std::string key_path;  // "phases[2]", for messages
  std::optional<double> duration_seconds;
  std::optional<uint64_t> xactions;
  std::optional<double> errors;
  std::optional<uint64_t> errors_min_sample;
  std::optional<double> load_factor_beg, load_factor_end;
  std::optional<double> populus_factor_beg, populus_factor_end;
  std::optional<bool> log_stats, synchronize;
};

// The schedule with every factor and default filled in, in order. Reports rule violations
// (ramps without a positive goal, factors out of range, bad or duplicate names) to `diags`.
std::vector<v1::PhaseSpec> ResolvePhases(const std::vector<PhaseDraft>& schedule,
                                         Diagnostics* diags);

// Reads the `phases` (array of phase dicts) and `schedule` (optional array of phase names
// giving the order; default: the phases as listed) keys of `top` and appends the resolved
// schedule to `out`. Nothing when neither key is present.
void ReadPhases(DictReader& top, Diagnostics* diags,
                google::protobuf::RepeatedPtrField<v1::PhaseSpec>* out);

// "100%", "12.5%": a factor for messages.
std::string FormatFactor(double factor);

}  // namespace loadsim

#endif  // LOADSIM_COMMON_PHASES_H_
