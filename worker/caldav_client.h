// CaldavSession: sends built CalDAV requests for one simulated client and classifies the
// answers; the thin asynchronous layer between the client state machines and the transport.
//
// A request goes out on the client's HttpTransport, through AuthenticatedSend when the client
// has an AuthSession (its 401 exchange is reported apart, see http_auth.h). The callback gets
// a CaldavResult: the response, its timings, the parsed multistatus of a 207, and one
// classification: the transport's failure, kHttpStatus ("HTTP <code>") for a status outside
// the request's expected set, or kMalformed (the parser's reason) for a 207 whose body is not
// a DAV:multistatus. Statistics are left to the caller. The session keeps no per-request
// state, so destroying it with requests in flight is safe (their callbacks still run unless
// the transport is destroyed first). Not thread-safe: one per client, on its loop's thread.
#ifndef LOADSIM_WORKER_CALDAV_CLIENT_H_
#define LOADSIM_WORKER_CALDAV_CLIENT_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "worker/caldav_requests.h"
#include "worker/http_auth.h"
#include "worker/http_engine.h"
#include "worker/multistatus.h"

namespace loadsim {

struct CaldavResult {
  std::string label;
  HttpResponse response;
  AuthExchange auth;                       // the 401 exchange before it, if any
  std::optional<Multistatus> multistatus;  // set for a 207 whose body parsed
  Failure failure = Failure::kNone;
  std::string reason;  // "" when ok; else "HTTP 404", the parser's or curl's message

  bool ok() const { return failure == Failure::kNone; }
  int status() const { return static_cast<int>(response.status); }
  // Monotonic timestamps of the final request (a 401 exchange before it is in `auth`).
  int64_t queued_ns() const { return response.queued_ns; }
  int64_t sent_ns() const { return response.sent_ns; }
  int64_t done_ns() const { return response.done_ns; }
  int64_t duration_ns() const { return response.done_ns - response.sent_ns; }
  // Every value of a response header (lower-case name), e.g. the DAV: lines.
  std::vector<std::string> HeaderValues(absl::string_view lower_name) const;
  // ETag and Schedule-Tag response headers ("" if absent).
  std::string etag() const { return std::string(response.Header("etag")); }
  std::string schedule_tag() const { return std::string(response.Header("schedule-tag")); }
};

using CaldavCallback = std::function<void(CaldavResult&)>;

// Classifies a finished response against `expected` (empty: any 2xx) and parses a 207 body.
// Exposed for tests and for callers with their own transport.
CaldavResult ClassifyResponse(std::string label, const std::vector<int>& expected,
                              HttpResponse& response, const AuthExchange& auth);

class CaldavSession {
 public:
  // `transport` must outlive every request sent; `auth` may be null (no authentication) and
  // must then outlive them too.
  CaldavSession(HttpTransport* transport, AuthSession* auth);

  // Sends `request`; `done` runs on the loop thread once the final response is in.
  void Send(CaldavRequest request, CaldavCallback done);

  HttpTransport* transport() const { return transport_; }
  AuthSession* auth() const { return auth_; }

 private:
  HttpTransport* transport_;
  AuthSession* auth_;
};

}  // namespace loadsim

#endif  // LOADSIM_WORKER_CALDAV_CLIENT_H_
