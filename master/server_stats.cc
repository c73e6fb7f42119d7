#include "master/server_stats.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace loadsim {
namespace {

double Number(const nlohmann::json& period, const char* key) {
  auto it = period.find(key);
  if (it == period.end() || !it->is_number()) return 0;
  return it->get<double>();
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Reads until EOF, or until a complete line when `line_mode`, or the deadline.
absl::StatusOr<std::string> ReadUntil(int fd, int64_t deadline_ms, bool line_mode,
                                      int64_t first_byte_deadline_ms) {
  std::string out;
  char buf[4096];
  while (true) {
    int64_t limit = out.empty() ? std::min(deadline_ms, first_byte_deadline_ms) : deadline_ms;
    int wait = static_cast<int>(std::max<int64_t>(0, limit - NowMs()));
    struct pollfd p = {fd, POLLIN, 0};
    int r = poll(&p, 1, wait);
    if (r == 0) {
      if (out.empty() && NowMs() >= first_byte_deadline_ms && NowMs() < deadline_ms) {
        return absl::DeadlineExceededError("no unsolicited data");
      }
      return absl::DeadlineExceededError("the stats server did not finish its answer in time");
    }
    if (r < 0 && errno != EINTR) return absl::UnavailableError(strerror(errno));
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n == 0) return out;
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return absl::UnavailableError(absl::StrCat("read: ", strerror(errno)));
    }
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > (64 << 20)) return absl::ResourceExhaustedError("stats answer over 64 MiB");
    if (line_mode && out.find('\n') != std::string::npos) return out;
  }
}

absl::StatusOr<int> Connect(const std::string& host, int port, int64_t deadline_ms) {
  struct addrinfo hints = {};
  hints.ai_socktype = SOCK_STREAM;
  struct addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
  if (rc != 0) return absl::UnavailableError(absl::StrCat("resolve ", host, ": ", gai_strerror(rc)));
  absl::Status last = absl::UnavailableError("no address");
  for (struct addrinfo* a = res; a != nullptr; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      last = absl::UnavailableError(absl::StrCat("connect: ", strerror(errno)));
      close(fd);
      continue;
    }
    struct pollfd p = {fd, POLLOUT, 0};
    int wait = static_cast<int>(std::max<int64_t>(0, deadline_ms - NowMs()));
    int err = 0;
    socklen_t len = sizeof(err);
    if (poll(&p, 1, wait) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 ||
        err != 0) {
      last = absl::UnavailableError(
          absl::StrCat("connect: ", err != 0 ? strerror(err) : "timed out"));
      close(fd);
      continue;
    }
    freeaddrinfo(res);
    return fd;
  }
  freeaddrinfo(res);
  return last;
}

}  // namespace

absl::StatusOr<ServerStats> ParseServerStats(absl::string_view text) {
  nlohmann::json doc = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::InvalidArgumentError("the stats answer is not a JSON object");
  }
  ServerStats out;
  const nlohmann::json* period = nullptr;
  if (auto s = doc.find("stats"); s != doc.end() && s->is_object()) {
    out.protocol = "request";
    for (const char* key : {"5m", "5 Minutes"}) {
      if (auto p = s->find(key); p != s->end() && p->is_object()) {
        period = &*p;
        break;
      }
    }
  } else {
    out.protocol = "push";
    if (auto p = doc.find("5 Minutes"); p != doc.end() && p->is_object()) period = &*p;
  }
  if (period == nullptr) return absl::InvalidArgumentError("the stats have no 5-minute period");
  double requests = Number(*period, "requests");
  auto safe = [&](double v) { return requests > 0 ? v / requests : 0.0; };
  out.requests = static_cast<int64_t>(requests);
  out.req_per_s = requests / 300.0;
  out.response_ms = safe(Number(*period, "t"));
  out.slots = safe(Number(*period, "slots"));
  out.cpu_percent = safe(Number(*period, "cpu"));
  return out;
}

absl::StatusOr<ServerStats> ReadServerStats(const std::string& host, int port, double timeout_s) {
  int64_t deadline = NowMs() + static_cast<int64_t>(timeout_s * 1000);
  absl::StatusOr<int> fd = Connect(host, port, deadline);
  if (!fd.ok()) {
    return absl::Status(fd.status().code(),
                        absl::StrCat(host, ":", port, ": ", fd.status().message()));
  }
  // r11831 servers push their document at once; later ones wait to be asked.
  absl::StatusOr<std::string> text = ReadUntil(*fd, deadline, false, NowMs() + 500);
  if (!text.ok() && absl::IsDeadlineExceeded(text.status()) &&
      text.status().message() == "no unsolicited data") {
    static const char kAsk[] = "[\"stats\"]\r\n";
    if (send(*fd, kAsk, sizeof(kAsk) - 1, MSG_NOSIGNAL) != sizeof(kAsk) - 1) {
      close(*fd);
      return absl::UnavailableError(absl::StrCat(host, ":", port, ": cannot send the request"));
    }
    text = ReadUntil(*fd, deadline, true, deadline);
  }
  close(*fd);
  if (!text.ok()) {
    return absl::Status(text.status().code(),
                        absl::StrCat(host, ":", port, ": ", text.status().message()));
  }
  absl::StatusOr<ServerStats> stats = ParseServerStats(*text);
  if (!stats.ok()) {
    return absl::Status(stats.status().code(),
                        absl::StrCat(host, ":", port, ": ", stats.status().message()));
  }
  return stats;
}

}  // namespace loadsim
