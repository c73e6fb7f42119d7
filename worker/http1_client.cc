#include "worker/http1_client.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace loadsim {
namespace {

constexpr size_t kReadBufferSize = 64 * 1024;
// Spare objects are kept per pool, and a worker has a pool per simulated client: a few spares
// avoid most allocations of a client's request chains without holding memory for idle users.
constexpr size_t kMaxSpareConns = 2;
constexpr size_t kMaxSpareExchanges = 4;
// A connection keeps its request buffer between requests only up to this capacity; larger
// ones (PUT bodies, polls) are released when the connection goes idle.
constexpr size_t kKeptOutCapacity = 512;
constexpr int64_t kResolveRetryNs = 5000000000;

// One read buffer per thread: a response is parsed straight out of it and nothing refers to
// it after the read handler returns (the parser copies what it keeps).
char* ReadBuffer() {
  thread_local std::unique_ptr<char[]> buffer(new char[kReadBufferSize]);
  return buffer.get();
}

bool HostCharOk(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

// "Name:" (case-insensitive name) at the start of a header line.
bool HeaderNameIs(const std::string& header, absl::string_view name) {
  return header.size() > name.size() && header[name.size()] == ':' &&
         absl::EqualsIgnoreCase(absl::string_view(header.data(), name.size()), name);
}

void AppendDecimal(std::string* out, uint64_t v) {
  char digits[20];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) out->push_back(digits[--n]);
}

}  // namespace

struct Http1Pool::Origin {
  std::string host;
  uint16_t port = 80;
  bool ipv6_literal = false;
  std::string host_header;  // host[:port], as the Host field carries it
  std::string name;         // host:port for messages
  sockaddr_storage addr = {};
  socklen_t addr_len = 0;
  bool resolved = false;
  int64_t resolve_retry_ns = 0;  // after a failure: no new attempt before this
  std::string resolve_error;
  std::vector<Conn*> idle;  // LIFO: the most recently used is at the back
};

struct Http1Pool::Exchange {
  HttpRequest req;
  HttpDone done;
  HttpResponse resp;
  UrlParts url;  // of req.url
  Origin* origin = nullptr;
  int64_t deadline_ns = 0;  // 0: none
  bool retried = false;
};

struct Http1Pool::Conn {
  enum class State { kConnecting, kBusy, kIdle };
  int fd = -1;
  State state = State::kConnecting;
  Origin* origin = nullptr;
  std::unique_ptr<Exchange> ex;  // the request it carries (kConnecting, kBusy)
  Http1ResponseParser parser;
  std::string out;  // the serialized request
  size_t out_off = 0;
  int64_t uses = 0;  // completed requests
  int64_t idle_since_ns = 0;
  size_t index = 0;  // position in conns_
  uint32_t events = 0;
};

class Http1Pool::DeferScope {
 public:
  explicit DeferScope(Http1Pool* pool) : pool_(pool) { ++pool_->defer_depth_; }
  ~DeferScope() { --pool_->defer_depth_; }
  DeferScope(const DeferScope&) = delete;
  DeferScope& operator=(const DeferScope&) = delete;

 private:
  Http1Pool* pool_;
};

Http1Pool::Http1Pool(EventLoop* loop, ConnectionLimits limits)
    : loop_(loop),
      limits_(limits),
      idle_ns_(limits.idle_pconn_tout_s > 0 ? limits.idle_pconn_tout_s * 1000000000 : 0) {}

Http1Pool::~Http1Pool() {
  if (timer_ != 0) loop_->CancelTimer(timer_);
  if (deferred_timer_ != 0) loop_->CancelTimer(deferred_timer_);
  for (const std::unique_ptr<Conn>& c : conns_) {
    loop_->UnwatchFd(c->fd);
    close(c->fd);
  }
}

