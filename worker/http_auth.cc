#include "worker/http_auth.h"

#include <openssl/evp.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace loadsim {
namespace {

const EVP_MD* DigestOf(absl::string_view algorithm) {
  std::string a = absl::AsciiStrToUpper(algorithm);
  if (a.empty() || a == "MD5" || a == "MD5-SESS") return EVP_md5();
  if (a == "SHA-256" || a == "SHA-256-SESS") return EVP_sha256();
  return nullptr;
}

std::string HexHash(const EVP_MD* md, absl::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, md, nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(out), len));
}

// A small cursor over a WWW-Authenticate value.
class Lexer {
 public:
  explicit Lexer(absl::string_view s) : s_(s) {}
  void SkipSpace() {
    while (!s_.empty() && (s_[0] == ' ' || s_[0] == '\t')) s_.remove_prefix(1);
  }
  bool done() {
    SkipSpace();
    return s_.empty();
  }
  bool Peek(char c) {
    SkipSpace();
    return !s_.empty() && s_[0] == c;
  }
  bool Take(char c) {
    if (!Peek(c)) return false;
    s_.remove_prefix(1);
    return true;
  }
  std::string Token() {
    SkipSpace();
    size_t n = 0;
    while (n < s_.size() && s_[n] != ',' && s_[n] != '=' && s_[n] != ' ' && s_[n] != '\t' &&
           s_[n] != '"') {
      ++n;
    }
    std::string t(s_.substr(0, n));
    s_.remove_prefix(n);
    return t;
  }
  std::string QuotedOrToken() {
    SkipSpace();
    if (s_.empty() || s_[0] != '"') return Token();
    s_.remove_prefix(1);
    std::string out;
    while (!s_.empty() && s_[0] != '"') {
      if (s_[0] == '\\' && s_.size() > 1) s_.remove_prefix(1);
      out.push_back(s_[0]);
      s_.remove_prefix(1);
    }
    if (!s_.empty()) s_.remove_prefix(1);
    return out;
  }
  // True if the next thing is "token =" (an auth-param) rather than a new scheme.
  bool NextIsParam() {
    SkipSpace();
    absl::string_view save = s_;
    std::string t = Token();
    bool param = !t.empty() && Peek('=');
    s_ = save;
    return param;
  }

 private:
  absl::string_view s_;
};

std::string Quote(absl::string_view v) {
  return absl::StrCat("\"", absl::StrReplaceAll(v, {{"\\", "\\\\"}, {"\"", "\\\""}}), "\"");
}

}  // namespace

std::vector<AuthChallenge> ParseChallenges(const std::vector<std::string>& header_values) {
  std::vector<AuthChallenge> out;
  for (const std::string& value : header_values) {
    Lexer lex(value);
    while (!lex.done()) {
      if (lex.Take(',')) continue;
      AuthChallenge c;
      c.scheme = absl::AsciiStrToLower(lex.Token());
      if (c.scheme.empty()) break;  // garbage: stop parsing this value
      while (!lex.done()) {
        if (lex.Take(',')) continue;
        if (!lex.NextIsParam()) break;  // the next challenge starts
        std::string name = absl::AsciiStrToLower(lex.Token());
        lex.Take('=');
        std::string v = lex.QuotedOrToken();
        if (name == "realm") c.realm = v;
        else if (name == "nonce") c.nonce = v;
        else if (name == "opaque") c.opaque = v;
        else if (name == "algorithm") c.algorithm = v;
        else if (name == "stale") c.stale = absl::EqualsIgnoreCase(v, "true");
        else if (name == "qop") {
          for (absl::string_view q : absl::StrSplit(v, ',', absl::SkipWhitespace())) {
            c.qop.push_back(absl::AsciiStrToLower(absl::StripAsciiWhitespace(q)));
          }
        }
      }
      out.push_back(std::move(c));
    }
  }
  return out;
}

std::string DigestResponse(absl::string_view algorithm, absl::string_view user,
                           absl::string_view realm, absl::string_view password,
                           absl::string_view method, absl::string_view uri,
                           absl::string_view nonce, absl::string_view nc,
                           absl::string_view cnonce, absl::string_view qop) {
  const EVP_MD* md = DigestOf(algorithm);
  if (md == nullptr) return "";
  std::string ha1 = HexHash(md, absl::StrCat(user, ":", realm, ":", password));
  if (absl::EndsWithIgnoreCase(algorithm, "-sess")) {
    ha1 = HexHash(md, absl::StrCat(ha1, ":", nonce, ":", cnonce));
  }
  std::string ha2 = HexHash(md, absl::StrCat(method, ":", uri));
  if (qop.empty()) return HexHash(md, absl::StrCat(ha1, ":", nonce, ":", ha2));
  return HexHash(md, absl::StrCat(ha1, ":", nonce, ":", nc, ":", cnonce, ":", qop, ":", ha2));
}

