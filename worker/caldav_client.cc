#include "worker/caldav_client.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace loadsim {

std::vector<std::string> CaldavResult::HeaderValues(absl::string_view lower_name) const {
  std::vector<std::string> out;
  for (const auto& [name, value] : response.headers) {
    if (name == lower_name) out.push_back(value);
  }
  return out;
}

CaldavResult ClassifyResponse(std::string label, const std::vector<int>& expected,
                              HttpResponse& response, const AuthExchange& auth) {
  CaldavResult r;
  r.label = std::move(label);
  r.auth = auth;
  r.response = std::move(response);
  if (r.response.failure != Failure::kNone) {
    r.failure = r.response.failure;
    r.reason = r.response.error.empty() ? FailureName(r.failure) : r.response.error;
    return r;
  }
  int status = r.status();
  bool wanted = expected.empty()
                    ? status >= 200 && status < 300
                    : std::find(expected.begin(), expected.end(), status) != expected.end();
  if (!wanted) {
    r.failure = Failure::kHttpStatus;
    r.reason = absl::StrCat("HTTP ", status);
  }
  if (status == 207) {
    absl::StatusOr<Multistatus> ms = ParseMultistatus(r.response.body);
    if (ms.ok()) {
      r.multistatus = std::move(*ms);
    } else if (wanted) {
      r.failure = Failure::kMalformed;
      r.reason = std::string(ms.status().message());
    }
  }
  return r;
}

CaldavSession::CaldavSession(HttpTransport* transport, AuthSession* auth)
    : transport_(transport), auth_(auth) {}

void CaldavSession::Send(CaldavRequest request, CaldavCallback done) {
  // The callbacks capture no pointer to the session, only what they need.
  auto finish = [label = std::move(request.label), expected = std::move(request.expected),
                 done = std::move(done)](HttpResponse& response, const AuthExchange& auth) {
    CaldavResult result = ClassifyResponse(label, expected, response, auth);
    done(result);
  };
  if (auth_ != nullptr) {
    AuthenticatedSend(transport_, auth_, std::move(request.http), std::move(finish));
  } else {
    transport_->Submit(std::move(request.http),
                       [finish = std::move(finish)](HttpResponse& response) mutable {
                         finish(response, AuthExchange{});
                       });
  }
}

}  // namespace loadsim
