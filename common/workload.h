// Workload loading: the configuration entry point of loadsim-master. It combines the two
// front ends into one validated RunSpec:
//
//   --config C [--clients K]            config.plist (+ clients.plist): LoadConfig.
//   --workload W.pg                     a PGL-only run: the robots W passes to use() and the
//                                       phases of its schedule(); the users are the sum of the
//                                       robots' counts, all started at once (the phases'
//                                       populus factors decide how many are live), accounts
//                                       are generated (one record per user), every other key
//                                       takes its config.plist default.
//   --workload W.pg --config C [...]    C's run plus W's phases (an error if C has phases or a
//                                       schedule too) and W's robots appended to C's clients
//                                       (or to K's), sharing C's users by their weight.
//
// In every case the documents go through the same config loader, so defaults and checks are
// the plist ones. RunSpec.workload_file names W. Stateless; thread-safe.
#ifndef LOADSIM_COMMON_WORKLOAD_H_
#define LOADSIM_COMMON_WORKLOAD_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/config.h"

namespace loadsim {

// `workload_path` empty: LoadConfig(files). InvalidArgument listing the problems otherwise
// (PGL errors as "file:line:column: message"); NotFound for a file that cannot be read.
absl::StatusOr<LoadedConfig> LoadWorkload(const ConfigFiles& files,
                                          const std::string& workload_path);

}  // namespace loadsim

#endif  // LOADSIM_COMMON_WORKLOAD_H_
