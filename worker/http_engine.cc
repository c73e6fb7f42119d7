#include "worker/http_engine.h"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <unistd.h>

#include <cctype>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace loadsim {

const char* FailureName(Failure f) {
  switch (f) {
    case Failure::kNone:
      return "none";
    case Failure::kConnect:
      return "connect";
    case Failure::kTimeout:
      return "timeout";
    case Failure::kReset:
      return "reset";
    case Failure::kTls:
      return "tls";
    case Failure::kMalformed:
      return "malformed";
    case Failure::kHttpStatus:
      return "status";
    case Failure::kQueueFull:
      return "queue-full";
    case Failure::kOther:
      return "other";
  }
  return "other";
}

absl::string_view HttpResponse::Header(absl::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return "";
}

namespace {

Failure Classify(CURLcode code) {
  switch (code) {
    case CURLE_OK:
      return Failure::kNone;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return Failure::kConnect;
    case CURLE_OPERATION_TIMEDOUT:
      return Failure::kTimeout;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
      return Failure::kReset;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
      return Failure::kTls;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return Failure::kMalformed;
    default:
      return Failure::kOther;
  }
}

// curl_global_init is not thread-safe; do it once before any engine exists.
void GlobalInitOnce() {
  static const bool done = [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return true;
  }();
  (void)done;
}

}  // namespace

namespace internal {
struct Transfer {
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  ConnectionPool* pool = nullptr;
  HttpRequest req;  // the current request, or the previous one while idle
  HttpResponse resp;
  HttpDone done;
  bool fresh = true;  // no request carried yet: every option must be set
  size_t active_index = 0;  // position in the pool's active_ list while in flight

  ~Transfer() {
    if (easy != nullptr) curl_easy_cleanup(easy);
    if (headers != nullptr) curl_slist_free_all(headers);
  }
};
}  // namespace internal

absl::StatusOr<std::unique_ptr<HttpEngine>> HttpEngine::Create(EventLoop* loop) {
  GlobalInitOnce();
  CURLM* multi = curl_multi_init();
  if (multi == nullptr) return absl::InternalError("curl_multi_init failed");
  std::unique_ptr<HttpEngine> engine(new HttpEngine(loop, multi));
  curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &HttpEngine::SocketCallback);
  curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, engine.get());
  curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &HttpEngine::TimerCallback);
  curl_multi_setopt(multi, CURLMOPT_TIMERDATA, engine.get());
  return engine;
}

HttpEngine::HttpEngine(EventLoop* loop, CURLM* multi) : loop_(loop), multi_(multi) {}

HttpEngine::~HttpEngine() {
  if (curl_timer_ != 0) loop_->CancelTimer(curl_timer_);
  for (const auto& [fd, events] : watched_) loop_->UnwatchFd(fd);
  curl_multi_cleanup(multi_);
}

int HttpEngine::SocketCallback(CURL*, curl_socket_t fd, int what, void* userp, void*) {
  auto* self = static_cast<HttpEngine*>(userp);
  if (what == CURL_POLL_REMOVE) {
    self->watched_.erase(fd);
    self->loop_->UnwatchFd(fd);
    return 0;
  }
  uint32_t events = 0;
  if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) events |= EPOLLIN;
  if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) events |= EPOLLOUT;
  auto it = self->watched_.find(fd);
  if (it == self->watched_.end()) {
    self->watched_[fd] = events;
    absl::Status s =
        self->loop_->WatchFd(fd, events, [self, fd](uint32_t ev) { self->OnSocket(fd, ev); });
    (void)s;  // epoll_ctl on a fresh socket only fails on resource exhaustion; curl times out
  } else if (it->second != events) {
    it->second = events;
    absl::Status s = self->loop_->SetFdEvents(fd, events);
    (void)s;
  }
  return 0;
}

int HttpEngine::TimerCallback(CURLM*, long timeout_ms, void* userp) {
  auto* self = static_cast<HttpEngine*>(userp);
  if (self->curl_timer_ != 0) {
    self->loop_->CancelTimer(self->curl_timer_);
    self->curl_timer_ = 0;
  }
  if (timeout_ms >= 0) {
    int64_t due = self->loop_->now_ns() + static_cast<int64_t>(timeout_ms) * 1000000;
    self->curl_timer_ = self->loop_->AddTimer(due, [self] { self->OnCurlTimer(); });
  }
  return 0;
}

void HttpEngine::OnCurlTimer() {
  curl_timer_ = 0;
  int running = 0;
  curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running);
  ReapDone();
}

void HttpEngine::OnSocket(int fd, uint32_t events) {
  int mask = 0;
  if (events & EPOLLIN) mask |= CURL_CSELECT_IN;
  if (events & EPOLLOUT) mask |= CURL_CSELECT_OUT;
  if (events & (EPOLLERR | EPOLLHUP)) mask |= CURL_CSELECT_ERR;
  int running = 0;
  curl_multi_socket_action(multi_, fd, mask, &running);
  ReapDone();
}

