// Robot config: reads the Polygraph keys of a Robot client's params that go beyond pacing
// and connections -- kind, recurrence, pop_model {pop_distr, hot_set_frac, hot_set_prob},
// working_set_length, working_set_cap, launch_win, session {busy_period,
// idle_period_duration} -- into RobotParams (polygraph.md 1.5, 2.4), and rejects the Polygraph
// Robot fields loadsim does not support by name. Called by the config loader for every
// Robot client, whether written in clients.plist or lowered from a PGL workload.
// Stateless functions; thread-safe.
#ifndef LOADSIM_COMMON_ROBOT_CONFIG_H_
#define LOADSIM_COMMON_ROBOT_CONFIG_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/dict_reader.h"
#include "loadsim/v1/run_spec.pb.h"

namespace loadsim {

// Reads the keys above from `params` into `r`; problems go to params' Diagnostics. Call after
// origins are read (a "{id}" origin without recurrence is warned about).
void ReadRobotWorkloadParams(DictReader& params, v1::RobotParams* r);

// "popUnif()" or "popZipf(skew)" (skew > 0); the parentheses of popUnif may be left out.
// Fills pop_distr and zipf_skew of a PopModel.
absl::Status ParsePopDistr(absl::string_view text, v1::PopModel* model);

}  // namespace loadsim

#endif  // LOADSIM_COMMON_ROBOT_CONFIG_H_
