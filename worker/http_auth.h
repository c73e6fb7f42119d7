// HTTP authentication for one simulated client: Basic and Digest (RFC 7617, RFC 7616 with
// MD5, MD5-sess, SHA-256 and SHA-256-sess, qop=auth), done the way a real client does it.
//
// The first request goes without credentials; the server's 401 challenge (its realm, nonce,
// opaque, algorithm) is parsed and cached, and the request is repeated with credentials. Later
// requests carry credentials pre-emptively: Basic as is, Digest with the cached nonce and an
// incrementing nonce count (nc). A 401 with stale=true refreshes the nonce and retries; a 401
// after credentials for an unchanged challenge is final (wrong password), so no request loops.
// AuthenticatedSend reports the 401 exchange separately so that callers count it as its own
// line and keep it out of the request's latency. Not thread-safe: one per client, on its loop.
#ifndef LOADSIM_WORKER_HTTP_AUTH_H_
#define LOADSIM_WORKER_HTTP_AUTH_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/random.h"
#include "worker/http_engine.h"

namespace loadsim {

// One challenge of a WWW-Authenticate header.
struct AuthChallenge {
  std::string scheme;  // lower-case: "basic", "digest", ...
  std::string realm;
  std::string nonce;
  std::string opaque;
  std::string algorithm;  // as sent, e.g. "MD5", "SHA-256"; empty = MD5
  std::vector<std::string> qop;  // offered qop values, lower-case
  bool stale = false;
};

// Parses every challenge in one or more WWW-Authenticate values (RFC 7235 syntax: schemes
// separated by commas, auth-params as token=token or token="quoted").
std::vector<AuthChallenge> ParseChallenges(const std::vector<std::string>& header_values);

// The Digest response hash (lower-case hex) for the given inputs; empty if the algorithm is
// not supported. qop empty means RFC 2069 style (no nc/cnonce).
std::string DigestResponse(absl::string_view algorithm, absl::string_view user,
                           absl::string_view realm, absl::string_view password,
                           absl::string_view method, absl::string_view uri,
                           absl::string_view nonce, absl::string_view nc,
                           absl::string_view cnonce, absl::string_view qop);

class AuthSession {
 public:
  AuthSession(std::string user, std::string password, uint64_t seed);

  // The Authorization header value for a request, if a challenge is cached.
  std::optional<std::string> AuthorizationFor(absl::string_view method, absl::string_view uri);

  // Takes a 401 response. True if the request should be repeated with new credentials.
  bool OnUnauthorized(const HttpResponse& response);

  const std::string& scheme() const { return challenge_ ? challenge_->scheme : empty_; }
  const std::string& realm() const { return challenge_ ? challenge_->realm : empty_; }
  uint32_t nonce_count() const { return nonce_count_; }

 private:
  std::string user_;
  std::string password_;
  RandomStream rng_;
  std::optional<AuthChallenge> challenge_;
  uint32_t nonce_count_ = 0;
  bool sent_for_current_ = false;  // credentials were sent for the cached challenge
  std::string empty_;
};

// The outcome of an authenticated request: the final response, and the 401 exchange that
// preceded it, if any (its duration is not part of the request's latency).
struct AuthExchange {
  bool had_challenge = false;
  int64_t challenge_sent_ns = 0;
  int64_t challenge_done_ns = 0;
};

// Sends `req` on `transport` with `session`'s credentials; on a 401 challenge it repeats the
// request once with credentials (twice for stale nonces). `done` gets the final response.
// REQUIRES: `session` and `transport` outlive the request.
void AuthenticatedSend(HttpTransport* transport, AuthSession* session, HttpRequest req,
                       std::function<void(HttpResponse&, const AuthExchange&)> done);

// The request-target of a URL ("/path?query"), for Digest's uri parameter.
std::string RequestTarget(absl::string_view url);

}  // namespace loadsim

#endif  // LOADSIM_WORKER_HTTP_AUTH_H_
