// FaultServer: an HTTP/1.1 server on 127.0.0.1 for tests that forwards every request to a real
// server (Radicale or DAViCal in the tests) and spoils chosen requests: a 500 instead of the
// answer (the request is not forwarded), a connection dropped in the middle of the response
// body, an answer held back for a while, a request held back before it is forwarded, a body cut
// in half (malformed XML), or calendar data that is not iCalendar.
//
// Requests are read per RFC 9112: request line, header fields, a body framed by
// Transfer-Encoding: chunked or Content-Length; persistent connections unless the client sends
// "Connection: close"; a request that cannot be parsed gets 400 and the connection is closed.
// Each request goes to the upstream server on a fresh connection with "Connection: close" and
// its body re-framed with Content-Length; the upstream answer (Content-Length, chunked or
// close-delimited) is re-framed with Content-Length for the client. Hop-by-hop fields are not
// forwarded. A response filter (SetResponseFilter) may rewrite answers, e.g. to add a property.
//
// Rules (AddRule) match on method, a substring of the path and a substring of the request body;
// each applies to its next `times` matches (-1: every match). One thread accepts, one thread per
// connection serves; Stop() (or the destructor) shuts every socket down and joins them. The
// public methods are thread-safe.
#ifndef LOADSIM_TESTS_SERVERS_FAULT_SERVER_H_
#define LOADSIM_TESTS_SERVERS_FAULT_SERVER_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace loadsim::testing {

class FaultServer {
 public:
  enum class Fault {
    kStatus500,           // answer 500 without forwarding
    kDropMidResponse,     // forward, send the headers and half the body, close
    kSlow,                // hold the forwarded answer back for delay_ms
    kMalformedXml,        // forward, cut the body in half (framing stays correct)
    kMalformedICalendar,  // forward, replace every VCALENDAR in the body by non-iCalendar text
    kHoldRequest,         // hold the request back until ReleaseHeld() or delay_ms, then forward it
  };
  struct Rule {
    std::string method;         // "" = any
    std::string path_contains;  // "" = any
    std::string body_contains;  // "" = any
    Fault fault = Fault::kStatus500;
    int times = -1;  // matches left; -1 = unlimited
    int delay_ms = 0;
  };
  struct Request {
    std::string method;
    std::string target;
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
    std::string body;
    std::string Header(const std::string& lower) const {
      for (const auto& [k, v] : headers) {
        if (k == lower) return v;
      }
      return "";
    }
  };
  struct Response {
    int status = 0;
    std::string reason;
    std::vector<std::pair<std::string, std::string>> headers;  // names as sent
    std::string body;
  };
  using Filter = std::function<void(const Request&, Response&)>;

  ~FaultServer() { Stop(); }