int HttpEngine::CloseSocket(void* userp, curl_socket_t fd) {
  static_cast<HttpEngine*>(userp)->conn_uses_.erase(fd);
  return close(fd);
}

size_t HttpEngine::WriteBody(char* ptr, size_t size, size_t n, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  size_t bytes = size * n;
  t->resp.body_bytes += bytes;
  if (t->req.keep_body) t->resp.body.append(ptr, bytes);
  return bytes;
}

size_t HttpEngine::WriteHeader(char* ptr, size_t size, size_t n, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  size_t bytes = size * n;
  absl::string_view line(ptr, bytes);
  // Challenges are always kept: the auth layer needs them even when headers are not.
  if (!t->req.keep_headers && !absl::StartsWithIgnoreCase(line, "www-authenticate:")) {
    return bytes;
  }
  if (absl::StartsWith(line, "HTTP/")) {
    t->resp.headers.clear();  // a new response (after 100 Continue or a redirect)
    return bytes;
  }
  size_t colon = line.find(':');
  if (colon == absl::string_view::npos) return bytes;
  std::string name = absl::AsciiStrToLower(line.substr(0, colon));
  absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
  t->resp.headers.emplace_back(std::move(name), std::string(value));
  return bytes;
}

void HttpEngine::Send(ConnectionPool* pool, HttpRequest req, HttpDone done, int64_t queued_ns) {
  std::unique_ptr<Transfer> t = pool->TakeTransfer();
  CURL* e = t->easy;
  // Only options that differ from the previous request of this handle are set: per-request
  // setup is a measurable share of the generator's CPU at high rates.
  const bool fresh = t->fresh;
  if (fresh || req.url != t->req.url) curl_easy_setopt(e, CURLOPT_URL, req.url.c_str());
  if (fresh || req.method != t->req.method || req.body.empty() != t->req.body.empty()) {
    if (req.method == "HEAD") {
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, nullptr);
      curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (req.method == "GET" && req.body.empty()) {
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, nullptr);
      curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else {
      curl_easy_setopt(e, CURLOPT_NOBODY, 0L);
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    }
  }
  if (fresh || req.headers != t->req.headers) {
    if (t->headers != nullptr) curl_slist_free_all(t->headers);
    // No "Expect: 100-continue" round trip: CalDAV clients send bodies straight away.
    t->headers = curl_slist_append(nullptr, "Expect:");
    for (const std::string& h : req.headers) t->headers = curl_slist_append(t->headers, h.c_str());
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
  }
  if (fresh || req.timeout_ns != t->req.timeout_ns) {
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                     static_cast<long>((req.timeout_ns + 999999) / 1000000));
  }
  t->fresh = false;
  t->req = std::move(req);
  // The method string and body live in t->req now; curl keeps pointers to them.
  if (t->req.method != "GET" && t->req.method != "HEAD") {
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, t->req.method.c_str());
  }
  if (!t->req.body.empty() || (t->req.method != "GET" && t->req.method != "HEAD")) {
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->req.body.data());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t->req.body.size()));
  }
  t->pool = pool;
  t->done = std::move(done);
  t->resp = HttpResponse();
  t->resp.queued_ns = queued_ns;
  t->resp.sent_ns = loop_->UpdateNow();

  ++in_flight_;
  ++pool->in_flight_;
  t->active_index = pool->active_.size();
  pool->active_.push_back(t.get());
  CURLMcode rc = curl_multi_add_handle(multi_, e);
  Transfer* raw = t.release();
  if (rc != CURLM_OK) {
    raw->resp.failure = Failure::kOther;
    raw->resp.error = curl_multi_strerror(rc);
    // Complete on the next pass, never inside the caller.
    loop_->AddTimer(loop_->now_ns(), [this, raw] {
      std::unique_ptr<Transfer> owned(raw);
      --in_flight_;
      owned->resp.done_ns = loop_->UpdateNow();
      ConnectionPool* p = owned->pool;
      HttpDone cb = std::move(owned->done);
      HttpResponse out = std::move(owned->resp);
      p->ReturnTransfer(std::move(owned));
      p->OnComplete(CURL_SOCKET_BAD);
      cb(out);
    });
  }
}