// http://host[:port][/path][?query][#fragment] with an IPv4 literal, a bracketed IPv6
// literal or a name; no user info, no percent-encoded host.
bool Http1Pool::ParseHttpUrl(absl::string_view url, UrlParts* out) {
  constexpr absl::string_view kScheme = "http://";
  if (url.size() <= kScheme.size() || url.size() > UINT32_MAX ||
      !absl::StartsWithIgnoreCase(url, kScheme)) {
    return false;
  }
  absl::string_view rest = url.substr(kScheme.size());
  size_t auth_end = 0;
  while (auth_end < rest.size() && rest[auth_end] != '/' && rest[auth_end] != '?' &&
         rest[auth_end] != '#') {
    ++auth_end;
  }
  absl::string_view authority = rest.substr(0, auth_end);
  absl::string_view after = rest.substr(auth_end);
  if (authority.empty()) return false;
  absl::string_view host;
  absl::string_view port;
  if (authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == absl::string_view::npos || close < 3 || close > 64) return false;
    host = authority.substr(1, close - 1);
    port = authority.substr(close + 1);
    char literal[66];
    std::memcpy(literal, host.data(), host.size());
    literal[host.size()] = '\0';
    in6_addr addr;
    if (inet_pton(AF_INET6, literal, &addr) != 1) return false;
    out->ipv6 = true;
  } else {
    size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    port = colon == absl::string_view::npos ? absl::string_view() : authority.substr(colon);
    if (host.empty()) return false;
    for (char c : host) {
      if (!HostCharOk(c)) return false;
    }
    out->ipv6 = false;
  }
  out->port = 80;
  if (!port.empty()) {
    if (port[0] != ':' || port.size() > 6) return false;
    if (port.size() > 1) {
      uint32_t value = 0;
      for (char c : port.substr(1)) {
        if (c < '0' || c > '9') return false;
        value = value * 10 + static_cast<uint32_t>(c - '0');
      }
      if (value == 0 || value > 65535) return false;
      out->port = static_cast<uint16_t>(value);
    }
  }
  absl::string_view target = after.substr(0, after.find('#'));
  for (char c : target) {
    // Printable ASCII only: anything else would need percent-encoding first.
    if (c <= ' ' || c >= 0x7f) return false;
  }
  out->host_off = static_cast<uint32_t>(host.data() - url.data());
  out->host_len = static_cast<uint32_t>(host.size());
  out->target_off = static_cast<uint32_t>(target.data() - url.data());
  out->target_len = static_cast<uint32_t>(target.size());
  return true;
}

bool Http1Pool::ParseUrl(const std::string& url, UrlParts* out) {
  if (!last_url_.empty() && url == last_url_) {
    *out = last_parts_;
    return true;
  }
  if (!ParseHttpUrl(url, out)) return false;
  last_url_ = url;
  last_parts_ = *out;
  return true;
}

bool Http1Pool::CanServe(absl::string_view url) {
  UrlParts parts;
  return ParseHttpUrl(url, &parts);
}

std::unique_ptr<Http1Pool::Exchange> Http1Pool::TakeExchange() {
  if (spare_exchanges_.empty()) return std::make_unique<Exchange>();
  std::unique_ptr<Exchange> ex = std::move(spare_exchanges_.back());
  spare_exchanges_.pop_back();
  return ex;
}

void Http1Pool::RecycleExchange(std::unique_ptr<Exchange> ex) {
  if (spare_exchanges_.size() >= kMaxSpareExchanges) return;
  // The finished request's strings (body, headers) would otherwise stay allocated for as long
  // as the client sleeps.
  ex->req = HttpRequest();
  ex->resp = HttpResponse();
  spare_exchanges_.push_back(std::move(ex));
}

