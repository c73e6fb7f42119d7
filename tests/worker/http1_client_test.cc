#include "worker/http1_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/servers/nginx_server.h"

namespace loadsim {
namespace {

// A listening socket on 127.0.0.1 (port chosen by the kernel); closed on destruction.
class Listener {
 public:
  explicit Listener(int backlog = 16) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(fd_, backlog);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~Listener() { close(fd_); }
  int fd() const { return fd_; }
  int port() const { return port_; }
  std::string Url(const std::string& path) const {
    return absl::StrCat("http://127.0.0.1:", port_, path);
  }

 private:
  int fd_;
  int port_;
};

// A scripted HTTP server on the test's loop. It accepts connections, reads each request
// (up to the blank line, plus a Content-Length body) and answers with what the script
// returns for (connection number, request number on that connection): pieces written
// 5 ms apart, then optionally a close. Non-blocking throughout, so large replies cannot
// stall the loop the client also runs on.
class FakeServer {
 public:
  struct Reply {
    std::vector<std::string> pieces;
    bool close_after = false;
  };
  using Script = std::function<Reply(int conn, int request)>;

  FakeServer(EventLoop* loop, Script script) : loop_(loop), script_(std::move(script)) {
    loop_->WatchFd(listener_.fd(), EPOLLIN, [this](uint32_t) { Accept(); }).IgnoreError();
  }
  ~FakeServer() {
    for (EventLoop::TimerId id : timers_) loop_->CancelTimer(id);
    for (const auto& c : clients_) {
      if (c->fd >= 0) {
        loop_->UnwatchFd(c->fd);
        close(c->fd);
      }
    }
    loop_->UnwatchFd(listener_.fd());
  }

  std::string Url(const std::string& path) const { return listener_.Url(path); }
  int port() const { return listener_.port(); }
  int accepted() const { return static_cast<int>(clients_.size()); }
  // Every request received (head and body), and the connection it came on.
  const std::vector<std::string>& requests() const { return requests_; }
  const std::vector<int>& request_conns() const { return request_conns_; }
  // Closes connections as soon as they are accepted.
  void set_close_on_accept(bool v) { close_on_accept_ = v; }

 private:
  struct Client {
    int fd = -1;
    int index = 0;
    int served = 0;
    std::string in;
    std::string out;
    bool close_when_sent = false;
  };