void HttpEngine::ReapDone() {
  int queued = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* e = msg->easy_handle;
    CURLcode code = msg->data.result;
    Transfer* raw = nullptr;
    curl_easy_getinfo(e, CURLINFO_PRIVATE, reinterpret_cast<char**>(&raw));
    std::unique_ptr<Transfer> t(raw);
    curl_socket_t socket_after = CURL_SOCKET_BAD;
    curl_easy_getinfo(e, CURLINFO_ACTIVESOCKET, &socket_after);
    curl_multi_remove_handle(multi_, e);
    --in_flight_;
    ++completed_;
    HttpResponse& resp = t->resp;
    resp.done_ns = loop_->UpdateNow();
    resp.failure = Classify(code);
    if (code != CURLE_OK) {
      resp.error = curl_easy_strerror(code);
    } else {
      curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &resp.status);
    }
    ConnectionPool* pool = t->pool;
    HttpDone done = std::move(t->done);
    HttpResponse out = std::move(resp);
    pool->ReturnTransfer(std::move(t));
    pool->OnComplete(code == CURLE_OK ? socket_after : CURL_SOCKET_BAD);
    done(out);
  }
}

ConnectionPool::ConnectionPool(HttpEngine* engine, ConnectionLimits limits)
    : engine_(engine), limits_(limits), share_(curl_share_init()) {
  // The share holds this client's own connection cache: its keep-alive connections are its
  // own, as a real client's would be.
  curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
  curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
}

ConnectionPool::~ConnectionPool() {
  while (!active_.empty()) engine_->Abort(active_.back());
  free_.clear();  // easy handles first: a share in use cannot be cleaned up
  curl_share_cleanup(share_);
}

std::unique_ptr<internal::Transfer> ConnectionPool::TakeTransfer() {
  if (!free_.empty()) {
    std::unique_ptr<internal::Transfer> t = std::move(free_.back());
    free_.pop_back();
    return t;
  }
  auto t = std::make_unique<internal::Transfer>();
  t->easy = curl_easy_init();
  CURL* e = t->easy;
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &HttpEngine::WriteBody);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &HttpEngine::WriteHeader);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
  curl_easy_setopt(e, CURLOPT_SHARE, share_);
  curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, &HttpEngine::CloseSocket);
  curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, engine_);
  curl_easy_setopt(e, CURLOPT_MAXAGE_CONN, static_cast<long>(limits_.idle_pconn_tout_s));
  // Targets are given explicitly; never route them through a proxy from the environment
  // (this also spares curl its per-request proxy variable lookups).
  curl_easy_setopt(e, CURLOPT_PROXY, "");
  if (!limits_.verify_tls) {
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  return t;
}

void ConnectionPool::ReturnTransfer(std::unique_ptr<internal::Transfer> t) {
  // Leaves the active list (swap with the last entry).
  internal::Transfer* last = active_.back();
  active_[t->active_index] = last;
  last->active_index = t->active_index;
  active_.pop_back();
  free_.push_back(std::move(t));
}

void HttpEngine::Abort(Transfer* t) {
  curl_multi_remove_handle(multi_, t->easy);
  --in_flight_;
  t->pool->ReturnTransfer(std::unique_ptr<Transfer>(t));
  --t->pool->in_flight_;
}

void ConnectionPool::Submit(HttpRequest req, HttpDone done) {
  int64_t now = engine_->loop()->now_ns();
  if (limits_.open_conn_lmt == 0 || in_flight_ < limits_.open_conn_lmt) {
    engine_->Send(this, std::move(req), std::move(done), now);
    return;
  }
  if (limits_.wait_xact_lmt > 0 && queue_.size() >= static_cast<size_t>(limits_.wait_xact_lmt)) {
    auto shared_done = std::make_shared<HttpDone>(std::move(done));
    engine_->loop()->AddTimer(now, [this, shared_done, now] {
      HttpResponse resp;
      resp.failure = Failure::kQueueFull;
      resp.error = "wait queue full (wait_xact_lmt)";
      resp.queued_ns = now;
      resp.sent_ns = now;
      resp.done_ns = engine_->loop()->now_ns();
      (*shared_done)(resp);
    });
    return;
  }
  queue_.push_back(Waiting{std::move(req), std::move(done), now});
}

void ConnectionPool::OnComplete(curl_socket_t socket_after) {
  --in_flight_;
  if (limits_.pconn_use_lmt > 0 && socket_after != CURL_SOCKET_BAD) {
    int64_t& uses = engine_->conn_uses_[socket_after];
    if (++uses >= limits_.pconn_use_lmt) {
      // curl has no per-connection request limit. Shutting the socket down makes curl see
      // it dead at the next reuse check and open a fresh connection (the count is dropped
      // when curl closes the socket).
      shutdown(socket_after, SHUT_RDWR);
      ++retired_;
    }
  }
  Pump();
}

void ConnectionPool::Pump() {
  while (!queue_.empty() &&
         (limits_.open_conn_lmt == 0 || in_flight_ < limits_.open_conn_lmt)) {
    Waiting w = std::move(queue_.front());
    queue_.pop_front();
    engine_->Send(this, std::move(w.req), std::move(w.done), w.queued_ns);
  }
}

}  // namespace loadsim
