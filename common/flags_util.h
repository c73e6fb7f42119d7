// Command-line helpers shared by loadsim-master and loadsim-worker. Stateless.
#ifndef LOADSIM_COMMON_FLAGS_UTIL_H_
#define LOADSIM_COMMON_FLAGS_UTIL_H_

#include <string>
#include <vector>

namespace loadsim {

// argv with "--flag-name[=v]" rewritten to absl's "--flag_name[=v]" (values untouched), so
// both spellings work.
std::vector<std::string> NormalizeFlagNames(int argc, char** argv);

}  // namespace loadsim

#endif  // LOADSIM_COMMON_FLAGS_UTIL_H_
