// Http1Pool: one simulated client's native HTTP/1.1 keep-alive connections over plain TCP,
// on one EventLoop. The fast alternative to the libcurl ConnectionPool for http:// targets.
//
// Same contract as ConnectionPool (worker/http_engine.h): at most open_conn_lmt connections
// (0 = unlimited), each carrying one request at a time (no pipelining); requests beyond that
// wait in a queue of at most wait_xact_lmt (0 = unlimited; overflow completes with
// Failure::kQueueFull); a connection is closed after pconn_use_lmt requests (0 = unlimited)
// and when idle for idle_pconn_tout_s seconds (<= 0: idle connections are not kept). `done`
// always runs on the loop thread, never inside Submit. Idle connections are reused LIFO. A
// reused connection that the server had closed (EOF or reset before any byte of the response)
// is retried once on a fresh connection, whatever the method, as browsers and curl do.
//
// Only "http://host[:port][/path][?query][#fragment]" URLs are served (CanServe; no user
// info, the path and query in printable ASCII, the fragment not sent): IPv4 literals, IPv6
// literals in brackets, or names. A name is resolved with getaddrinfo, which BLOCKS the loop,
// once per (host, port) for the pool's lifetime (failures are retried after 5 s); the first
// IPv4 address is used, else the first IPv6 one. Anything else completes with
// Failure::kOther. Response bodies are not decoded (Content-Encoding is the caller's
// business); WWW-Authenticate fields are stored even when keep_headers is false, as the auth
// layer needs them.
//
// Request bytes: "METHOD target HTTP/1.1", Host (unless the caller gives one), the caller's
// headers as given (curl conventions: "Name:" with no value is left out, "Name;" sends an
// empty value), Content-Length when there is a body or the method is POST or PUT (unless the
// caller gives one), then the body. Default headers (User-Agent, Accept) are the caller's.
//
// Hot path: a steady keep-alive request costs one send, one recv and no epoll_ctl; the pool
// allocates nothing for it unless the caller keeps the body or headers (buffers, request
// records and connections are recycled); timeouts and idle expiry share one loop timer per
// pool. Belongs to the loop's thread; not thread-safe. Destroying it closes every connection;
// requests in flight or queued are dropped and their callbacks never run. It must not be
// destroyed from inside one of its own callbacks.
#ifndef LOADSIM_WORKER_HTTP1_CLIENT_H_
#define LOADSIM_WORKER_HTTP1_CLIENT_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "worker/event_loop.h"
#include "worker/http1_parser.h"
#include "worker/http_engine.h"

namespace loadsim {

class Http1Pool : public HttpTransport {
 public:
  Http1Pool(EventLoop* loop, ConnectionLimits limits);
  ~Http1Pool() override;
  Http1Pool(const Http1Pool&) = delete;
  Http1Pool& operator=(const Http1Pool&) = delete;

  // Whether `url` has a form Http1Pool serves (plain http://, see above; names are not
  // resolved here). Callers use the curl ConnectionPool otherwise.
  static bool CanServe(absl::string_view url);

  void Submit(HttpRequest req, HttpDone done) override;
  int in_flight() const override { return in_flight_; }
  size_t queued() const override { return queue_.size(); }
  const ConnectionLimits& limits() const { return limits_; }
  // Connections closed because they reached pconn_use_lmt (while otherwise reusable).
  uint64_t retired_connections() const { return retired_; }
  // Connections this pool opened (connect attempts, retries included).
  uint64_t connections_opened() const { return opened_; }
  // Connections open now (busy or idle).
  size_t open_connections() const { return conns_.size(); }

 private:
  struct Origin;
  struct Exchange;
  struct Conn;

  // RAII: completions that happen while it lives are deferred to a loop timer.
  class DeferScope;

  // Where the parts of an http:// URL are in it.
  struct UrlParts {
    uint32_t host_off = 0;  // the host, without an IPv6 literal's brackets
    uint32_t host_len = 0;
    uint32_t target_off = 0;  // path and query: may be empty or start with '?'
    uint32_t target_len = 0;
    uint16_t port = 80;
    bool ipv6 = false;
  };
  static bool ParseHttpUrl(absl::string_view url, UrlParts* out);
  // ParseHttpUrl, with the previous result reused when the URL repeats (as it mostly does).
  bool ParseUrl(const std::string& url, UrlParts* out);

  bool SlotFree() const { return limits_.open_conn_lmt <= 0 || in_flight_ < limits_.open_conn_lmt; }
  std::unique_ptr<Exchange> TakeExchange();
  void RecycleExchange(std::unique_ptr<Exchange> ex);
  // Drops the connection's serialized request once it is no longer needed (large buffers freed).
  void ReleaseOut(Conn* c);
  void Start(std::unique_ptr<Exchange> ex);
  // Ends a request that got a slot (conn already detached or closed).
  void Complete(std::unique_ptr<Exchange> ex, Failure failure, std::string error);
  // Ends a request that never got a slot.
  void Reject(std::unique_ptr<Exchange> ex, Failure failure, std::string error);
  void Deliver(HttpDone& done, HttpResponse& resp);
  void RunDeferred();
  void Pump();

  Origin* FindOrigin(absl::string_view host, uint16_t port);
  bool Resolve(Origin* origin, std::string* error);
  Conn* TakeIdle(Origin* origin, int64_t now);
  Conn* OpenConn(Origin* origin, std::string* error);
  void Attach(Conn* c, std::unique_ptr<Exchange> ex);
  void Serialize(Conn* c, const Exchange& ex);
  // Sends what is left of the request. False: the connection was closed (request handled).
  bool WriteSome(Conn* c);
  void ReadSome(Conn* c);
  void OnEvents(Conn* c, uint32_t events);
  void OnConnected(Conn* c);
  void OnResponseComplete(Conn* c, bool clean);
  // The connection broke (EOF or error) while carrying a request: retry or fail.
  void OnBroken(Conn* c, int err);
  void SetEvents(Conn* c, uint32_t events);
  void MakeIdle(Conn* c);
  void CloseConn(Conn* c);
  void CloseOldestIdle();

  void ArmTimer(int64_t due_ns);
  void OnTimer();

  EventLoop* loop_;
  ConnectionLimits limits_;
  int64_t idle_ns_;
  int in_flight_ = 0;
  uint64_t retired_ = 0;
  uint64_t opened_ = 0;
  int defer_depth_ = 0;
  bool pumping_ = false;

  std::deque<std::unique_ptr<Exchange>> queue_;
  std::vector<std::unique_ptr<Exchange>> spare_exchanges_;
  std::vector<std::unique_ptr<Conn>> conns_;  // every open connection
  std::vector<std::unique_ptr<Conn>> spare_conns_;
  std::vector<std::unique_ptr<Origin>> origins_;
  Origin* last_origin_ = nullptr;
  std::string last_url_;  // the URL last parsed ("" if it was not valid) and its parts
  UrlParts last_parts_;

  struct Deferred {
    HttpDone done;
    HttpResponse resp;
  };
  std::vector<Deferred> deferred_;
  EventLoop::TimerId deferred_timer_ = 0;

  // One timer for request deadlines and idle expiry: armed for the earliest known one.
  EventLoop::TimerId timer_ = 0;
  int64_t timer_due_ = 0;
};

}  // namespace loadsim

#endif  // LOADSIM_WORKER_HTTP1_CLIENT_H_
