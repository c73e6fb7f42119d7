// loadsim-worker: runs simulated users. With --master it works for a master (the cluster);
// with --standalone it reads the configuration itself and runs it alone (development and
// benchmarks). Exit status: 0 done, 2 usage or configuration error (or rejected by the master),
// 3 run failed or the master went away.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "common/config.h"
#include "common/flags_util.h"
#include "common/units.h"
#include "worker/cluster_client.h"
#include "worker/provision.h"
#include "worker/standalone.h"

ABSL_FLAG(bool, standalone, false, "run the configuration alone, without a master");
ABSL_FLAG(std::string, config, "", "config.plist (standalone mode)");
ABSL_FLAG(std::string, clients, "", "clients.plist (standalone mode)");
ABSL_FLAG(std::string, runtime, "10s", "how long to generate load (seconds or PGL time)");
ABSL_FLAG(int, threads, 0, "event-loop threads; 0 = number of cores");
ABSL_FLAG(uint64_t, seed, 1, "run seed (standalone mode)");
ABSL_FLAG(std::string, master, "", "host:port of the master to work for");
ABSL_FLAG(std::string, token, "", "shared token (default: $LOADSIM_TOKEN)");
ABSL_FLAG(std::string, tls_ca, "", "PEM CA of the master's certificate (enables TLS)");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate of this worker (mutual TLS)");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of this worker (mutual TLS)");
ABSL_FLAG(bool, provision, false,
          "standalone mode: give every user's account an event and a task calendar "
          "(MKCALENDAR when missing), then exit without running load");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "loadsim-worker --master HOST:PORT [--token T] [--threads N]\n"
      "  or: loadsim-worker --standalone --config F [--clients F] [--runtime 10s] [--threads N]\n"
      "  or: loadsim-worker --standalone --config F [--clients F] --provision");
  // Accept --flag-name as well as absl's --flag_name.
  std::vector<std::string> normalized = loadsim::NormalizeFlagNames(argc, argv);
  std::vector<char*> args;
  for (std::string& arg : normalized) args.push_back(arg.data());
  std::vector<char*> rest = absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
  if (rest.size() > 1) {
    std::fprintf(stderr, "loadsim-worker: unexpected argument '%s'\n", rest[1]);
    return 2;
  }
  if (!absl::GetFlag(FLAGS_master).empty()) {
    loadsim::ClusterClientOptions options;
    options.master = absl::GetFlag(FLAGS_master);
    options.token = absl::GetFlag(FLAGS_token);
    if (options.token.empty() && std::getenv("LOADSIM_TOKEN") != nullptr) {
      options.token = std::getenv("LOADSIM_TOKEN");
    }
    options.threads = absl::GetFlag(FLAGS_threads);
    options.tls_ca = absl::GetFlag(FLAGS_tls_ca);
    options.tls_cert = absl::GetFlag(FLAGS_tls_cert);
    options.tls_key = absl::GetFlag(FLAGS_tls_key);
    absl::Status s = loadsim::RunUnderMaster(options);
    if (s.ok()) return 0;
    std::fprintf(stderr, "loadsim-worker: %s\n", std::string(s.message()).c_str());
    return s.code() == absl::StatusCode::kPermissionDenied ? 2 : 3;
  }
  if (!absl::GetFlag(FLAGS_standalone)) {
    std::fprintf(stderr, "loadsim-worker: give --master HOST:PORT or --standalone\n");
    return 2;
  }
  absl::StatusOr<double> runtime = loadsim::ParseTime(absl::GetFlag(FLAGS_runtime));
  if (!runtime.ok() || *runtime <= 0) {
    std::fprintf(stderr, "loadsim-worker: --runtime: %s\n",
                 runtime.ok() ? "must be > 0" : std::string(runtime.status().message()).c_str());
    return 2;
  }
  loadsim::ConfigFiles files;
  files.config_path = absl::GetFlag(FLAGS_config);
  files.clients_path = absl::GetFlag(FLAGS_clients);
  files.seed = absl::GetFlag(FLAGS_seed);
  if (files.config_path.empty()) {
    std::fprintf(stderr, "loadsim-worker: --config is required with --standalone\n");
    return 2;
  }
  absl::StatusOr<loadsim::LoadedConfig> config = loadsim::LoadConfig(files);
  if (!config.ok()) {
    std::fprintf(stderr, "loadsim-worker: configuration rejected:\n%s\n",
                 std::string(config.status().message()).c_str());
    return 2;
  }
  for (const std::string& w : config->warnings) std::fprintf(stderr, "%s\n", w.c_str());
  if (absl::GetFlag(FLAGS_provision)) {
    absl::StatusOr<loadsim::ProvisionResult> provisioned = loadsim::ProvisionAccounts(
        config->spec, loadsim::AccountsOfRun(config->spec, config->accounts));
    if (!provisioned.ok()) {
      std::fprintf(stderr, "loadsim-worker: %s\n",
                   std::string(provisioned.status().message()).c_str());
      return 2;
    }
    std::printf("%s", loadsim::FormatProvisionReport(*provisioned).c_str());
    return provisioned->failed == 0 ? 0 : 3;
  }
  loadsim::StandaloneOptions options;
  options.threads = absl::GetFlag(FLAGS_threads);
  if (options.threads <= 0) options.threads = static_cast<int>(std::thread::hardware_concurrency());
  if (options.threads <= 0) options.threads = 1;
  options.runtime_s = *runtime;
  absl::StatusOr<loadsim::StandaloneResult> result = loadsim::RunStandalone(*config, options);
  if (!result.ok()) {
    std::fprintf(stderr, "loadsim-worker: %s\n", std::string(result.status().message()).c_str());
    return result.status().code() == absl::StatusCode::kInvalidArgument ||
                   result.status().code() == absl::StatusCode::kUnimplemented
               ? 2
               : 3;
  }
  std::printf("%s", loadsim::FormatStandaloneReport(*result).c_str());
  return 0;
}