  void Accept() {
    while (true) {
      int fd = accept4(listener_.fd(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      auto c = std::make_unique<Client>();
      c->fd = fd;
      c->index = static_cast<int>(clients_.size());
      Client* raw = c.get();
      clients_.push_back(std::move(c));
      if (close_on_accept_) {
        Close(raw);
        continue;
      }
      loop_->WatchFd(fd, EPOLLIN, [this, raw](uint32_t ev) { OnEvents(raw, ev); }).IgnoreError();
    }
  }

  void Close(Client* c) {
    if (c->fd < 0) return;
    loop_->UnwatchFd(c->fd);
    close(c->fd);
    c->fd = -1;
  }

  void OnEvents(Client* c, uint32_t ev) {
    if (ev & EPOLLOUT) Flush(c);
    if (c->fd < 0 || !(ev & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
    char buf[4096];
    ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
    if (n == 0 || (n < 0 && errno != EAGAIN)) {
      Close(c);
      return;
    }
    if (n < 0) return;
    c->in.append(buf, static_cast<size_t>(n));
    while (true) {
      size_t end = c->in.find("\r\n\r\n");
      if (end == std::string::npos) return;
      size_t body = 0;
      std::string head = absl::AsciiStrToLower(c->in.substr(0, end));
      size_t cl = head.find("\ncontent-length:");
      if (cl != std::string::npos) {
        size_t eol = head.find('\n', cl + 1);
        std::string digits(absl::StripAsciiWhitespace(
            head.substr(cl + 16, eol == std::string::npos ? std::string::npos : eol - cl - 16)));
        if (!absl::SimpleAtoi(digits, &body)) body = 0;
      }
      size_t total = end + 4 + body;
      if (c->in.size() < total) return;
      requests_.push_back(c->in.substr(0, total));
      request_conns_.push_back(c->index);
      c->in.erase(0, total);
      Respond(c, script_(c->index, c->served++));
      if (c->fd < 0) return;
    }
  }

  void Respond(Client* c, Reply reply) {
    if (reply.pieces.empty()) {
      if (reply.close_after) Close(c);
      return;
    }
    for (size_t i = 0; i < reply.pieces.size(); ++i) {
      bool last = i + 1 == reply.pieces.size();
      auto write = [this, c, piece = reply.pieces[i], close = last && reply.close_after] {
        if (c->fd < 0) return;
        c->out += piece;
        c->close_when_sent |= close;
        Flush(c);
      };
      if (i == 0) {
        write();
      } else {
        timers_.push_back(
            loop_->AddTimer(loop_->now_ns() + 5000000 * static_cast<int64_t>(i), std::move(write)));
      }
    }
  }

  void Flush(Client* c) {
    while (c->fd >= 0 && !c->out.empty()) {
      ssize_t n = send(c->fd, c->out.data(), c->out.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EAGAIN) {
        loop_->SetFdEvents(c->fd, EPOLLIN | EPOLLOUT).IgnoreError();
        return;
      }
      if (n <= 0) {
        Close(c);
        return;
      }
      c->out.erase(0, static_cast<size_t>(n));
    }
    if (c->fd < 0) return;
    loop_->SetFdEvents(c->fd, EPOLLIN).IgnoreError();
    if (c->close_when_sent) Close(c);
  }

  EventLoop* loop_;
  Script script_;
  Listener listener_;
  bool close_on_accept_ = false;
  std::vector<std::unique_ptr<Client>> clients_;
  std::vector<std::string> requests_;
  std::vector<int> request_conns_;
  std::vector<EventLoop::TimerId> timers_;
};

// Limits with at most `n` connections.
ConnectionLimits Conns(int n) {
  ConnectionLimits limits;
  limits.open_conn_lmt = n;
  return limits;
}

FakeServer::Reply Ok(const std::string& body = "ok", const std::string& extra = "",
                     bool close_after = false) {
  return {{absl::StrCat("HTTP/1.1 200 OK\r\nContent-Length: ", body.size(), "\r\n", extra, "\r\n",
                        body)},
          close_after};
}

class Http1PoolTest : public ::testing::Test {
 protected:
  void SetUp() override { loop_ = *EventLoop::Create(); }

  void StartNginx() { ASSERT_TRUE(nginx_.Start()) << nginx_.error(); }

  // Runs the loop until `n` responses arrived or 10 s passed.
  void RunUntil(const std::vector<HttpResponse>& got, size_t n) {
    int64_t deadline = MonotonicNowNs() + 10000000000LL;
    while (got.size() < n && MonotonicNowNs() < deadline) {
      loop_->Run(std::min(deadline, MonotonicNowNs() + 20000000));
    }
  }
  void RunFor(int64_t ns) { loop_->Run(MonotonicNowNs() + ns); }

  HttpDone Collect(std::vector<HttpResponse>* got) {
    return [got](HttpResponse& r) { got->push_back(r); };
  }

  // On one connection: the second request is submitted from the first one's callback, so
  // it goes out on the connection before the pool can notice a close by the server.
  std::vector<HttpResponse> TwoRequestsBackToBack(const FakeServer& server) {
    Http1Pool pool(loop_.get(), Conns(1));
    std::vector<HttpResponse> got;
    pool.Submit(Get(server.Url("/1")), [&](HttpResponse& r) {
      got.push_back(r);
      pool.Submit(Get(server.Url("/2")), Collect(&got));
    });
    RunUntil(got, 2);
    opened_ = pool.connections_opened();
    return got;
  }

  HttpRequest Get(const std::string& url) {
    HttpRequest req;
    req.url = url;
    return req;
  }

  testing::NginxServer nginx_;
  std::unique_ptr<EventLoop> loop_;
  uint64_t opened_ = 0;  // connections_opened() of TwoRequestsBackToBack's pool
};

TEST(Http1PoolUrlTest, CanServe) {
  for (const char* ok :
       {"http://127.0.0.1:8080/path?x=1&y=%20", "http://127.0.0.1/", "HTTP://example.com",
        "http://example.com:80", "http://a-b.c_d/x#frag", "http://[::1]:8080/",
        "http://[2001:db8::1]/x", "http://host:/", "http://host?query"}) {
    EXPECT_TRUE(Http1Pool::CanServe(ok)) << ok;
  }
  for (const char* bad :
       {"https://127.0.0.1/", "ftp://host/", "http://", "http:///path", "http://user@host/",
        "http://host:0/", "http://host:65536/", "http://host:8o/", "http://[::1/",
        "http://[zz::1]/", "http://ho st/", "http://host/a b", "http://host/\xc3\xa9",
        "http://[::1%25eth0]/", "127.0.0.1:80/", "", "http://host:123456/"}) {
    EXPECT_FALSE(Http1Pool::CanServe(bad)) << bad;
  }
}

TEST_F(Http1PoolTest, GetReturnsBodyStatusHeadersAndTimes) {
  StartNginx();
  Http1Pool pool(loop_.get(), {});
  std::vector<HttpResponse> got;
  pool.Submit(Get(nginx_.Url("/1k.html")), Collect(&got));
  EXPECT_EQ(pool.in_flight(), 1);
  RunUntil(got, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].failure, Failure::kNone) << got[0].error;
  EXPECT_EQ(got[0].status, 200);
  EXPECT_EQ(got[0].body, std::string(1024, 'x'));
  EXPECT_EQ(got[0].body_bytes, 1024u);
  EXPECT_EQ(got[0].Header("content-length"), "1024");
  EXPECT_EQ(got[0].Header("server").substr(0, 5), "nginx");
  EXPECT_LE(got[0].queued_ns, got[0].sent_ns);
  EXPECT_LT(got[0].sent_ns, got[0].done_ns);
  EXPECT_EQ(pool.in_flight(), 0);
  EXPECT_EQ(pool.connections_opened(), 1u);
  EXPECT_EQ(pool.open_connections(), 1u);  // kept alive
}

TEST_F(Http1PoolTest, KeepAliveReusesOneConnection) {
  StartNginx();
  Http1Pool pool(loop_.get(), Conns(1));
  std::vector<HttpResponse> got;
  HttpRequest req = Get(nginx_.Url("/1k.html"));
  req.keep_body = false;
  req.keep_headers = false;
  for (int i = 0; i < 20; ++i) pool.Submit(req, Collect(&got));
  EXPECT_EQ(pool.in_flight(), 1);
  EXPECT_EQ(pool.queued(), 19u);
  RunUntil(got, 20);
  ASSERT_EQ(got.size(), 20u);
  for (const HttpResponse& r : got) {
    EXPECT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.body_bytes, 1024u);
    EXPECT_TRUE(r.body.empty());
    EXPECT_TRUE(r.headers.empty());
  }
  for (size_t i = 1; i < got.size(); ++i) EXPECT_GE(got[i].sent_ns, got[i - 1].done_ns);
  EXPECT_EQ(pool.connections_opened(), 1u);
  EXPECT_EQ(pool.retired_connections(), 0u);
}

TEST_F(Http1PoolTest, OpenConnectionLimitBoundsConcurrency) {
  StartNginx();
  Http1Pool pool(loop_.get(), Conns(3));
  std::vector<HttpResponse> got;
  int max_in_flight = 0;
  for (int i = 0; i < 30; ++i) {
    pool.Submit(Get(nginx_.Url("/1k.html")), [&](HttpResponse& r) {
      got.push_back(r);
      max_in_flight = std::max(max_in_flight, pool.in_flight());
    });
    max_in_flight = std::max(max_in_flight, pool.in_flight());
  }
  RunUntil(got, 30);
  ASSERT_EQ(got.size(), 30u);
  for (const HttpResponse& r : got) EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(max_in_flight, 3);
  // Each finished request hands its connection to the next queued one.
  EXPECT_EQ(pool.connections_opened(), 3u);
}

TEST_F(Http1PoolTest, UnlimitedConnectionsOpenOnePerConcurrentRequest) {
  StartNginx();
  Http1Pool pool(loop_.get(), {});
  std::vector<HttpResponse> got;
  for (int i = 0; i < 10; ++i) pool.Submit(Get(nginx_.Url("/1k.html")), Collect(&got));
  EXPECT_EQ(pool.in_flight(), 10);
  RunUntil(got, 10);
  for (int i = 0; i < 10; ++i) pool.Submit(Get(nginx_.Url("/1k.html")), Collect(&got));
  RunUntil(got, 20);
  ASSERT_EQ(got.size(), 20u);
  for (const HttpResponse& r : got) EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(pool.connections_opened(), 10u);  // the second round reuses them
}

TEST_F(Http1PoolTest, WaitQueueOverflowFailsAsynchronously) {
  StartNginx();
  ConnectionLimits limits = Conns(1);
  limits.wait_xact_lmt = 2;
  Http1Pool pool(loop_.get(), limits);
  std::vector<HttpResponse> got;
  bool inside = false;
  bool called_inside_submit = false;
  for (int i = 0; i < 5; ++i) {
    inside = true;
    pool.Submit(Get(nginx_.Url("/1k.html")), [&](HttpResponse& r) {
      called_inside_submit |= inside;
      got.push_back(r);
    });
    inside = false;
  }
  EXPECT_EQ(pool.queued(), 2u);
  RunUntil(got, 5);
  ASSERT_EQ(got.size(), 5u);
  EXPECT_FALSE(called_inside_submit);
  int overflow = 0, ok = 0;
  for (const HttpResponse& r : got) {
    if (r.failure == Failure::kQueueFull) ++overflow;
    if (r.status == 200) ++ok;
  }
  EXPECT_EQ(overflow, 2);  // 1 sent + 2 queued fit
  EXPECT_EQ(ok, 3);
  // The overflows were reported first, before any response came back.
  EXPECT_EQ(got[0].failure, Failure::kQueueFull);
  EXPECT_EQ(got[1].failure, Failure::kQueueFull);
}

TEST_F(Http1PoolTest, PersistentConnectionUseLimitRetiresExactly) {
  StartNginx();
  ConnectionLimits limits = Conns(1);
  limits.pconn_use_lmt = 5;
  Http1Pool pool(loop_.get(), limits);
  std::vector<HttpResponse> got;
  for (int i = 0; i < 20; ++i) pool.Submit(Get(nginx_.Url("/1k.html")), Collect(&got));
  RunUntil(got, 20);
  ASSERT_EQ(got.size(), 20u);
  for (const HttpResponse& r : got) EXPECT_EQ(r.failure, Failure::kNone) << r.error;
  // Requests 1-5, 6-10, 11-15 and 16-20 each had their own connection, and each connection
  // was closed after its fifth request.
  EXPECT_EQ(pool.connections_opened(), 4u);
  EXPECT_EQ(pool.retired_connections(), 4u);
  EXPECT_EQ(pool.open_connections(), 0u);
}

TEST_F(Http1PoolTest, HeadHasNoBodyAndKeepsTheConnection) {
  StartNginx();
  Http1Pool pool(loop_.get(), Conns(1));
  std::vector<HttpResponse> got;
  HttpRequest head = Get(nginx_.Url("/1k.html"));
  head.method = "HEAD";
  pool.Submit(head, Collect(&got));
  pool.Submit(Get(nginx_.Url("/1k.html")), Collect(&got));
  RunUntil(got, 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].status, 200) << got[0].error;
  EXPECT_EQ(got[0].body_bytes, 0u);
  EXPECT_EQ(got[0].Header("content-length"), "1024");
  EXPECT_EQ(got[1].status, 200) << got[1].error;
  EXPECT_EQ(got[1].body_bytes, 1024u);
  EXPECT_EQ(pool.connections_opened(), 1u);
}

TEST_F(Http1PoolTest, PostAndPutBodiesAreFramed) {
  StartNginx();
  Http1Pool pool(loop_.get(), Conns(1));
  std::vector<HttpResponse> got;
  for (const char* method : {"POST", "PUT"}) {
    HttpRequest req = Get(nginx_.Url("/1k.html"));
    req.method = method;
    req.headers = {"Content-Type: text/calendar"};
    req.body = std::string(3000, 'b');
    pool.Submit(req, Collect(&got));
    // Had the body been framed wrongly, nginx would read its rest as the next request.
    pool.Submit(Get(nginx_.Url("/1k.html")), Collect(&got));
  }
  HttpRequest empty_post = Get(nginx_.Url("/1k.html"));
  empty_post.method = "POST";  // Content-Length: 0, or nginx would answer 411
  pool.Submit(empty_post, Collect(&got));
  pool.Submit(Get(nginx_.Url("/1k.html")), Collect(&got));
  RunUntil(got, 6);
  ASSERT_EQ(got.size(), 6u);
  EXPECT_EQ(got[0].status, 405) << got[0].error;  // nginx: no POST to a static file
  EXPECT_EQ(got[1].status, 200) << got[1].error;
  EXPECT_EQ(got[2].status, 405) << got[2].error;
  EXPECT_EQ(got[3].status, 200) << got[3].error;
  EXPECT_EQ(got[4].status, 405) << got[4].error;
  EXPECT_EQ(got[5].status, 200) << got[5].error;
  for (const HttpResponse& r : got) EXPECT_EQ(r.failure, Failure::kNone);
  EXPECT_EQ(pool.connections_opened(), 1u);
}

TEST_F(Http1PoolTest, ErrorStatusesAreNotFailures) {
  StartNginx();
  Http1Pool pool(loop_.get(), Conns(1));
  std::vector<HttpResponse> got;
  pool.Submit(Get(nginx_.Url("/error")), Collect(&got));
  pool.Submit(Get(nginx_.Url("/empty")), Collect(&got));
  pool.Submit(Get(nginx_.Url("/missing")), Collect(&got));
  RunUntil(got, 3);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].status, 500);
  EXPECT_GT(got[0].body_bytes, 0u);
  EXPECT_EQ(got[1].status, 204);
  EXPECT_EQ(got[1].body_bytes, 0u);
  EXPECT_EQ(got[2].status, 404);
  for (const HttpResponse& r : got) EXPECT_EQ(r.failure, Failure::kNone) << r.error;
  // nginx closes the connection after an internal server error; the rest share a new one.
  EXPECT_EQ(got[0].Header("connection"), "close");
  EXPECT_EQ(pool.connections_opened(), 2u);
}

TEST_F(Http1PoolTest, HostNamesAreResolved) {
  StartNginx();
  Http1Pool pool(loop_.get(), {});
  std::vector<HttpResponse> got;
  std::string url = absl::StrCat("http://localhost:", nginx_.port(), "/1k.html");
  pool.Submit(Get(url), Collect(&got));
  pool.Submit(Get(url), Collect(&got));
  RunUntil(got, 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].status, 200) << got[0].error;
  EXPECT_EQ(got[1].status, 200) << got[1].error;
  std::vector<HttpResponse> bad;
  pool.Submit(Get("http://no-such-host.invalid/"), Collect(&bad));
  RunUntil(bad, 1);
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0].failure, Failure::kConnect);
  EXPECT_TRUE(absl::StrContains(bad[0].error, "no-such-host.invalid")) << bad[0].error;
}