void Http1Pool::Submit(HttpRequest req, HttpDone done) {
  DeferScope defer(this);
  const int64_t now = loop_->now_ns();
  std::unique_ptr<Exchange> ex = TakeExchange();
  ex->req = std::move(req);
  ex->done = std::move(done);
  ex->resp = HttpResponse();
  ex->resp.queued_ns = now;
  ex->origin = nullptr;
  ex->deadline_ns = 0;
  ex->retried = false;
  if (!ParseUrl(ex->req.url, &ex->url)) {
    std::string error = absl::StrCat("not a plain http:// URL (Http1Pool): ", ex->req.url);
    Reject(std::move(ex), Failure::kOther, std::move(error));
    return;
  }
  if (SlotFree()) {
    Start(std::move(ex));
    return;
  }
  if (limits_.wait_xact_lmt > 0 && queue_.size() >= static_cast<size_t>(limits_.wait_xact_lmt)) {
    Reject(std::move(ex), Failure::kQueueFull, "wait queue full (wait_xact_lmt)");
    return;
  }
  queue_.push_back(std::move(ex));
}

void Http1Pool::Reject(std::unique_ptr<Exchange> ex, Failure failure, std::string error) {
  HttpResponse& r = ex->resp;
  r.failure = failure;
  r.error = std::move(error);
  r.sent_ns = r.queued_ns;
  r.done_ns = loop_->now_ns();
  HttpDone done = std::move(ex->done);
  HttpResponse resp = std::move(ex->resp);
  RecycleExchange(std::move(ex));
  Deliver(done, resp);
}

void Http1Pool::Start(std::unique_ptr<Exchange> ex) {
  DeferScope defer(this);  // failures found here complete asynchronously
  ++in_flight_;
  const int64_t now = loop_->UpdateNow();
  ex->resp.sent_ns = now;
  if (ex->req.timeout_ns > 0) {
    ex->deadline_ns = now + ex->req.timeout_ns;
    ArmTimer(ex->deadline_ns);
  }
  Origin* origin = FindOrigin(
      absl::string_view(ex->req.url).substr(ex->url.host_off, ex->url.host_len), ex->url.port);
  ex->origin = origin;
  Conn* c = TakeIdle(origin, now);
  if (c == nullptr) {
    std::string error;
    c = OpenConn(origin, &error);
    if (c == nullptr) {
      absl::StrAppend(&error, " (", ex->req.url, ")");
      Complete(std::move(ex), Failure::kConnect, std::move(error));
      return;
    }
  }
  Attach(c, std::move(ex));
}

void Http1Pool::Complete(std::unique_ptr<Exchange> ex, Failure failure, std::string error) {
  HttpResponse& r = ex->resp;
  r.failure = failure;
  if (failure != Failure::kNone) r.error = std::move(error);
  r.done_ns = loop_->UpdateNow();
  --in_flight_;
  HttpDone done = std::move(ex->done);
  HttpResponse resp = std::move(ex->resp);
  RecycleExchange(std::move(ex));
  Pump();
  Deliver(done, resp);
}

void Http1Pool::Deliver(HttpDone& done, HttpResponse& resp) {
  if (defer_depth_ > 0) {
    deferred_.push_back(Deferred{std::move(done), std::move(resp)});
    if (deferred_timer_ == 0) {
      deferred_timer_ = loop_->AddTimer(loop_->now_ns(), [this] { RunDeferred(); });
    }
    return;
  }
  if (done) done(resp);
}

void Http1Pool::RunDeferred() {
  deferred_timer_ = 0;
  std::vector<Deferred> batch;
  batch.swap(deferred_);
  for (Deferred& d : batch) {
    if (d.done) d.done(d.resp);
  }
}

void Http1Pool::Pump() {
  if (pumping_) return;  // the outer Pump goes on
  pumping_ = true;
  DeferScope defer(this);
  while (!queue_.empty() && SlotFree()) {
    std::unique_ptr<Exchange> ex = std::move(queue_.front());
    queue_.pop_front();
    Start(std::move(ex));
  }
  pumping_ = false;
}

