#include "worker/http_engine.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "tests/servers/nginx_server.h"

namespace loadsim {
namespace {

class HttpEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(nginx_.Start()) << nginx_.error();
    loop_ = *EventLoop::Create();
    engine_ = *HttpEngine::Create(loop_.get());
  }
  void TearDown() override {
    engine_.reset();
    loop_.reset();
    nginx_.Stop();
  }

  // Runs the loop until `n` responses arrived or 10 s passed.
  void RunUntil(const std::vector<HttpResponse>& got, size_t n) {
    int64_t deadline = MonotonicNowNs() + 10000000000LL;
    while (got.size() < n && MonotonicNowNs() < deadline) {
      loop_->Run(std::min(deadline, MonotonicNowNs() + 20000000));
    }
  }

  testing::NginxServer nginx_;
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<HttpEngine> engine_;
};

TEST_F(HttpEngineTest, GetReturnsBodyStatusHeadersAndTimes) {
  ConnectionPool pool(engine_.get(), {});
  std::vector<HttpResponse> got;
  HttpRequest req;
  req.url = nginx_.Url("/1k.html");
  pool.Submit(req, [&](HttpResponse& r) { got.push_back(r); });
  RunUntil(got, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].failure, Failure::kNone);
  EXPECT_EQ(got[0].status, 200);
  EXPECT_EQ(got[0].body, std::string(1024, 'x'));
  EXPECT_EQ(got[0].Header("content-length"), "1024");
  EXPECT_LE(got[0].queued_ns, got[0].sent_ns);
  EXPECT_LT(got[0].sent_ns, got[0].done_ns);
}

TEST_F(HttpEngineTest, KeepAliveReusesOneConnectionPerPool) {
  ConnectionLimits limits;
  limits.open_conn_lmt = 1;
  ConnectionPool pool(engine_.get(), limits);
  std::vector<HttpResponse> got;
  HttpRequest req;
  req.url = nginx_.Url("/1k.html");
  req.keep_body = false;
  for (int i = 0; i < 20; ++i) pool.Submit(req, [&](HttpResponse& r) { got.push_back(r); });
  EXPECT_EQ(pool.in_flight(), 1);
  EXPECT_EQ(pool.queued(), 19u);
  RunUntil(got, 20);
  ASSERT_EQ(got.size(), 20u);
  for (const HttpResponse& r : got) EXPECT_EQ(r.status, 200);
  // One connection, used serially: each request waited for the previous one.
  for (size_t i = 1; i < got.size(); ++i) EXPECT_GE(got[i].sent_ns, got[i - 1].done_ns);
  EXPECT_EQ(got[19].body_bytes, 1024u);
  EXPECT_TRUE(got[19].body.empty());
}

TEST_F(HttpEngineTest, OpenConnectionLimitBoundsConcurrency) {
  ConnectionLimits limits;
  limits.open_conn_lmt = 3;
  ConnectionPool pool(engine_.get(), limits);
  std::vector<HttpResponse> got;
  HttpRequest req;
  req.url = nginx_.Url("/1k.html");
  int max_in_flight = 0;
  for (int i = 0; i < 30; ++i) {
    pool.Submit(req, [&](HttpResponse& r) {
      got.push_back(r);
      max_in_flight = std::max(max_in_flight, pool.in_flight());
    });
    max_in_flight = std::max(max_in_flight, pool.in_flight());
  }
  RunUntil(got, 30);
  EXPECT_EQ(got.size(), 30u);
  EXPECT_EQ(max_in_flight, 3);
}

TEST_F(HttpEngineTest, WaitQueueOverflowFailsAtOnceWithoutSending) {
  ConnectionLimits limits;
  limits.open_conn_lmt = 1;
  limits.wait_xact_lmt = 2;
  ConnectionPool pool(engine_.get(), limits);
  std::vector<HttpResponse> got;
  HttpRequest req;
  req.url = nginx_.Url("/1k.html");
  bool called_inside_submit = false;
  bool inside = false;
  for (int i = 0; i < 5; ++i) {
    inside = true;
    pool.Submit(req, [&](HttpResponse& r) {
      called_inside_submit |= inside;
      got.push_back(r);
    });
    inside = false;
  }
  RunUntil(got, 5);
  ASSERT_EQ(got.size(), 5u);
  EXPECT_FALSE(called_inside_submit);
  int overflow = 0, ok = 0;
  for (const HttpResponse& r : got) {
    if (r.failure == Failure::kQueueFull) ++overflow;
    if (r.status == 200) ++ok;
  }
  EXPECT_EQ(overflow, 2);  // 1 sent + 2 queued fit; the other 2 overflow
  EXPECT_EQ(ok, 3);
}

