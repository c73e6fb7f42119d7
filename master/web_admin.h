// WebAdmin: the run's web page (CalendarServer's webadmin, calendarserver-sim.md section 8)
// plus machine endpoints, served by cpp-httplib on its own threads.
//
//   GET  /             "Load Simulator Web Admin": a form (hidden token, buttons results
//                      "Refresh" and stop "Stop Sim"), the current report in <pre>, "Generated
//                      in X.X milliseconds" (CPU time of the serving thread, as the original's
//                      time.clock()). ?refresh=N (1-3600) adds a meta refresh every N seconds.
//   POST /             token missing or wrong: the form only, HTTP 403. results: as GET.
//                      stop: calls the stop callback (once per run, however often it is
//                      pressed) and shows "LoadSim Stopped - Final Results" with the report.
//   GET  /metrics      Prometheus text format 0.0.4 (master/live_status.h).
//   GET  /api/status   JSON status (master/live_status.h).
//   anything else      404.
//
// Binds 127.0.0.1 by default: the page can stop the run and shows the report, so exposing it
// is a choice (WebAdminOptions::bind_address). The token, as the original's, guards against
// cross-site form posts (another site cannot read it), not against a client that can load
// the page. The data comes from callbacks the master gives;
// they are called on the server's threads, possibly concurrently, and must be thread-safe.
// WebAdmin's own methods are thread-safe.
#ifndef LOADSIM_MASTER_WEB_ADMIN_H_
#define LOADSIM_MASTER_WEB_ADMIN_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "loadsim/v1/results.pb.h"
#include "master/live_status.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace loadsim {

struct WebAdminOptions {
  std::string bind_address = "127.0.0.1";
  int port = 8080;      // RunSpec.webadmin.http_port; 0: any free port (see WebAdmin::port())
  std::string token;    // the form's token; empty: a random 128-bit one
  int threads = 4;      // connections served at once (keep-alive connections hold one)
  // Which labels are transactions in /api/status totals and rates (pass the live lines' own).
  TransactionPredicate is_transaction = NotSchedulingLabel;
};

struct WebAdminSources {
  std::function<std::string()> report_text;  // the report as it would print now
  std::function<v1::Results()> results;      // the current snapshot (judged, if possible)
  std::function<void()> stop;                // ask the run to stop; must return promptly
};

class WebAdmin {
 public:
  // Binds and starts serving. FailedPrecondition if a callback is missing; Unavailable if the
  // address cannot be bound (port in use, bad address), naming address and port.
  static absl::StatusOr<std::unique_ptr<WebAdmin>> Start(WebAdminSources sources,
                                                         WebAdminOptions options);
  ~WebAdmin();  // Shutdown()
  WebAdmin(const WebAdmin&) = delete;
  WebAdmin& operator=(const WebAdmin&) = delete;

  // Stops accepting, finishes the requests in progress and joins the threads. Idempotent.
  void Shutdown();

  int port() const { return port_; }
  const std::string& token() const { return token_; }
  std::string url() const;  // "http://127.0.0.1:8080/"
  bool stop_requested() const { return stop_requested_.load(); }

 private:
  WebAdmin(WebAdminSources sources, WebAdminOptions options);
  void Install();

  WebAdminSources sources_;
  WebAdminOptions options_;
  std::string token_;
  int port_ = 0;
  std::atomic<bool> stop_requested_{false};
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace loadsim

#endif  // LOADSIM_MASTER_WEB_ADMIN_H_