Http1Pool::Origin* Http1Pool::FindOrigin(absl::string_view host, uint16_t port) {
  if (last_origin_ != nullptr && last_origin_->port == port && last_origin_->host == host) {
    return last_origin_;
  }
  for (const std::unique_ptr<Origin>& o : origins_) {
    if (o->port == port && o->host == host) return last_origin_ = o.get();
  }
  auto o = std::make_unique<Origin>();
  o->host = std::string(host);
  o->port = port;
  o->ipv6_literal = host.find(':') != absl::string_view::npos;
  std::string bracketed = o->ipv6_literal ? absl::StrCat("[", host, "]") : o->host;
  o->host_header = port == 80 ? bracketed : absl::StrCat(bracketed, ":", port);
  o->name = absl::StrCat(bracketed, ":", port);
  origins_.push_back(std::move(o));
  return last_origin_ = origins_.back().get();
}

bool Http1Pool::Resolve(Origin* origin, std::string* error) {
  const int64_t now = loop_->now_ns();
  if (origin->resolve_retry_ns > now) {
    *error = origin->resolve_error;
    return false;
  }
  origin->addr = {};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&origin->addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&origin->addr);
  if (!origin->ipv6_literal && inet_pton(AF_INET, origin->host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(origin->port);
    origin->addr_len = sizeof(sockaddr_in);
  } else if (origin->ipv6_literal &&
             inet_pton(AF_INET6, origin->host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(origin->port);
    origin->addr_len = sizeof(sockaddr_in6);
  } else {
    // Blocks the loop: once per origin (targets are normally IP literals or local names).
    addrinfo hints = {};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    int rc = getaddrinfo(origin->host.c_str(), nullptr, &hints, &found);
    const addrinfo* pick = nullptr;
    if (rc == 0) {
      for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
        if (a->ai_family == AF_INET) {
          pick = a;
          break;
        }
        if (a->ai_family == AF_INET6 && pick == nullptr) pick = a;
      }
    }
    if (pick == nullptr) {
      origin->resolve_error = absl::StrCat("cannot resolve ", origin->host, ": ",
                                           rc != 0 ? gai_strerror(rc) : "no IPv4 or IPv6 address");
      origin->resolve_retry_ns = now + kResolveRetryNs;
      if (found != nullptr) freeaddrinfo(found);
      *error = origin->resolve_error;
      return false;
    }
    std::memcpy(&origin->addr, pick->ai_addr, pick->ai_addrlen);
    origin->addr_len = static_cast<socklen_t>(pick->ai_addrlen);
    if (pick->ai_family == AF_INET) {
      v4->sin_port = htons(origin->port);
    } else {
      v6->sin6_port = htons(origin->port);
    }
    freeaddrinfo(found);
  }
  origin->resolved = true;
  return true;
}

Http1Pool::Conn* Http1Pool::TakeIdle(Origin* origin, int64_t now) {
  while (!origin->idle.empty()) {
    Conn* c = origin->idle.back();
    origin->idle.pop_back();
    c->state = Conn::State::kBusy;
    if (now - c->idle_since_ns >= idle_ns_) {
      CloseConn(c);  // expired while idle (the timer had not run yet)
      continue;
    }
    return c;
  }
  return nullptr;
}

Http1Pool::Conn* Http1Pool::OpenConn(Origin* origin, std::string* error) {
  if (!origin->resolved && !Resolve(origin, error)) return nullptr;
  if (limits_.open_conn_lmt > 0 && conns_.size() >= static_cast<size_t>(limits_.open_conn_lmt)) {
    CloseOldestIdle();  // an idle connection to another origin makes room
  }
  const sockaddr* addr = reinterpret_cast<const sockaddr*>(&origin->addr);
  int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = absl::StrCat("socket: ", strerror(errno));
    return nullptr;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  ++opened_;
  Conn::State state = Conn::State::kBusy;
  if (connect(fd, addr, origin->addr_len) != 0) {
    if (errno != EINPROGRESS) {
      *error = absl::StrCat("connect to ", origin->name, " failed: ", strerror(errno));
      close(fd);
      return nullptr;
    }
    state = Conn::State::kConnecting;
  }
  std::unique_ptr<Conn> owned;
  if (!spare_conns_.empty()) {
    owned = std::move(spare_conns_.back());
    spare_conns_.pop_back();
  } else {
    owned = std::make_unique<Conn>();
  }
  Conn* c = owned.get();
  c->fd = fd;
  c->state = state;
  c->origin = origin;
  c->uses = 0;
  c->out_off = 0;
  c->events = state == Conn::State::kConnecting ? EPOLLOUT : EPOLLIN;
  absl::Status watched = loop_->WatchFd(fd, c->events, [this, c](uint32_t ev) { OnEvents(c, ev); });
  if (!watched.ok()) {
    close(fd);
    *error = std::string(watched.message());
    spare_conns_.push_back(std::move(owned));
    return nullptr;
  }
  c->index = conns_.size();
  conns_.push_back(std::move(owned));
  return c;
}

