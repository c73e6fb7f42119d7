// Server stats: reads CalendarServer's statistics socket at the end of a run (the
// "* Server (Last 5 minutes)" block of the report).
//
// Both protocols are spoken: r11831's (on connect the server writes one JSON document and
// closes; the client sends nothing) and the later one (the client sends ["stats"]\r\n and reads
// one JSON line {"stats": {..., "5m": ...}}). The reader waits briefly for an unsolicited
// document, then asks. Every step has a deadline, so a server that accepts but never answers or
// closes cannot hang the master; any problem becomes an error string for the report.
// Stateless; call from any thread (the master calls it off its main loop).
#ifndef LOADSIM_MASTER_SERVER_STATS_H_
#define LOADSIM_MASTER_SERVER_STATS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace loadsim {

struct ServerStats {
  int64_t requests = 0;
  double req_per_s = 0;     // requests / 300 (the window is five complete minutes)
  double response_ms = 0;   // t / requests
  double slots = 0;         // slots / requests
  double cpu_percent = 0;   // cpu / requests
  std::string protocol;     // "push" (r11831) or "request" (later servers)
};

// Computes the figures from a stats JSON document of either protocol.
absl::StatusOr<ServerStats> ParseServerStats(absl::string_view json);

// Connects to host:port and reads the stats, all within `timeout_s`.
absl::StatusOr<ServerStats> ReadServerStats(const std::string& host, int port, double timeout_s);

}  // namespace loadsim

#endif  // LOADSIM_MASTER_SERVER_STATS_H_
