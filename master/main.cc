// loadsim-master: reads the configuration once, validates it and (with --check) prints the
// resolved run specification. Exit status: 0 PASS/valid, 1 FAIL, 2 usage or configuration
// error, 3 run aborted or incomplete.
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "common/config.h"
#include "master/spec_dump.h"

ABSL_FLAG(std::string, config, "", "config.plist (CalendarServer format)");
ABSL_FLAG(std::string, clients, "",
          "clients.plist; when empty the clients array of --config is used");
ABSL_FLAG(bool, check, false, "validate the configuration, print the resolved run spec, exit");
ABSL_FLAG(uint64_t, seed, 0, "run seed; 0 picks a random one (always printed)");

namespace {

constexpr int kExitOk = 0;
constexpr int kExitUsage = 2;

int Check(const loadsim::ConfigFiles& files) {
  absl::StatusOr<loadsim::LoadedConfig> loaded = loadsim::LoadConfig(files);
  if (!loaded.ok()) {
    std::fprintf(stderr, "loadsim-master: configuration rejected:\n%s\n",
                 std::string(loaded.status().message()).c_str());
    return kExitUsage;
  }
  for (const std::string& w : loaded->warnings) std::fprintf(stderr, "%s\n", w.c_str());
  std::printf("# loadsim run specification (every effective value; passwords hidden)\n");
  std::printf("%s", loadsim::DumpMessage(loaded->spec).c_str());
  const auto& accounts = loaded->accounts;
  std::printf("accounts_loaded: %zu", accounts.size());
  if (!accounts.empty()) {
    std::printf(" (user 0 = %s <%s>, user %zu = %s <%s>)", accounts.front().uid().c_str(),
                accounts.front().email().c_str(), accounts.size() - 1,
                accounts.back().uid().c_str(), accounts.back().email().c_str());
  }
  std::printf("\n# configuration OK: %zu warning(s)\n", loaded->warnings.size());
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "loadsim-master --config config.plist [--clients clients.plist] --check");
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) {
    std::fprintf(stderr, "loadsim-master: unexpected argument '%s'\n", rest[1]);
    return kExitUsage;
  }
  loadsim::ConfigFiles files;
  files.config_path = absl::GetFlag(FLAGS_config);
  files.clients_path = absl::GetFlag(FLAGS_clients);
  files.seed = absl::GetFlag(FLAGS_seed);
  if (files.seed == 0) files.seed = std::random_device{}() | (uint64_t{std::random_device{}()} << 32);
  if (files.config_path.empty()) {
    std::fprintf(stderr, "loadsim-master: --config is required\n");
    return kExitUsage;
  }
  if (!absl::GetFlag(FLAGS_check)) {
    std::fprintf(stderr,
                 "loadsim-master: only --check is available in this build; the cluster "
                 "(workers over gRPC) is not implemented yet\n");
    return kExitUsage;
  }
  return Check(files);
}