void Http1Pool::Attach(Conn* c, std::unique_ptr<Exchange> ex) {
  Serialize(c, *ex);
  const HttpRequest& r = ex->req;
  c->parser.Reset(r.method == "HEAD", r.keep_body ? &ex->resp.body : nullptr, &ex->resp.headers,
                  r.keep_headers ? Http1ResponseParser::HeaderMode::kAll
                                 : Http1ResponseParser::HeaderMode::kChallengesOnly);
  c->ex = std::move(ex);
  if (c->state == Conn::State::kBusy) WriteSome(c);  // connecting: sent once connected
}

void Http1Pool::Serialize(Conn* c, const Exchange& ex) {
  const HttpRequest& r = ex.req;
  std::string& o = c->out;
  o.clear();
  c->out_off = 0;
  bool caller_host = false;
  bool caller_length = false;
  for (const std::string& h : r.headers) {
    caller_host |= HeaderNameIs(h, "host");
    caller_length |= HeaderNameIs(h, "content-length");
  }
  if (r.method.empty()) {
    o.append("GET");
  } else {
    o.append(r.method);
  }
  o.push_back(' ');
  if (ex.url.target_len == 0 || r.url[ex.url.target_off] != '/') o.push_back('/');
  o.append(r.url, ex.url.target_off, ex.url.target_len);
  o.append(" HTTP/1.1\r\n");
  if (!caller_host) {
    o.append("Host: ");
    o.append(c->origin->host_header);
    o.append("\r\n");
  }
  for (const std::string& h : r.headers) {
    size_t colon = h.find(':');
    if (colon == std::string::npos) {
      // curl's convention: "Name;" sends the field with an empty value.
      if (!h.empty() && h.back() == ';') {
        o.append(h, 0, h.size() - 1);
        o.append(":\r\n");
      }
      continue;
    }
    // curl's convention: "Name:" without a value is not sent (it removes a default).
    bool empty_value = true;
    for (size_t i = colon + 1; i < h.size() && empty_value; ++i) {
      empty_value = h[i] == ' ' || h[i] == '\t';
    }
    if (empty_value) continue;
    o.append(h);
    o.append("\r\n");
  }
  if (!caller_length && (!r.body.empty() || r.method == "POST" || r.method == "PUT")) {
    o.append("Content-Length: ");
    AppendDecimal(&o, r.body.size());
    o.append("\r\n");
  }
  o.append("\r\n");
  o.append(r.body);
}

void Http1Pool::SetEvents(Conn* c, uint32_t events) {
  if (c->events == events) return;
  c->events = events;
  absl::Status s = loop_->SetFdEvents(c->fd, events);
  (void)s;  // only fails if the fd is gone, and then the next read reports it
}

bool Http1Pool::WriteSome(Conn* c) {
  while (c->out_off < c->out.size()) {
    ssize_t n = send(c->fd, c->out.data() + c->out_off, c->out.size() - c->out_off, MSG_NOSIGNAL);
    if (n > 0) {
      c->out_off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOTCONN)) {
      SetEvents(c, EPOLLIN | EPOLLOUT);
      return true;
    }
    OnBroken(c, n < 0 ? errno : 0);
    return false;
  }
  SetEvents(c, EPOLLIN);
  return true;
}

