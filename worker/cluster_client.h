// Cluster client: a worker under a master. It dials the master, says Hello (with the shared
// token), receives its Assignment (its users and the run specification), reports Ready, starts
// at the master's Start offset, streams a delta and a heartbeat every interval, and on Stop
// drains and reports Finished. It never generates load without a live master: when the stream
// breaks (master killed, network cut, detected by gRPC keepalive within ~3 s) it aborts the run
// at once. One call per process; blocks until the run ends.
#ifndef LOADSIM_WORKER_CLUSTER_CLIENT_H_
#define LOADSIM_WORKER_CLUSTER_CLIENT_H_

#include <string>

#include "absl/status/status.h"

namespace loadsim {

struct ClusterClientOptions {
  std::string master;  // host:port
  std::string token;
  int threads = 0;     // 0: cores
  // TLS: the CA that signed the master's certificate (PEM file). Empty: plaintext.
  std::string tls_ca;
  // Mutual TLS (optional): this worker's certificate and key.
  std::string tls_cert;
  std::string tls_key;
};

// OK when the run ended normally; Unavailable when the master went away (load stopped);
// PermissionDenied / FailedPrecondition when the master rejected this worker.
absl::Status RunUnderMaster(const ClusterClientOptions& options);

}  // namespace loadsim

#endif  // LOADSIM_WORKER_CLUSTER_CLIENT_H_