TEST_F(Http1PoolTest, IdleConnectionsExpire) {
  StartNginx();
  ConnectionLimits limits;
  limits.idle_pconn_tout_s = 1;
  Http1Pool pool(loop_.get(), limits);
  std::vector<HttpResponse> got;
  pool.Submit(Get(nginx_.Url("/1k.html")), Collect(&got));
  RunUntil(got, 1);
  EXPECT_EQ(pool.open_connections(), 1u);
  RunFor(1300000000);
  EXPECT_EQ(pool.open_connections(), 0u);  // closed by the pool's timer
  pool.Submit(Get(nginx_.Url("/1k.html")), Collect(&got));
  RunUntil(got, 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].status, 200) << got[1].error;
  EXPECT_EQ(pool.connections_opened(), 2u);
}

TEST_F(Http1PoolTest, ClosedPortIsAConnectFailure) {
  Http1Pool pool(loop_.get(), {});
  std::vector<HttpResponse> got;
  bool inside = true;
  bool called_inside_submit = false;
  std::string url = absl::StrCat("http://127.0.0.1:", testing::FreePort(), "/");
  pool.Submit(Get(url), [&](HttpResponse& r) {
    called_inside_submit |= inside;
    got.push_back(r);
  });
  inside = false;
  RunUntil(got, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_FALSE(called_inside_submit);
  EXPECT_EQ(got[0].failure, Failure::kConnect) << got[0].error;
  EXPECT_TRUE(absl::StrContains(got[0].error, url)) << got[0].error;
  EXPECT_EQ(pool.in_flight(), 0);
  EXPECT_EQ(pool.open_connections(), 0u);
}

TEST_F(Http1PoolTest, SilentListenerIsATimeout) {
  Listener silent;  // never accepts: connections complete from the backlog, no answer
  Http1Pool pool(loop_.get(), {});
  std::vector<HttpResponse> got;
  HttpRequest req = Get(silent.Url("/"));
  req.timeout_ns = 300000000;
  pool.Submit(req, Collect(&got));
  HttpRequest longer = req;
  longer.timeout_ns = 600000000;
  pool.Submit(longer, Collect(&got));
  RunUntil(got, 2);
  ASSERT_EQ(got.size(), 2u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(got[i].failure, Failure::kTimeout) << got[i].error;
    int64_t took = got[i].done_ns - got[i].sent_ns;
    EXPECT_GE(took, (i + 1) * 300000000);
    EXPECT_LT(took, (i + 1) * 300000000 + 200000000);
  }
  EXPECT_EQ(pool.open_connections(), 0u);  // timed-out connections are closed
}

TEST_F(Http1PoolTest, ServerThatClosesWithoutAnswerIsAReset) {
  FakeServer server(loop_.get(), [](int, int) { return FakeServer::Reply{}; });
  server.set_close_on_accept(true);
  Http1Pool pool(loop_.get(), {});
  std::vector<HttpResponse> got;
  pool.Submit(Get(server.Url("/")), Collect(&got));
  RunUntil(got, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].failure, Failure::kReset) << got[0].error;
  EXPECT_EQ(pool.connections_opened(), 1u);  // a fresh connection is not retried
}

