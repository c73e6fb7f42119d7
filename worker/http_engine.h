// HttpEngine and ConnectionPool: HTTP/1.1 over libcurl's multi socket API on one EventLoop.
//
// HttpEngine owns the thread's curl multi handle, hooks curl's sockets and timer into the
// EventLoop (curl_multi_socket_action, no polling) and recycles easy handles. A
// ConnectionPool is one simulated client's set of keep-alive connections (its own curl
// connection cache), with Polygraph's limits: open_conn_lmt concurrent requests, a wait queue
// of at most wait_xact_lmt requests (overflow fails at once with kQueueFull), pconn_use_lmt
// requests per connection, idle_pconn_tout. Failures are classified, never thrown. Both
// classes belong to the loop's thread; not thread-safe.
#ifndef LOADSIM_WORKER_HTTP_ENGINE_H_
#define LOADSIM_WORKER_HTTP_ENGINE_H_

#include <curl/curl.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "worker/event_loop.h"

namespace loadsim {

enum class Failure {
  kNone,
  kConnect,     // could not connect or resolve
  kTimeout,     // xact_lifetime exceeded
  kReset,       // connection reset, closed early, nothing received
  kTls,         // TLS handshake or certificate problem
  kMalformed,   // the response was not valid HTTP
  kHttpStatus,  // a status the caller did not expect (set by callers)
  kQueueFull,   // wait_xact_lmt exceeded: the request was never sent
  kOther,
};
const char* FailureName(Failure f);

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  int64_t timeout_ns = 0;  // 0: none
  bool keep_body = true;   // false: count the body bytes only
  bool keep_headers = true;  // false: do not store response headers (saves allocations)
};

struct HttpResponse {
  long status = 0;
  Failure failure = Failure::kNone;
  std::string error;  // curl's message for transport failures
  std::string body;
  uint64_t body_bytes = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  int64_t queued_ns = 0;  // when the request was submitted to its pool
  int64_t sent_ns = 0;    // when it got a connection slot and went to curl
  int64_t done_ns = 0;    // when the response was complete (or the failure happened)

  // First header with this (lower-case) name, or "".
  absl::string_view Header(absl::string_view lower_name) const;
};

using HttpDone = std::function<void(HttpResponse&)>;

// One simulated client's way of sending requests: its own connections and limits. Two
// implementations: ConnectionPool (libcurl: TLS and everything else) and Http1Pool (native
// HTTP/1.1 over plain TCP, for speed). Callers and the auth layer use this interface.
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Sends now if a connection slot is free, else queues; a full queue completes `done` with
  // Failure::kQueueFull. `done` always runs on the loop thread, never inside Submit.
  virtual void Submit(HttpRequest req, HttpDone done) = 0;
  virtual int in_flight() const = 0;
  virtual size_t queued() const = 0;
};

class ConnectionPool;
namespace internal {
struct Transfer;  // one curl easy handle and the request it carries
}  // namespace internal

class HttpEngine {
 public:
  static absl::StatusOr<std::unique_ptr<HttpEngine>> Create(EventLoop* loop);
  ~HttpEngine();
  HttpEngine(const HttpEngine&) = delete;
  HttpEngine& operator=(const HttpEngine&) = delete;

  EventLoop* loop() const { return loop_; }
  size_t in_flight() const { return in_flight_; }
  uint64_t completed() const { return completed_; }

 private:
  friend class ConnectionPool;
  using Transfer = internal::Transfer;

  explicit HttpEngine(EventLoop* loop, CURLM* multi);
  // Hands a request to curl now. `pool` supplies the connection cache and options.
  void Send(ConnectionPool* pool, HttpRequest req, HttpDone done, int64_t queued_ns);
  // Removes an in-flight transfer from curl without completing it.
  void Abort(Transfer* t);
  void OnSocket(int fd, uint32_t events);
  void OnCurlTimer();
  void ReapDone();
  static int SocketCallback(CURL* easy, curl_socket_t fd, int what, void* userp, void* socketp);
  static int TimerCallback(CURLM* multi, long timeout_ms, void* userp);
  static int CloseSocket(void* userp, curl_socket_t fd);
  static size_t WriteBody(char* ptr, size_t size, size_t n, void* userp);
  static size_t WriteHeader(char* ptr, size_t size, size_t n, void* userp);

  EventLoop* loop_;
  CURLM* multi_;
  EventLoop::TimerId curl_timer_ = 0;
  std::unordered_map<int, uint32_t> watched_;  // fd -> epoll events
  std::unordered_map<curl_socket_t, int64_t> conn_uses_;  // requests served per open connection
  size_t in_flight_ = 0;
  uint64_t completed_ = 0;
};

struct ConnectionLimits {
  int open_conn_lmt = 0;       // 0: unlimited concurrent requests
  int wait_xact_lmt = 0;       // 0: unlimited queue
  int64_t pconn_use_lmt = 0;   // 0: unlimited requests per connection
  int64_t idle_pconn_tout_s = 15;
  bool verify_tls = false;
};

class ConnectionPool : public HttpTransport {
 public:
  ConnectionPool(HttpEngine* engine, ConnectionLimits limits);
  // Requests still in flight are aborted (their callbacks never run); queued ones dropped.
  ~ConnectionPool() override;
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Sends now if a slot is free, else queues; a full queue completes `done` at once with
  // Failure::kQueueFull. `done` always runs on the loop thread, never inside Submit.
  void Submit(HttpRequest req, HttpDone done) override;

  int in_flight() const override { return in_flight_; }
  size_t queued() const override { return queue_.size(); }
  const ConnectionLimits& limits() const { return limits_; }
  // Connections closed because they reached pconn_use_lmt.
  uint64_t retired_connections() const { return retired_; }

 private:
  friend class HttpEngine;
  struct Waiting {
    HttpRequest req;
    HttpDone done;
    int64_t queued_ns;
  };
  void OnComplete(curl_socket_t socket_after);
  void Pump();
  // A transfer configured with this pool's fixed options (recycled: options that did not
  // change between requests are not set again).
  std::unique_ptr<internal::Transfer> TakeTransfer();
  void ReturnTransfer(std::unique_ptr<internal::Transfer> t);

  HttpEngine* engine_;
  ConnectionLimits limits_;
  CURLSH* share_;
  int in_flight_ = 0;
  std::deque<Waiting> queue_;
  uint64_t retired_ = 0;
  std::vector<std::unique_ptr<internal::Transfer>> free_;  // destroyed before share_
  std::vector<internal::Transfer*> active_;  // in flight (owned by curl until completion)
};

}  // namespace loadsim

#endif  // LOADSIM_WORKER_HTTP_ENGINE_H_
