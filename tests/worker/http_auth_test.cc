#include "worker/http_auth.h"

#include <memory>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/servers/apache_server.h"
#include "tests/servers/radicale_server.h"

namespace loadsim {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Test vectors of RFC 2617 section 3.5 and RFC 7616 section 3.9.1.
TEST(DigestResponseTest, Rfc2617Md5) {
  EXPECT_EQ(DigestResponse("MD5", "Mufasa", "testrealm@host.com", "Circle Of Life", "GET",
                           "/dir/index.html", "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001",
                           "0a4f113b", "auth"),
            "6629fae49393a05397450978507c4ef1");
}

TEST(DigestResponseTest, Rfc7616Md5AndSha256) {
  const char* nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
  const char* cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
  EXPECT_EQ(DigestResponse("MD5", "Mufasa", "http-auth@example.org", "Circle of Life", "GET",
                           "/dir/index.html", nonce, "00000001", cnonce, "auth"),
            "8ca523f5e9506fed4657c9700eebdbec");
  EXPECT_EQ(DigestResponse("SHA-256", "Mufasa", "http-auth@example.org", "Circle of Life", "GET",
                           "/dir/index.html", nonce, "00000001", cnonce, "auth"),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
  EXPECT_EQ(DigestResponse("SHA-512-256", "u", "r", "p", "GET", "/", "n", "1", "c", "auth"), "");
}

TEST(ParseChallengesTest, SeveralSchemesInOneHeaderAndQuotedCommas) {
  std::vector<AuthChallenge> c = ParseChallenges(
      {"Basic realm=\"simple\", Digest realm=\"a, b\", nonce=\"n1\", "
       "qop=\"auth,auth-int\", algorithm=SHA-256, stale=TRUE, opaque=\"xyz\"",
       "Negotiate"});
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[0].realm, "simple");
  EXPECT_EQ(c[1].scheme, "digest");
  EXPECT_EQ(c[1].realm, "a, b");
  EXPECT_EQ(c[1].nonce, "n1");
  EXPECT_EQ(c[1].qop, (std::vector<std::string>{"auth", "auth-int"}));
  EXPECT_EQ(c[1].algorithm, "SHA-256");
  EXPECT_TRUE(c[1].stale);
  EXPECT_EQ(c[1].opaque, "xyz");
  EXPECT_EQ(c[2].scheme, "negotiate");
}

HttpResponse Challenge(const std::string& value) {
  HttpResponse r;
  r.status = 401;
  r.headers.emplace_back("www-authenticate", value);
  return r;
}

TEST(AuthSessionTest, DigestCountsNoncesAndStopsOnRefusal) {
  AuthSession s("u", "p", 1);
  EXPECT_FALSE(s.AuthorizationFor("GET", "/").has_value());  // nothing before a challenge
  ASSERT_TRUE(s.OnUnauthorized(Challenge("Digest realm=\"r\", nonce=\"n\", qop=\"auth\"")));
  std::string first = *s.AuthorizationFor("GET", "/a");
  std::string second = *s.AuthorizationFor("PUT", "/b");
  EXPECT_THAT(first, StartsWith("Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"/a\""));
  EXPECT_THAT(first, HasSubstr("nc=00000001"));
  EXPECT_THAT(second, HasSubstr("nc=00000002"));
  EXPECT_EQ(s.nonce_count(), 2u);
  // The same challenge again after we sent credentials: the password is wrong; no loop.
  EXPECT_FALSE(s.OnUnauthorized(Challenge("Digest realm=\"r\", nonce=\"n\", qop=\"auth\"")));
  // A stale nonce is refreshed, and counting restarts.
  ASSERT_TRUE(s.OnUnauthorized(
      Challenge("Digest realm=\"r\", nonce=\"n2\", qop=\"auth\", stale=true")));
  EXPECT_THAT(*s.AuthorizationFor("GET", "/a"), HasSubstr("nc=00000001"));
}

TEST(AuthSessionTest, PrefersDigestAndFallsBackToBasic) {
  AuthSession s("Aladdin", "open sesame", 1);
  ASSERT_TRUE(s.OnUnauthorized(Challenge("Basic realm=\"x\", Digest realm=\"y\", nonce=\"z\"")));
  EXPECT_EQ(s.scheme(), "digest");
  AuthSession b("Aladdin", "open sesame", 1);
  ASSERT_TRUE(b.OnUnauthorized(Challenge("Basic realm=\"x\"")));
  EXPECT_EQ(*b.AuthorizationFor("GET", "/"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  AuthSession none("a", "b", 1);
  EXPECT_FALSE(none.OnUnauthorized(Challenge("Negotiate")));
}

TEST(RequestTargetTest, PathAndQueryWithoutFragment) {
  EXPECT_EQ(RequestTarget("http://h:80/a/b?c=d#e"), "/a/b?c=d");
  EXPECT_EQ(RequestTarget("http://h"), "/");
}

class AuthIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    loop_ = *EventLoop::Create();
    engine_ = *HttpEngine::Create(loop_.get());
    pool_ = std::make_unique<ConnectionPool>(engine_.get(), ConnectionLimits{});
  }
  void TearDown() override {
    pool_.reset();
    engine_.reset();
  }
  struct Outcome {
    HttpResponse response;
    AuthExchange exchange;
  };
  Outcome Send(AuthSession* session, HttpRequest req) {
    std::vector<Outcome> got;
    AuthenticatedSend(pool_.get(), session, std::move(req),
                      [&](HttpResponse& r, const AuthExchange& e) { got.push_back({r, e}); });
    int64_t deadline = MonotonicNowNs() + 20000000000LL;
    while (got.empty() && MonotonicNowNs() < deadline) loop_->Run(MonotonicNowNs() + 20000000);
    EXPECT_EQ(got.size(), 1u);
    return got.empty() ? Outcome{} : got[0];
  }

  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<HttpEngine> engine_;
  std::unique_ptr<ConnectionPool> pool_;
};

TEST_F(AuthIntegrationTest, BasicAgainstRadicale) {
  testing::RadicaleServer radicale;
  ASSERT_TRUE(radicale.Start(3));
  AuthSession session("user02", "pass02", 7);
  HttpRequest req;
  req.method = "PROPFIND";
  req.url = radicale.Url("/user02/");
  req.headers = {"Depth: 0", "Content-Type: application/xml"};
  req.body =
      "<?xml version=\"1.0\"?><propfind xmlns=\"DAV:\"><prop><current-user-principal/></prop>"
      "</propfind>";
  Outcome first = Send(&session, req);
  EXPECT_EQ(first.response.status, 207) << first.response.body;
  EXPECT_TRUE(first.exchange.had_challenge);  // the first request learns the realm
  EXPECT_GT(first.exchange.challenge_done_ns, first.exchange.challenge_sent_ns);
  EXPECT_GE(first.response.sent_ns, first.exchange.challenge_done_ns);
  EXPECT_EQ(session.scheme(), "basic");
  EXPECT_FALSE(session.realm().empty());
  Outcome second = Send(&session, req);
  EXPECT_EQ(second.response.status, 207);
  EXPECT_FALSE(second.exchange.had_challenge);  // credentials now go pre-emptively

  AuthSession wrong("user02", "nope", 7);
  Outcome refused = Send(&wrong, req);
  EXPECT_EQ(refused.response.status, 401);  // one retry with credentials, then final
}

TEST_F(AuthIntegrationTest, DigestAgainstApache) {
  testing::ApacheDigestServer apache;
  ASSERT_TRUE(apache.Start());
  AuthSession session(testing::ApacheDigestServer::kUser, testing::ApacheDigestServer::kPassword,
                      9);
  HttpRequest req;
  req.url = apache.Url("/private/index.html");
  Outcome first = Send(&session, req);
  EXPECT_EQ(first.response.status, 200);
  EXPECT_EQ(first.response.body, "secret\n");
  EXPECT_TRUE(first.exchange.had_challenge);
  EXPECT_EQ(session.scheme(), "digest");
  EXPECT_EQ(session.realm(), "loadsim");
  for (int i = 0; i < 5; ++i) {
    Outcome next = Send(&session, req);
    EXPECT_EQ(next.response.status, 200);
    EXPECT_FALSE(next.exchange.had_challenge) << "request " << i;
  }
  EXPECT_EQ(session.nonce_count(), 6u);  // nc counted up on the cached nonce

  AuthSession wrong(testing::ApacheDigestServer::kUser, "bad", 9);
  EXPECT_EQ(Send(&wrong, req).response.status, 401);
}

}  // namespace
}  // namespace loadsim