void Http1Pool::OnEvents(Conn* c, uint32_t events) {
  if (c->state == Conn::State::kConnecting) {
    if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
    OnConnected(c);
    return;
  }
  if ((events & EPOLLOUT) != 0 && c->state == Conn::State::kBusy && c->out_off < c->out.size()) {
    if (!WriteSome(c)) return;
  }
  if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0) ReadSome(c);
}

void Http1Pool::OnConnected(Conn* c) {
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err != 0) {
    std::unique_ptr<Exchange> ex = std::move(c->ex);
    std::string error = absl::StrCat("connect to ", c->origin->name, " failed: ", strerror(err),
                                     " (", ex->req.url, ")");
    CloseConn(c);
    Complete(std::move(ex), Failure::kConnect, std::move(error));
    return;
  }
  c->state = Conn::State::kBusy;
  WriteSome(c);
}

void Http1Pool::ReadSome(Conn* c) {
  char* buf = ReadBuffer();
  while (true) {
    ssize_t n = recv(c->fd, buf, kReadBufferSize, 0);
    if (n > 0) {
      if (c->state != Conn::State::kBusy) {
        CloseConn(c);  // bytes nobody asked for
        return;
      }
      Http1ResponseParser::Result r = c->parser.Feed(buf, static_cast<size_t>(n));
      switch (r.status) {
        case Http1ResponseParser::Status::kNeedMore:
          if (static_cast<size_t>(n) == kReadBufferSize) continue;  // more may be waiting
          return;
        case Http1ResponseParser::Status::kComplete:
          OnResponseComplete(c, r.consumed == static_cast<size_t>(n));
          return;
        case Http1ResponseParser::Status::kError: {
          std::unique_ptr<Exchange> ex = std::move(c->ex);
          std::string error =
              absl::StrCat("malformed response: ", c->parser.error(), " (", ex->req.url, ")");
          CloseConn(c);
          Complete(std::move(ex), Failure::kMalformed, std::move(error));
          return;
        }
      }
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    // EOF or an error.
    if (c->state != Conn::State::kBusy) {
      CloseConn(c);  // an idle connection the server closed
      return;
    }
    if (n == 0 && c->parser.FinishAtEof()) {
      OnResponseComplete(c, false);  // a body delimited by the close
      return;
    }
    OnBroken(c, n < 0 ? errno : 0);
    return;
  }
}

void Http1Pool::OnResponseComplete(Conn* c, bool clean) {
  std::unique_ptr<Exchange> ex = std::move(c->ex);
  ex->resp.status = c->parser.status();
  ex->resp.body_bytes = c->parser.body_bytes();
  ++c->uses;
  // Bytes after the response (clean == false) or a request not fully sent: the connection's
  // state is unknown, so it is not reused.
  bool reuse = clean && c->parser.keep_alive() && c->out_off == c->out.size() && idle_ns_ > 0;
  if (reuse && limits_.pconn_use_lmt > 0 && c->uses >= limits_.pconn_use_lmt) {
    reuse = false;
    ++retired_;
  }
  if (reuse) {
    MakeIdle(c);
  } else {
    CloseConn(c);
  }
  Complete(std::move(ex), Failure::kNone, std::string());
}

void Http1Pool::OnBroken(Conn* c, int err) {
  std::unique_ptr<Exchange> ex = std::move(c->ex);
  const bool started = c->parser.started();
  // A reused connection the server closed while it was idle: nothing of this request was
  // processed, so it is sent again, once, on a fresh connection.
  const bool retry = c->uses > 0 && !started && !ex->retried;
  CloseConn(c);
  if (retry) {
    ex->retried = true;
    std::string error;
    Conn* fresh = OpenConn(ex->origin, &error);
    if (fresh == nullptr) {
      absl::StrAppend(&error, " (", ex->req.url, ")");
      Complete(std::move(ex), Failure::kConnect, std::move(error));
      return;
    }
    Attach(fresh, std::move(ex));
    return;
  }
  std::string error = absl::StrCat(
      started ? "connection closed in the middle of the response"
              : "connection closed before any response",
      err != 0 ? absl::StrCat(" (", strerror(err), ")") : std::string(), ": ", ex->req.url);
  Complete(std::move(ex), Failure::kReset, std::move(error));
}

void Http1Pool::MakeIdle(Conn* c) {
  ReleaseOut(c);
  c->state = Conn::State::kIdle;
  c->idle_since_ns = loop_->now_ns();
  c->origin->idle.push_back(c);
  ArmTimer(c->idle_since_ns + idle_ns_);
}

void Http1Pool::CloseConn(Conn* c) {
  if (c->state == Conn::State::kIdle) {
    std::vector<Conn*>& idle = c->origin->idle;
    idle.erase(std::find(idle.begin(), idle.end(), c));
  }
  loop_->UnwatchFd(c->fd);
  close(c->fd);
  c->fd = -1;
  c->ex.reset();
  ReleaseOut(c);
  const size_t i = c->index;
  std::unique_ptr<Conn> owned = std::move(conns_[i]);
  if (i + 1 != conns_.size()) {
    conns_[i] = std::move(conns_.back());
    conns_[i]->index = i;
  }
  conns_.pop_back();
  if (spare_conns_.size() < kMaxSpareConns) spare_conns_.push_back(std::move(owned));
}

void Http1Pool::ReleaseOut(Conn* c) {
  if (c->out.capacity() > kKeptOutCapacity) {
    std::string().swap(c->out);
  } else {
    c->out.clear();
  }
  c->out_off = 0;
}

void Http1Pool::CloseOldestIdle() {
  Conn* oldest = nullptr;
  for (const std::unique_ptr<Origin>& o : origins_) {
    if (o->idle.empty()) continue;
    Conn* c = o->idle.front();
    if (oldest == nullptr || c->idle_since_ns < oldest->idle_since_ns) oldest = c;
  }
  if (oldest != nullptr) CloseConn(oldest);
}

void Http1Pool::ArmTimer(int64_t due_ns) {
  if (timer_ != 0) {
    if (timer_due_ <= due_ns) return;
    loop_->CancelTimer(timer_);
  }
  timer_due_ = due_ns;
  timer_ = loop_->AddTimer(due_ns, [this] { OnTimer(); });
}

void Http1Pool::OnTimer() {
  timer_ = 0;
  const int64_t now = loop_->now_ns();
  for (const std::unique_ptr<Origin>& o : origins_) {
    while (!o->idle.empty() && now - o->idle.front()->idle_since_ns >= idle_ns_) {
      CloseConn(o->idle.front());
    }
  }
  // One expired request at a time: callbacks may submit (and so change conns_).
  while (true) {
    Conn* expired = nullptr;
    for (const std::unique_ptr<Conn>& c : conns_) {
      if (c->ex != nullptr && c->ex->deadline_ns != 0 && c->ex->deadline_ns <= now) {
        expired = c.get();
        break;
      }
    }
    if (expired == nullptr) break;
    std::unique_ptr<Exchange> ex = std::move(expired->ex);
    CloseConn(expired);
    std::string error = absl::StrCat("no complete response within ", ex->req.timeout_ns / 1000000,
                                     " ms (", ex->req.url, ")");
    Complete(std::move(ex), Failure::kTimeout, std::move(error));
  }
  int64_t next = INT64_MAX;
  for (const std::unique_ptr<Conn>& c : conns_) {
    if (c->ex != nullptr && c->ex->deadline_ns != 0) {
      next = std::min(next, c->ex->deadline_ns);
    } else if (c->state == Conn::State::kIdle) {
      next = std::min(next, c->idle_since_ns + idle_ns_);
    }
  }
  if (next != INT64_MAX) ArmTimer(next);
}

}  // namespace loadsim