TEST_F(Http1PoolTest, UnsupportedUrlsFailAsynchronously) {
  Http1Pool pool(loop_.get(), {});
  std::vector<HttpResponse> got;
  bool inside = true;
  bool called_inside_submit = false;
  for (const char* url : {"https://127.0.0.1/", "not a url"}) {
    pool.Submit(Get(url), [&](HttpResponse& r) {
      called_inside_submit |= inside;
      got.push_back(r);
    });
  }
  inside = false;
  EXPECT_EQ(pool.in_flight(), 0);
  RunUntil(got, 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_FALSE(called_inside_submit);
  EXPECT_EQ(got[0].failure, Failure::kOther);
  EXPECT_TRUE(absl::StrContains(got[0].error, "https://127.0.0.1/")) << got[0].error;
  EXPECT_EQ(got[1].failure, Failure::kOther);
  EXPECT_TRUE(absl::StrContains(got[1].error, "not a url")) << got[1].error;
}

TEST_F(Http1PoolTest, RequestBytesOnTheWire) {
  FakeServer server(loop_.get(), [](int, int) { return Ok(); });
  Http1Pool pool(loop_.get(), Conns(1));
  std::vector<HttpResponse> got;
  HttpRequest post = Get(server.Url("/cal/x.ics?a=1#fragment"));
  post.method = "POST";
  post.headers = {"X-One: 1", "Accept:", "X-Empty;", "Depth: 0"};
  post.body = "body";
  pool.Submit(post, Collect(&got));
  HttpRequest get = Get(absl::StrCat("http://127.0.0.1:", server.port(), "?q"));
  get.headers = {"host: other.example", "Content-Length: 0"};
  pool.Submit(get, Collect(&got));
  HttpRequest put = Get(server.Url("/"));
  put.method = "PUT";
  pool.Submit(put, Collect(&got));
  RunUntil(got, 3);
  ASSERT_EQ(got.size(), 3u);
  ASSERT_EQ(server.requests().size(), 3u);
  std::string host = absl::StrCat("127.0.0.1:", server.port());
  EXPECT_EQ(server.requests()[0],
            absl::StrCat("POST /cal/x.ics?a=1 HTTP/1.1\r\nHost: ", host,
                         "\r\nX-One: 1\r\nX-Empty:\r\nDepth: 0\r\nContent-Length: 4\r\n\r\nbody"));
  EXPECT_EQ(server.requests()[1],
            "GET /?q HTTP/1.1\r\nhost: other.example\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(server.requests()[2],
            absl::StrCat("PUT / HTTP/1.1\r\nHost: ", host, "\r\nContent-Length: 0\r\n\r\n"));
}

TEST_F(Http1PoolTest, ChunkedResponseInPieces) {
  FakeServer server(loop_.get(), [](int, int) {
    return FakeServer::Reply{{"HTTP/1.1 200 OK\r\nTransfer-Enc",
                              "oding: chunked\r\n\r\n5;e=1\r\nhel",
                              "lo\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n", "\r\n"}};
  });
  Http1Pool pool(loop_.get(), Conns(1));
  std::vector<HttpResponse> got;
  pool.Submit(Get(server.Url("/a")), Collect(&got));
  pool.Submit(Get(server.Url("/b")), Collect(&got));
  RunUntil(got, 2);
  ASSERT_EQ(got.size(), 2u);
  for (const HttpResponse& r : got) {
    EXPECT_EQ(r.failure, Failure::kNone) << r.error;
    EXPECT_EQ(r.body, "hello, world");
    EXPECT_EQ(r.Header("x-trailer"), "");
  }
  EXPECT_GE(got[0].done_ns - got[0].sent_ns, 15000000);  // the last piece came 15 ms later
  EXPECT_EQ(pool.connections_opened(), 1u);
  EXPECT_EQ(server.accepted(), 1);
}

TEST_F(Http1PoolTest, LargeBodyAcrossManyReads) {
  std::string big(300 * 1024, 'z');
  big[12345] = 'a';
  FakeServer server(loop_.get(), [&](int, int) { return Ok(big); });
  Http1Pool pool(loop_.get(), {});
  std::vector<HttpResponse> got;
  pool.Submit(Get(server.Url("/big")), Collect(&got));
  RunUntil(got, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].failure, Failure::kNone) << got[0].error;
  EXPECT_EQ(got[0].body_bytes, big.size());
  EXPECT_TRUE(got[0].body == big);
  EXPECT_EQ(pool.open_connections(), 1u);
}