  // Listens on a free port and forwards to 127.0.0.1:upstream_port.
  bool Start(int upstream_port) {
    upstream_port_ = upstream_port;
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        listen(listen_fd_, 128) != 0) {
      return false;
    }
    socklen_t len = sizeof(addr);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    stop_ = false;
    acceptor_ = std::thread([this] { Accept(); });
    return true;
  }

  void Stop() {
    stop_ = true;
    ReleaseHeld();
    if (acceptor_.joinable()) acceptor_.join();
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (int fd : open_) shutdown(fd, SHUT_RDWR);
      threads.swap(threads_);
    }
    for (std::thread& t : threads) t.join();
    if (listen_fd_ >= 0) close(listen_fd_);
    listen_fd_ = -1;
  }

  void AddRule(Rule rule) {
    std::lock_guard<std::mutex> lock(mu_);
    rules_.push_back(std::move(rule));
  }
  // Lets every request held by kHoldRequest (now or later) go on to the upstream server.
  void ReleaseHeld() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      released_ = true;
    }
    held_.notify_all();
  }
  void ClearRules() {
    std::lock_guard<std::mutex> lock(mu_);
    rules_.clear();
  }
  void SetResponseFilter(Filter filter) {
    std::lock_guard<std::mutex> lock(mu_);
    filter_ = std::move(filter);
  }

  int port() const { return port_; }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int requests() const { return requests_.load(); }
  int faults() const { return faults_.load(); }
  // Requests with this method seen so far.
  int requests_of(const std::string& method) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_method_.find(method);
    return it == by_method_.end() ? 0 : it->second;
  }

 private:
  // Buffered reads from one socket; false once the peer closed or the server stops.
  class Reader {
   public:
    Reader(int fd, const std::atomic<bool>* stop) : fd_(fd), stop_(stop) {}
    bool Line(std::string* line) {  // up to CRLF (or LF), without it
      while (true) {
        size_t nl = buf_.find('\n');
        if (nl != std::string::npos) {
          *line = buf_.substr(0, nl);
          if (!line->empty() && line->back() == '\r') line->pop_back();
          buf_.erase(0, nl + 1);
          return true;
        }
        if (buf_.size() > 65536 || !Fill()) return false;
      }
    }
    bool Exactly(size_t n, std::string* out) {
      while (buf_.size() < n) {
        if (!Fill()) return false;
      }
      out->append(buf_, 0, n);
      buf_.erase(0, n);
      return true;
    }
    void Rest(std::string* out) {  // until EOF
      while (Fill()) {
      }
      *out += buf_;
      buf_.clear();
    }

   private:
    bool Fill() {
      while (!stop_->load()) {
        pollfd p{fd_, POLLIN, 0};
        int r = poll(&p, 1, 50);
        if (r == 0) continue;
        char tmp[16384];
        ssize_t n = recv(fd_, tmp, sizeof(tmp), 0);
        if (n <= 0) return false;
        buf_.append(tmp, static_cast<size_t>(n));
        return true;
      }
      return false;
    }
    int fd_;
    const std::atomic<bool>* stop_;
    std::string buf_;
  };

  static std::string Lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }
  static std::string Trim(const std::string& s) {
    size_t b = s.find_first_not_of(" \t");
    size_t e = s.find_last_not_of(" \t");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
  }
  static bool HopByHop(const std::string& lower) {
    return lower == "connection" || lower == "keep-alive" || lower == "transfer-encoding" ||
           lower == "content-length" || lower == "te" || lower == "trailer" ||
           lower == "upgrade" || lower == "proxy-connection";
  }
  static bool SendAll(int fd, const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  // Header fields up to the empty line; false on EOF or a line without a colon.
  static bool ReadFields(Reader& in, std::vector<std::pair<std::string, std::string>>* fields) {
    std::string line;
    while (in.Line(&line)) {
      if (line.empty()) return true;
      size_t colon = line.find(':');
      if (colon == std::string::npos || colon == 0) return false;
      fields->emplace_back(Lower(line.substr(0, colon)), Trim(line.substr(colon + 1)));
    }
    return false;
  }

  // A message body framed by chunked coding or Content-Length (or, for responses, the close).
  static bool ReadBody(Reader& in, const std::vector<std::pair<std::string, std::string>>& fields,
                       bool until_close, std::string* body) {
    std::string te, cl;
    for (const auto& [k, v] : fields) {
      if (k == "transfer-encoding") te = Lower(v);
      if (k == "content-length") cl = v;
    }
    if (te.find("chunked") != std::string::npos) {
      std::string line;
      while (in.Line(&line)) {
        size_t size = std::strtoul(line.c_str(), nullptr, 16);
        if (size == 0) {
          std::vector<std::pair<std::string, std::string>> trailers;
          return ReadFields(in, &trailers);
        }
        if (!in.Exactly(size, body) || !in.Line(&line)) return false;
      }
      return false;
    }
    if (!cl.empty()) {
      if (cl.find_first_not_of("0123456789") != std::string::npos) return false;
      return in.Exactly(std::stoul(cl), body);
    }
    if (until_close) in.Rest(body);
    return true;
  }

  void Accept() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      int c = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      std::lock_guard<std::mutex> lock(mu_);
      open_.push_back(c);
      threads_.emplace_back([this, c] { Serve(c); });
    }
  }

  void Serve(int fd) {
    Reader in(fd, &stop_);
    while (!stop_) {
      Request req;
      std::string line;
      if (!in.Line(&line)) break;
      if (line.empty()) continue;  // a stray CRLF between requests is allowed
      size_t sp1 = line.find(' ');
      size_t sp2 = line.rfind(' ');
      bool ok = sp1 != std::string::npos && sp2 > sp1 && line.compare(sp2 + 1, 5, "HTTP/") == 0;
      if (ok) {
        req.method = line.substr(0, sp1);
        req.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
        ok = ReadFields(in, &req.headers) && ReadBody(in, req.headers, false, &req.body);
      }
      if (!ok) {
        SendAll(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        break;
      }
      ++requests_;
      if (!Answer(fd, req)) break;
      if (Lower(req.Header("connection")) == "close") break;
    }
    std::lock_guard<std::mutex> lock(mu_);
    open_.erase(std::remove(open_.begin(), open_.end(), fd), open_.end());
    close(fd);
  }

  // The fault for `req`, if a rule matches (consuming one of its matches).
  bool Match(const Request& req, Rule* out) {
    std::lock_guard<std::mutex> lock(mu_);
    ++by_method_[req.method];
    for (Rule& r : rules_) {
      if (r.times == 0) continue;
      if (!r.method.empty() && r.method != req.method) continue;
      if (req.target.find(r.path_contains) == std::string::npos) continue;
      if (req.body.find(r.body_contains) == std::string::npos) continue;
      if (r.times > 0) --r.times;
      *out = r;
      return true;
    }
    return false;
  }

  bool Forward(const Request& req, Response* resp) {
    int up = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(upstream_port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(up, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(up);
      return false;
    }
    std::string out = req.method + " " + req.target + " HTTP/1.1\r\n";
    for (const auto& [k, v] : req.headers) {
      if (!HopByHop(k)) out += k + ": " + v + "\r\n";
    }
    if (!req.body.empty() || req.method == "PUT" || req.method == "POST") {
      out += "content-length: " + std::to_string(req.body.size()) + "\r\n";
    }
    out += "connection: close\r\n\r\n" + req.body;
    bool ok = SendAll(up, out);
    std::atomic<bool> never{false};
    Reader in(up, &never);
    std::string line;
    ok = ok && in.Line(&line);
    while (ok && line.compare(0, 9, "HTTP/1.1 ") == 0 && line.compare(9, 1, "1") == 0) {
      std::vector<std::pair<std::string, std::string>> skip;  // 1xx interim response
      ok = ReadFields(in, &skip) && in.Line(&line);
    }
    ok = ok && line.size() >= 12 && line.compare(0, 5, "HTTP/") == 0;
    std::vector<std::pair<std::string, std::string>> fields;
    if (ok) {
      resp->status = std::atoi(line.c_str() + 9);
      resp->reason = line.size() > 13 ? line.substr(13) : "";
      ok = ReadFields(in, &fields);
    }
    bool bodyless = req.method == "HEAD" || resp->status == 204 || resp->status == 304;
    if (ok && !bodyless) ok = ReadBody(in, fields, true, &resp->body);
    for (const auto& [k, v] : fields) {
      if (!HopByHop(k)) resp->headers.emplace_back(k, v);
    }
    close(up);
    return ok;
  }

  static std::string Head(const Response& r, size_t length) {
    std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + r.reason + "\r\n";
    for (const auto& [k, v] : r.headers) out += k + ": " + v + "\r\n";
    if (r.status != 204 && r.status != 304) {
      out += "Content-Length: " + std::to_string(length) + "\r\n";
    }
    return out + "\r\n";
  }

  // Answers one request; false when the connection must close.
  bool Answer(int fd, const Request& req) {
    Rule rule;
    bool faulty = Match(req, &rule);
    if (faulty) ++faults_;
    Response resp;
    if (faulty && rule.fault == Fault::kStatus500) {
      resp.status = 500;
      resp.reason = "Internal Server Error";
      resp.body = "injected fault\n";
      resp.headers.emplace_back("Content-Type", "text/plain");
      return SendAll(fd, Head(resp, resp.body.size()) + resp.body);
    }
    if (faulty && rule.fault == Fault::kHoldRequest) {
      std::unique_lock<std::mutex> lock(mu_);
      held_.wait_for(lock, std::chrono::milliseconds(rule.delay_ms), [this] { return released_; });
    }
    if (!Forward(req, &resp)) {
      resp = Response{};
      resp.status = 502;
      resp.reason = "Bad Gateway";
      return SendAll(fd, Head(resp, 0));
    }
    Filter filter;
    {
      std::lock_guard<std::mutex> lock(mu_);
      filter = filter_;
    }
    if (filter) filter(req, resp);
    if (faulty) {
      switch (rule.fault) {
        case Fault::kSlow:
          std::this_thread::sleep_for(std::chrono::milliseconds(rule.delay_ms));
          break;
        case Fault::kDropMidResponse:
          SendAll(fd, Head(resp, resp.body.size()) + resp.body.substr(0, resp.body.size() / 2));
          return false;
        case Fault::kMalformedXml:
          resp.body.resize(resp.body.size() / 2);
          break;
        case Fault::kMalformedICalendar:
          for (size_t at = resp.body.find("BEGIN:VCALENDAR"); at != std::string::npos;
               at = resp.body.find("BEGIN:VCALENDAR", at)) {
            size_t end = resp.body.find("END:VCALENDAR", at);
            if (end == std::string::npos) break;
            end += 13;
            std::string junk = "this is not iCalendar data";
            resp.body.replace(at, end - at, junk);
            at += junk.size();
          }
          break;
        case Fault::kStatus500:
        case Fault::kHoldRequest:
          break;
      }
    }
    return SendAll(fd, Head(resp, resp.body.size()) + resp.body);
  }

  int upstream_port_ = 0;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::atomic<int> faults_{0};
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::condition_variable held_;
  bool released_ = false;             // guarded by mu_
  std::vector<Rule> rules_;           // guarded by mu_
  Filter filter_;                     // guarded by mu_
  std::vector<int> open_;             // guarded by mu_
  std::vector<std::thread> threads_;  // guarded by mu_
  std::map<std::string, int> by_method_;  // guarded by mu_
};

}  // namespace loadsim::testing

#endif  // LOADSIM_TESTS_SERVERS_FAULT_SERVER_H_
