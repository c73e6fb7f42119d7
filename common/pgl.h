// PGL front end: evaluates a Web Polygraph workload file (the subset of polygraph.md 4.2) and
// lowers what it commits -- the robots passed to use() and the phases passed to schedule() --
// to a configuration document with the keys and PGL field names of config.plist (`clients`
// of software Robot, `phases`; plus `arrival` for a PGL-only run). The config loader then
// reads that document exactly as it reads a plist, so a PGL file and the equivalent plist give
// the same RunSpec, with the same defaults and checks.
//
// The language: declarations with types (int, float, bool, string, time, size, rate, bwidth,
// time_distr, size_distr, int_distr, float_distr, PopDistr, Phase, Goal, Robot, PopModel,
// Session, and arrays T[]), record literals { field = value; ... }, dotted field assignment
// (P.goal.duration = 5min;), // and /* */ comments, #include "file", unit literals, percent
// literals, rates (10/sec), + - * / with PGL's typing (int arithmetic stays int), arrays with
// flattening, selectors [item : P%, ...], the distributions const, unif, exp, norm, logn, zipf
// and seq (typed by their arguments), popUnif() and popZipf(skew), int(), float(), count(),
// and the procedures schedule(...), use(...) (copy at call time: later changes to a variable
// do not affect what was used), working_set_length(time) and working_set_cap(int) (global:
// they apply to every used robot that does not set its own). Polygraph fields, types and
// functions loadsim does not support are rejected by name (common/pgl_schema.h).
//
// Robot count (a loadsim extension; Polygraph counts agents by address): in a PGL-only run
// each robot's `count` (default 1) is the number of simulated users running it; with --config
// the users come from the config's arrival and each robot's `weight` (default 1) is its share,
// as in clients.plist. `robots` is the number of robot instances per user.
//
// Errors stop evaluation at the first problem: InvalidArgument "file:line:column: message".
// Stateless functions; thread-safe as long as the options' file reader is.
#ifndef LOADSIM_COMMON_PGL_H_
#define LOADSIM_COMMON_PGL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/pgl_lexer.h"
#include "common/value.h"

namespace loadsim {

struct PglOptions {
  // True when a config.plist supplies the users (robots take `weight`, not `count`, and no
  // `arrival` is produced).
  bool with_config = false;
  // Reads the workload and its includes; empty: the file system.
  PglFileReader read_file;
};

struct PglWorkload {
  // A dict with `clients` (when robots are used), `phases` (when a schedule is given) and, for
  // a PGL-only run, `arrival`: one group of all users, started together.
  Value doc;
  int robots = 0;  // robots passed to use()
  int phases = 0;  // phases passed to schedule()
  std::vector<std::string> warnings;  // "file:line:column: warning: message"
};

absl::StatusOr<PglWorkload> EvaluatePglFile(const std::string& path, const PglOptions& options);

// The same for text already in memory, named `file_name` in messages (includes are resolved
// against it).
absl::StatusOr<PglWorkload> EvaluatePgl(absl::string_view text, const std::string& file_name,
                                        const PglOptions& options);

}  // namespace loadsim

#endif  // LOADSIM_COMMON_PGL_H_