TEST_F(Http1PoolTest, ConnectionCloseIsHonoured) {
  FakeServer server(loop_.get(), [](int, int) {
    return Ok("bye", "Connection: close\r\n", /*close_after=*/true);
  });
  Http1Pool pool(loop_.get(), Conns(1));
  std::vector<HttpResponse> got;
  size_t open_after_first = 99;
  pool.Submit(Get(server.Url("/")), [&](HttpResponse& r) {
    got.push_back(r);
    open_after_first = pool.open_connections();
  });
  pool.Submit(Get(server.Url("/")), Collect(&got));
  RunUntil(got, 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(open_after_first, 1u);  // the queued request's fresh connection, not the old one
  for (const HttpResponse& r : got) EXPECT_EQ(r.body, "bye") << r.error;
  EXPECT_EQ(pool.connections_opened(), 2u);
  EXPECT_EQ(server.accepted(), 2);
  EXPECT_EQ(pool.retired_connections(), 0u);
}

TEST_F(Http1PoolTest, Http10ClosesUnlessKeptAlive) {
  FakeServer server(loop_.get(), [](int conn, int) {
    if (conn == 0) {
      return FakeServer::Reply{{"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"}, true};
    }
    return FakeServer::Reply{
        {"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok"}};
  });
  Http1Pool pool(loop_.get(), Conns(1));
  std::vector<HttpResponse> got;
  for (int i = 0; i < 3; ++i) pool.Submit(Get(server.Url("/")), Collect(&got));
  RunUntil(got, 3);
  ASSERT_EQ(got.size(), 3u);
  for (const HttpResponse& r : got) EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(server.request_conns(), (std::vector<int>{0, 1, 1}));
  EXPECT_EQ(pool.connections_opened(), 2u);
}

TEST_F(Http1PoolTest, BodyDelimitedByClose) {
  FakeServer server(loop_.get(), [](int, int) {
    return FakeServer::Reply{{"HTTP/1.1 200 OK\r\n\r\nfirst part,", " second part"}, true};
  });
  Http1Pool pool(loop_.get(), {});
  std::vector<HttpResponse> got;
  pool.Submit(Get(server.Url("/")), Collect(&got));
  RunUntil(got, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].failure, Failure::kNone) << got[0].error;
  EXPECT_EQ(got[0].body, "first part, second part");
  EXPECT_EQ(pool.open_connections(), 0u);
}

