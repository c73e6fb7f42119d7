// PutEventDirectly: a test's own PUT of a new event straight to the server, behind the back of
// the simulated client under test (which then has to discover it). Header-only; runs on the
// calling thread, which must own the loop.
#ifndef LOADSIM_TESTS_WORKER_DIRECT_PUT_H_
#define LOADSIM_TESTS_WORKER_DIRECT_PUT_H_

#include <string>

#include "absl/time/clock.h"
#include "tests/worker/calendar_test_util.h"
#include "worker/caldav_client.h"
#include "worker/caldav_requests.h"
#include "worker/http_auth.h"
#include "worker/ical.h"

namespace loadsim::calendar_test {

// PUTs an event (UID `uid`, starting in 3 hours) at `href` on the server at `root` as
// user/password through `transport`; "" if the server took it, else the failure reason.
inline std::string PutEventDirectly(EventLoop& loop, HttpTransport* transport,
                                    const std::string& root, const std::string& user,
                                    const std::string& password, const std::string& href,
                                    const std::string& uid) {
  AuthSession auth(user, password, 3);
  CaldavSession session(transport, &auth);
  EventSpec e;
  e.uid = uid;
  e.created = absl::Now();
  e.start = absl::Now() + absl::Hours(3);
  bool done = false;
  std::string reason = "no answer";
  session.Send(RequestBuilder(TraitsOf(ClientSoftware::kOsX10_7), root)
                   .PutEvent(href, CalendarObject::NewEvent(e)->Serialize()),
               [&](CaldavResult& r) {
                 reason = r.ok() ? "" : r.reason;
                 done = true;
               });
  RunUntil(loop, [&] { return done; }, 10);
  return reason;
}

}  // namespace loadsim::calendar_test

#endif  // LOADSIM_TESTS_WORKER_DIRECT_PUT_H_