TEST_F(HttpEngineTest, PersistentConnectionUseLimitRetiresConnections) {
  ConnectionLimits limits;
  limits.open_conn_lmt = 1;
  limits.pconn_use_lmt = 5;
  ConnectionPool pool(engine_.get(), limits);
  std::vector<HttpResponse> got;
  HttpRequest req;
  req.url = nginx_.Url("/1k.html");
  for (int i = 0; i < 20; ++i) pool.Submit(req, [&](HttpResponse& r) { got.push_back(r); });
  RunUntil(got, 20);
  ASSERT_EQ(got.size(), 20u);
  for (const HttpResponse& r : got) EXPECT_EQ(r.failure, Failure::kNone) << r.error;
  EXPECT_EQ(pool.retired_connections(), 4u);
}

TEST_F(HttpEngineTest, MethodsAndBodiesReachTheServer) {
  ConnectionPool pool(engine_.get(), {});
  std::vector<HttpResponse> got;
  HttpRequest head;
  head.method = "HEAD";
  head.url = nginx_.Url("/1k.html");
  pool.Submit(head, [&](HttpResponse& r) { got.push_back(r); });
  HttpRequest error;
  error.url = nginx_.Url("/error");
  pool.Submit(error, [&](HttpResponse& r) { got.push_back(r); });
  RunUntil(got, 2);
  ASSERT_EQ(got.size(), 2u);
  for (const HttpResponse& r : got) {
    if (r.status == 200) {
      EXPECT_EQ(r.body_bytes, 0u);  // HEAD has no body
    } else {
      EXPECT_EQ(r.status, 500);  // a status is not a transport failure; callers judge it
      EXPECT_EQ(r.failure, Failure::kNone);
    }
  }
}

TEST_F(HttpEngineTest, ClosedPortIsAConnectFailure) {
  ConnectionPool pool(engine_.get(), {});
  std::vector<HttpResponse> got;
  HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(testing::FreePort()) + "/";
  pool.Submit(req, [&](HttpResponse& r) { got.push_back(r); });
  RunUntil(got, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].failure, Failure::kConnect) << got[0].error;
}

TEST_F(HttpEngineTest, SilentServerIsATimeout) {
  // A listener that never accepts: the connection completes from the backlog, no answer.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 16), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ConnectionPool pool(engine_.get(), {});
  std::vector<HttpResponse> got;
  HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/";
  req.timeout_ns = 300000000;
  pool.Submit(req, [&](HttpResponse& r) { got.push_back(r); });
  RunUntil(got, 1);
  close(fd);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].failure, Failure::kTimeout) << got[0].error;
  EXPECT_GE(got[0].done_ns - got[0].sent_ns, 300000000);
}

TEST_F(HttpEngineTest, ServerThatClosesWithoutAnswerIsAReset) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 16), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  // Accept on the loop and close at once.
  ASSERT_TRUE(loop_->WatchFd(fd, EPOLLIN, [fd](uint32_t) {
                     int c = accept(fd, nullptr, nullptr);
                     if (c >= 0) close(c);
                   })
                  .ok());
  ConnectionPool pool(engine_.get(), {});
  std::vector<HttpResponse> got;
  HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/";
  pool.Submit(req, [&](HttpResponse& r) { got.push_back(r); });
  RunUntil(got, 1);
  loop_->UnwatchFd(fd);
  close(fd);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].failure, Failure::kReset) << got[0].error;
}

TEST(HttpEngineTlsTest, HttpsWithAndWithoutCertificateVerification) {
  testing::NginxServer nginx;
  ASSERT_TRUE(nginx.Start(/*tls=*/true)) << nginx.error();
  auto loop = *EventLoop::Create();
  auto engine = *HttpEngine::Create(loop.get());
  std::vector<HttpResponse> got;
  auto run = [&](size_t n) {
    int64_t deadline = MonotonicNowNs() + 10000000000LL;
    while (got.size() < n && MonotonicNowNs() < deadline) {
      loop->Run(std::min(deadline, MonotonicNowNs() + 20000000));
    }
  };
  HttpRequest req;
  req.url = nginx.TlsUrl("/1k.html");
  {
    ConnectionPool lenient(engine.get(), {});  // CalendarServer's sim never verified
    lenient.Submit(req, [&](HttpResponse& r) { got.push_back(r); });
    run(1);
  }
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].status, 200) << got[0].error;
  EXPECT_EQ(got[0].body.size(), 1024u);
  ConnectionLimits strict;
  strict.verify_tls = true;
  {
    ConnectionPool verifying(engine.get(), strict);  // self-signed: must be refused
    verifying.Submit(req, [&](HttpResponse& r) { got.push_back(r); });
    run(2);
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].failure, Failure::kTls) << got[1].error;
}

}  // namespace
}  // namespace loadsim