TEST_F(Http1PoolTest, IdleConnectionClosedByServerIsRetriedOnce) {
  // The server closes each connection right after its first response, without saying so.
  FakeServer server(loop_.get(), [](int conn, int) {
    return Ok(absl::StrCat("conn", conn), "", /*close_after=*/true);
  });
  std::vector<HttpResponse> got = TwoRequestsBackToBack(server);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].failure, Failure::kNone) << got[0].error;
  EXPECT_EQ(got[0].body, "conn0");
  EXPECT_EQ(got[1].failure, Failure::kNone) << got[1].error;
  EXPECT_EQ(got[1].body, "conn1");  // sent again on a fresh connection
  EXPECT_EQ(opened_, 2u);
  EXPECT_EQ(server.request_conns(), (std::vector<int>{0, 1}));
}

TEST_F(Http1PoolTest, RetryIsOnlyOnce) {
  // First connection: one response, then closed. Later ones: closed on the first request.
  FakeServer server(loop_.get(), [](int conn, int) {
    if (conn == 0) return Ok("first", "", /*close_after=*/true);
    return FakeServer::Reply{{}, /*close_after=*/true};
  });
  std::vector<HttpResponse> got = TwoRequestsBackToBack(server);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].failure, Failure::kNone) << got[0].error;
  EXPECT_EQ(got[1].failure, Failure::kReset) << got[1].error;
  EXPECT_EQ(opened_, 2u);
}