std::string RequestTarget(absl::string_view url) {
  absl::string_view rest = url;
  size_t scheme = rest.find("://");
  if (scheme != absl::string_view::npos) rest.remove_prefix(scheme + 3);
  size_t slash = rest.find('/');
  if (slash == absl::string_view::npos) return "/";
  absl::string_view target = rest.substr(slash);
  size_t hash = target.find('#');
  return std::string(target.substr(0, hash));
}

AuthSession::AuthSession(std::string user, std::string password, uint64_t seed)
    : user_(std::move(user)), password_(std::move(password)), rng_(seed) {}

std::optional<std::string> AuthSession::AuthorizationFor(absl::string_view method,
                                                         absl::string_view uri) {
  if (!challenge_) return std::nullopt;
  sent_for_current_ = true;
  if (challenge_->scheme == "basic") {
    return absl::StrCat("Basic ", absl::Base64Escape(absl::StrCat(user_, ":", password_)));
  }
  bool auth_qop = false;
  for (const std::string& q : challenge_->qop) auth_qop |= q == "auth";
  std::string out = absl::StrCat("Digest username=", Quote(user_), ", realm=",
                                 Quote(challenge_->realm), ", nonce=", Quote(challenge_->nonce),
                                 ", uri=", Quote(uri));
  std::string algorithm = challenge_->algorithm.empty() ? "MD5" : challenge_->algorithm;
  if (auth_qop) {
    std::string nc = absl::StrFormat("%08x", ++nonce_count_);
    std::string cnonce = absl::StrFormat("%016x", rng_.NextU64());
    std::string response = DigestResponse(algorithm, user_, challenge_->realm, password_, method,
                                          uri, challenge_->nonce, nc, cnonce, "auth");
    absl::StrAppend(&out, ", response=\"", response, "\", algorithm=", algorithm,
                    ", qop=auth, nc=", nc, ", cnonce=\"", cnonce, "\"");
  } else {
    std::string response = DigestResponse(algorithm, user_, challenge_->realm, password_, method,
                                          uri, challenge_->nonce, "", "", "");
    absl::StrAppend(&out, ", response=\"", response, "\", algorithm=", algorithm);
  }
  if (!challenge_->opaque.empty()) absl::StrAppend(&out, ", opaque=", Quote(challenge_->opaque));
  return out;
}

bool AuthSession::OnUnauthorized(const HttpResponse& response) {
  std::vector<std::string> values;
  for (const auto& [name, value] : response.headers) {
    if (name == "www-authenticate") values.push_back(value);
  }
  std::vector<AuthChallenge> challenges = ParseChallenges(values);
  // Prefer Digest (with an algorithm we support) over Basic, as browsers do.
  const AuthChallenge* pick = nullptr;
  for (const AuthChallenge& c : challenges) {
    if (c.scheme == "digest" && DigestOf(c.algorithm) != nullptr && !c.nonce.empty()) {
      pick = &c;
      break;
    }
  }
  if (pick == nullptr) {
    for (const AuthChallenge& c : challenges) {
      if (c.scheme == "basic") pick = &c;
    }
  }
  if (pick == nullptr) return false;
  bool same = challenge_ && challenge_->scheme == pick->scheme &&
              challenge_->realm == pick->realm && challenge_->nonce == pick->nonce;
  if (same && sent_for_current_ && !pick->stale) return false;  // credentials were refused
  if (!same) nonce_count_ = 0;
  challenge_ = *pick;
  sent_for_current_ = false;
  return true;
}

namespace {

struct AuthCall {
  HttpTransport* transport;
  AuthSession* session;
  HttpRequest req;
  std::function<void(HttpResponse&, const AuthExchange&)> done;
  AuthExchange exchange;
  int retries_left = 2;
};

void SendOnce(std::shared_ptr<AuthCall> call) {
  HttpRequest req = call->req;
  if (std::optional<std::string> auth =
          call->session->AuthorizationFor(req.method, RequestTarget(req.url))) {
    req.headers.push_back(absl::StrCat("Authorization: ", *auth));
  }
  call->transport->Submit(std::move(req), [call](HttpResponse& resp) {
    if (resp.failure == Failure::kNone && resp.status == 401 && call->retries_left > 0 &&
        call->session->OnUnauthorized(resp)) {
      --call->retries_left;
      if (!call->exchange.had_challenge) {
        call->exchange.had_challenge = true;
        call->exchange.challenge_sent_ns = resp.sent_ns;
      }
      call->exchange.challenge_done_ns = resp.done_ns;
      SendOnce(call);
      return;
    }
    call->done(resp, call->exchange);
  });
}

}  // namespace

void AuthenticatedSend(HttpTransport* transport, AuthSession* session, HttpRequest req,
                       std::function<void(HttpResponse&, const AuthExchange&)> done) {
  auto call = std::make_shared<AuthCall>();
  call->transport = transport;
  call->session = session;
  call->req = std::move(req);
  call->done = std::move(done);
  SendOnce(std::move(call));
}

}  // namespace loadsim
