// Config loader: turns CalendarServer-style config.plist + clients.plist (+ the accounts,
// thresholds.json and benchmarks.json they name) into one validated, immutable RunSpec.
//
// It reads every key of both files (docs/configuration.md), fills defaults, converts units,
// resolves class names through the registry and relative paths against the file that names
// them, then checks rules that span keys. It collects every problem before giving up, so the
// error lists all of them, each as "file:line: key.path: message". Unknown keys are warnings.
// Stateless; LoadConfig may be called from any thread.
#ifndef LOADSIM_COMMON_CONFIG_H_
#define LOADSIM_COMMON_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/value.h"
#include "loadsim/v1/run_spec.pb.h"

namespace loadsim {

struct ConfigFiles {
  std::string config_path;   // config.plist (required)
  std::string clients_path;  // clients.plist; empty: use the `clients` key of config.plist
  uint64_t seed = 0;         // copied into RunSpec.seed
};

struct LoadedConfig {
  v1::RunSpec spec;
  std::vector<v1::Account> accounts;  // every record, in file order (index = user number)
  std::vector<std::string> warnings;  // "file:line: warning: key: message"
};

// InvalidArgument listing every error (one per line) if the configuration is not valid;
// NotFound if a named file cannot be read.
absl::StatusOr<LoadedConfig> LoadConfig(const ConfigFiles& files);

// The same for documents already parsed (common/workload.h merges a PGL workload into them):
// `config` is read as config.plist and `clients_doc` (may be null) as clients.plist; the paths
// of `files` only name them in RunSpec (an empty config_path leaves config_file empty).
absl::StatusOr<LoadedConfig> LoadConfigFromValues(const ConfigFiles& files, const Value& config,
                                                  const Value* clients_doc);

}  // namespace loadsim

#endif  // LOADSIM_COMMON_CONFIG_H_