TEST_F(Http1PoolTest, ServerCloseNoticedWhileIdle) {
  FakeServer server(loop_.get(), [](int, int) { return Ok("x", "", /*close_after=*/true); });
  Http1Pool pool(loop_.get(), {});
  std::vector<HttpResponse> got;
  pool.Submit(Get(server.Url("/")), Collect(&got));
  RunUntil(got, 1);
  RunFor(50000000);
  EXPECT_EQ(pool.open_connections(), 0u);  // EOF on the idle connection closed it
  pool.Submit(Get(server.Url("/")), Collect(&got));
  RunUntil(got, 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].failure, Failure::kNone) << got[1].error;
}

TEST_F(Http1PoolTest, MalformedResponse) {
  FakeServer server(loop_.get(),
                    [](int, int) { return FakeServer::Reply{{"HTTP/1.1 2x0 Bad\r\n\r\n"}}; });
  Http1Pool pool(loop_.get(), {});
  std::vector<HttpResponse> got;
  pool.Submit(Get(server.Url("/")), Collect(&got));
  RunUntil(got, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].failure, Failure::kMalformed);
  EXPECT_TRUE(absl::StrContains(got[0].error, "status")) << got[0].error;
  EXPECT_EQ(pool.open_connections(), 0u);
}

TEST_F(Http1PoolTest, ResponseCutShortIsAReset) {
  FakeServer server(loop_.get(), [](int, int) {
    return FakeServer::Reply{{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"}, true};
  });
  Http1Pool pool(loop_.get(), {});
  std::vector<HttpResponse> got;
  pool.Submit(Get(server.Url("/")), Collect(&got));
  RunUntil(got, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].failure, Failure::kReset);
  EXPECT_TRUE(absl::StrContains(got[0].error, "middle")) << got[0].error;
}

TEST_F(Http1PoolTest, ChallengesAreKeptWithoutKeepHeaders) {
  FakeServer server(loop_.get(), [](int, int) {
    return FakeServer::Reply{
        {"HTTP/1.1 401 Unauthorized\r\nServer: fake\r\nWWW-Authenticate: Basic realm=\"r\"\r\n"
         "Content-Length: 0\r\n\r\n"}};
  });
  Http1Pool pool(loop_.get(), {});
  std::vector<HttpResponse> got;
  HttpRequest req = Get(server.Url("/"));
  req.keep_headers = false;
  pool.Submit(req, Collect(&got));
  RunUntil(got, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].status, 401);
  ASSERT_EQ(got[0].headers.size(), 1u);
  EXPECT_EQ(got[0].Header("www-authenticate"), "Basic realm=\"r\"");
}

TEST_F(Http1PoolTest, DestructionDropsRequestsWithoutCallbacks) {
  Listener silent;
  bool called = false;
  {
    Http1Pool pool(loop_.get(), Conns(1));
    HttpRequest req = Get(silent.Url("/"));
    req.timeout_ns = 100000000;
    pool.Submit(req, [&](HttpResponse&) { called = true; });
    pool.Submit(req, [&](HttpResponse&) { called = true; });
    pool.Submit(Get("https://x/"), [&](HttpResponse&) { called = true; });  // deferred
    RunFor(20000000);
    EXPECT_TRUE(called);  // the deferred rejection ran
    called = false;
    pool.Submit(Get("https://x/"), [&](HttpResponse&) { called = true; });
    EXPECT_EQ(pool.in_flight(), 1);
    EXPECT_EQ(pool.queued(), 1u);
  }
  RunFor(300000000);  // the pool's timers are gone too
  EXPECT_FALSE(called);
}

// A closed-loop throughput comparison against nginx: 50 clients with one connection each,
// each sending its next GET as soon as the previous response is in. Prints requests/s and
// CPU time per request (this process only; nginx runs in another) for Http1Pool, the curl
// ConnectionPool and, when installed, wrk with 50 connections on one thread. Run with
//   worker_http1_client_test --gtest_also_run_disabled_tests --gtest_filter='*Throughput*'
// (LOADSIM_BENCH_SECONDS overrides the 5 s per run; LOADSIM_BENCH_HTTP1_ONLY=1 runs Http1Pool
// alone, e.g. under callgrind).
struct Cpu {
  double user = 0;
  double sys = 0;
  double total() const { return user + sys; }
  Cpu operator-(const Cpu& o) const { return {user - o.user, sys - o.sys}; }
};
Cpu CpuNow(int who) {
  rusage ru{};
  getrusage(who, &ru);
  return {static_cast<double>(ru.ru_utime.tv_sec) + ru.ru_utime.tv_usec / 1e6,
          static_cast<double>(ru.ru_stime.tv_sec) + ru.ru_stime.tv_usec / 1e6};
}
void PrintRun(const char* name, double requests, double seconds, const Cpu& cpu, uint64_t failed) {
  std::printf(
      "%-15s %8.0f req/s  %6.2f us CPU/req (user %5.2f + sys %5.2f)  %.0f requests, "
      "%llu failed\n",
      name, requests / seconds, cpu.total() / requests * 1e6, cpu.user / requests * 1e6,
      cpu.sys / requests * 1e6, requests, static_cast<unsigned long long>(failed));
}

TEST_F(Http1PoolTest, DISABLED_ThroughputAgainstNginx) {
  StartNginx();
  const char* env = std::getenv("LOADSIM_BENCH_SECONDS");
  const double seconds = env != nullptr ? std::atof(env) : 5.0;
  const char* only = std::getenv("LOADSIM_BENCH_HTTP1_ONLY");
  constexpr int kClients = 50;
  const std::string url = nginx_.Url("/1k.html");
  auto engine = *HttpEngine::Create(loop_.get());

  // The state one request callback needs, behind one pointer (a callback of two pointers
  // fits std::function's inline storage, like a robot's).
  struct Bench {
    std::string url;
    uint64_t done = 0;
    uint64_t failed = 0;
    bool stopping = false;
    void Issue(HttpTransport* pool) {
      HttpRequest req;
      req.url = url;
      req.keep_body = false;
      req.keep_headers = false;
      pool->Submit(std::move(req), [this, pool](HttpResponse& r) {
        ++done;
        if (r.failure != Failure::kNone || r.status != 200) ++failed;
        if (!stopping) Issue(pool);
      });
    }
  };

  auto run = [&](const char* name, auto make_pool) {
    std::vector<std::unique_ptr<HttpTransport>> pools;
    for (int i = 0; i < kClients; ++i) pools.push_back(make_pool(Conns(1)));
    Bench bench;
    bench.url = url;
    uint64_t& done = bench.done;
    uint64_t& failed = bench.failed;
    bool& stopping = bench.stopping;
    auto issue = [&](HttpTransport* pool) { bench.Issue(pool); };
    // Warm up (connections open), then measure.
    for (auto& p : pools) issue(p.get());
    loop_->Run(MonotonicNowNs() + 300000000);
    uint64_t done0 = done;
    Cpu cpu0 = CpuNow(RUSAGE_SELF);
    int64_t t0 = MonotonicNowNs();
    loop_->Run(t0 + static_cast<int64_t>(seconds * 1e9));
    double elapsed = static_cast<double>(MonotonicNowNs() - t0) / 1e9;
    Cpu cpu = CpuNow(RUSAGE_SELF) - cpu0;
    uint64_t n = done - done0;
    stopping = true;
    int64_t drain = MonotonicNowNs() + 2000000000;
    auto busy = [&] {
      for (auto& p : pools) {
        if (p->in_flight() > 0) return true;
      }
      return false;
    };
    while (busy() && MonotonicNowNs() < drain) loop_->Run(MonotonicNowNs() + 10000000);
    PrintRun(name, static_cast<double>(n), elapsed, cpu, failed);
    EXPECT_EQ(failed, 0u);
  };
  run("Http1Pool", [&](const ConnectionLimits& l) -> std::unique_ptr<HttpTransport> {
    return std::make_unique<Http1Pool>(loop_.get(), l);
  });
  if (only != nullptr) return;  // e.g. under callgrind
  run("ConnectionPool", [&](const ConnectionLimits& l) -> std::unique_ptr<HttpTransport> {
    return std::make_unique<ConnectionPool>(engine.get(), l);
  });
  if (std::system("command -v wrk >/dev/null 2>&1") == 0) {
    std::string cmd = absl::StrCat("wrk -t1 -c", kClients, " -d", static_cast<int>(seconds), "s ",
                                   url, " > /tmp/h1bench-wrk.txt");
    Cpu cpu0 = CpuNow(RUSAGE_CHILDREN);
    int rc = std::system(cmd.c_str());
    Cpu cpu = CpuNow(RUSAGE_CHILDREN) - cpu0;
    EXPECT_EQ(rc, 0);
    if (FILE* f = std::fopen("/tmp/h1bench-wrk.txt", "r")) {
      char line[512];
      while (std::fgets(line, sizeof(line), f) != nullptr) {
        double rps = 0;
        if (std::sscanf(line, "Requests/sec: %lf", &rps) == 1) {
          PrintRun("wrk (1 thread)", rps * seconds, seconds, cpu, 0);
        }
      }
      std::fclose(f);
    }
  }
}

}  // namespace
}  // namespace loadsim
