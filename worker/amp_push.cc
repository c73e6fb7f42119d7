#include "worker/amp_push.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace loadsim {
namespace {

constexpr char kSubscribe[] = "SubscribeToID";
constexpr char kNotification[] = "NotificationForID";

void PutLength(std::string* out, size_t n) {
  out->push_back(static_cast<char>((n >> 8) & 0xFF));
  out->push_back(static_cast<char>(n & 0xFF));
}

size_t GetLength(const std::string& buf, size_t at) {
  return (static_cast<size_t>(static_cast<unsigned char>(buf[at])) << 8) |
         static_cast<unsigned char>(buf[at + 1]);
}

// A version-4 UUID string for the subscription token.
std::string Token(RandomStream& rng) {
  uint64_t a = rng.NextU64();
  uint64_t b = rng.NextU64();
  return absl::StrFormat("%08x-%04x-4%03x-%04x-%012x", a >> 32, (a >> 16) & 0xFFFF, a & 0xFFF,
                         0x8000 | ((b >> 48) & 0x3FFF), b & 0xFFFFFFFFFFFFULL);
}

}  // namespace

const std::string* AmpValue(const AmpBox& box, absl::string_view key) {
  for (const auto& [k, v] : box) {
    if (k == key) return &v;
  }
  return nullptr;
}

absl::StatusOr<std::string> EncodeAmpBox(const AmpBox& box) {
  std::string out;
  for (const auto& [key, value] : box) {
    if (key.empty() || key.size() > 255) {
      return absl::InvalidArgumentError(
          absl::StrCat("AMP key of ", key.size(), " bytes (must be 1-255)"));
    }
    if (value.size() > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("AMP value of key '", key, "' has ", value.size(), " bytes (max 65535)"));
    }
    PutLength(&out, key.size());
    out += key;
    PutLength(&out, value.size());
    out += value;
  }
  PutLength(&out, 0);
  return out;
}

absl::Status AmpBoxReader::Feed(absl::string_view data, std::vector<AmpBox>* out) {
  if (broken_) return absl::InvalidArgumentError("AMP stream already broken");
  buffer_.append(data.data(), data.size());
  while (true) {
    // Walk one box from pos_; stop (keeping it) if it is not complete yet.
    size_t at = pos_;
    AmpBox box;
    bool complete = false;
    while (at + 2 <= buffer_.size()) {
      size_t key_len = GetLength(buffer_, at);
      if (key_len == 0) {
        at += 2;
        complete = true;
        break;
      }
      if (key_len > 255) {
        broken_ = true;
        return absl::InvalidArgumentError(
            absl::StrCat("not an AMP stream: key length ", key_len, " at byte ", at));
      }
      if (at + 2 + key_len + 2 > buffer_.size()) break;
      size_t value_len = GetLength(buffer_, at + 2 + key_len);
      if (at + 4 + key_len + value_len > buffer_.size()) break;
      box.emplace_back(buffer_.substr(at + 2, key_len),
                       buffer_.substr(at + 4 + key_len, value_len));
      at += 4 + key_len + value_len;
    }
    if (!complete) break;
    out->push_back(std::move(box));
    pos_ = at;
  }
  // Drop consumed bytes once they dominate the buffer.
  if (pos_ > 0 && pos_ * 2 >= buffer_.size()) {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
  return absl::OkStatus();
}

AmpPushClient::AmpPushClient(EventLoop* loop, Recorder* recorder, AmpPushOptions options,
                             Notify notify, StateChange state_change)
    : loop_(loop),
      recorder_(recorder),
      options_(std::move(options)),
      notify_(std::move(notify)),
      state_change_(std::move(state_change)),
      rng_(options_.seed),
      alive_(std::make_shared<bool>(true)) {}

AmpPushClient::~AmpPushClient() {
  *alive_ = false;
  CancelTimer();
  CloseFd();
}

void AmpPushClient::Start() {
  if (state_ != State::kIdle) return;
  Connect();
}

void AmpPushClient::Stop() {
  CancelTimer();
  CloseFd();
  state_ = State::kIdle;
}

void AmpPushClient::CancelTimer() {
  if (timer_ != 0) loop_->CancelTimer(timer_);
  timer_ = 0;
}

void AmpPushClient::CloseFd() {
  if (fd_ < 0) return;
  loop_->UnwatchFd(fd_);
  close(fd_);
  fd_ = -1;
}

void AmpPushClient::Connect() {
  ++attempts_;
  attempt_start_ns_ = loop_->UpdateNow();
  state_ = State::kConnecting;
  out_.clear();
  reader_ = AmpBoxReader();
  pending_asks_.clear();

  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string port = std::to_string(options_.port);
  int rc = getaddrinfo(options_.host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0 || found == nullptr) {
    if (found != nullptr) freeaddrinfo(found);
    return Fail(absl::StrCat("cannot resolve push host ", options_.host, ": ", gai_strerror(rc)));
  }
  fd_ = socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    freeaddrinfo(found);
    return Fail(absl::StrCat("socket: ", std::strerror(errno)));
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  rc = connect(fd_, found->ai_addr, found->ai_addrlen);
  int err = errno;
  freeaddrinfo(found);
  if (rc != 0 && err != EINPROGRESS) {
    return Fail(absl::StrCat("connect to ", options_.host, ":", options_.port, ": ",
                             std::strerror(err)));
  }
  absl::Status watched = loop_->WatchFd(fd_, EPOLLOUT, [this](uint32_t ev) { OnEvents(ev); });
  if (!watched.ok()) return Fail(std::string(watched.message()));
  int64_t deadline = attempt_start_ns_ + static_cast<int64_t>(options_.handshake_timeout_s * 1e9);
  timer_ = loop_->AddTimer(deadline, [this] {
    timer_ = 0;
    Fail(state_ == State::kConnecting ? "push host: connect timed out"
                                      : "push host: subscription not answered in time");
  });
  if (rc == 0) OnConnected();
}

void AmpPushClient::OnEvents(uint32_t events) {
  if (state_ == State::kConnecting) {
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0 || (events & (EPOLLERR | EPOLLHUP)) != 0) {
      return Fail(absl::StrCat("connect to ", options_.host, ":", options_.port, ": ",
                               std::strerror(err != 0 ? err : ECONNREFUSED)));
    }
    return OnConnected();
  }
  std::weak_ptr<bool> alive = alive_;
  if ((events & EPOLLOUT) != 0) Flush();
  if (alive.expired() || fd_ < 0) return;
  if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0) ReadSome();
}

void AmpPushClient::OnConnected() {
  state_ = State::kSubscribing;
  std::string token = Token(rng_);
  for (const std::string& key : options_.keys) {
    std::string ask = std::to_string(next_ask_++);
    pending_asks_.push_back(ask);
    if (!Send({{"_command", kSubscribe}, {"_ask", ask}, {"token", token}, {"id", key}})) return;
  }
  if (pending_asks_.empty()) return Fail("no push key to subscribe to");
}

bool AmpPushClient::Send(const AmpBox& box) {
  absl::StatusOr<std::string> bytes = EncodeAmpBox(box);
  if (!bytes.ok()) {
    Fail(std::string(bytes.status().message()));
    return false;
  }
  out_ += *bytes;
  Flush();
  return fd_ >= 0;
}

void AmpPushClient::Flush() {
  while (!out_.empty() && fd_ >= 0) {
    ssize_t n = send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
    if (n > 0) {
      out_.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n < 0 && errno == EINTR) continue;
    return Fail(absl::StrCat("push connection: send: ", std::strerror(errno)));
  }
  if (fd_ >= 0) loop_->SetFdEvents(fd_, out_.empty() ? EPOLLIN : (EPOLLIN | EPOLLOUT)).IgnoreError();
}

void AmpPushClient::ReadSome() {
  char buf[4096];
  std::weak_ptr<bool> alive = alive_;
  while (fd_ >= 0) {
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n == 0) return Fail("push host closed the connection");
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      return Fail(absl::StrCat("push connection: recv: ", std::strerror(errno)));
    }
    std::vector<AmpBox> boxes;
    absl::Status s = reader_.Feed(absl::string_view(buf, static_cast<size_t>(n)), &boxes);
    if (!s.ok()) return Fail(absl::StrCat("push host: ", s.message()));
    for (const AmpBox& box : boxes) {
      HandleBox(box);
      if (alive.expired() || fd_ < 0) return;
    }
  }
}

void AmpPushClient::HandleBox(const AmpBox& box) {
  if (const std::string* answer = AmpValue(box, "_answer")) {
    auto it = std::find(pending_asks_.begin(), pending_asks_.end(), *answer);
    if (it == pending_asks_.end()) return;  // not ours to track
    pending_asks_.erase(it);
    if (!pending_asks_.empty() || state_ != State::kSubscribing) return;
    CancelTimer();
    state_ = State::kUp;
    failures_in_row_ = 0;
    ++subscriptions_;
    if (recorder_ != nullptr) {
      recorder_->Record("AMP{subscribe}", loop_->UpdateNow() - attempt_start_ns_, true);
    }
    if (state_change_) state_change_(true, "");
    return;
  }
  if (const std::string* error = AmpValue(box, "_error")) {
    if (std::find(pending_asks_.begin(), pending_asks_.end(), *error) == pending_asks_.end()) {
      return;
    }
    const std::string* code = AmpValue(box, "_error_code");
    const std::string* text = AmpValue(box, "_error_description");
    return Fail(absl::StrCat("push host refused SubscribeToID: ", code ? *code : "?", ": ",
                             text ? *text : ""));
  }
  const std::string* command = AmpValue(box, "_command");
  const std::string* ask = AmpValue(box, "_ask");
  if (command == nullptr) return;
  if (*command != kNotification) {
    if (ask != nullptr) {
      Send({{"_error", *ask},
            {"_error_code", "UNHANDLED"},
            {"_error_description", absl::StrCat("Unhandled Command: '", *command, "'")}});
    }
    return;
  }
  if (ask != nullptr && !Send({{"_answer", *ask}, {"status", "OK"}})) return;
  const std::string* id = AmpValue(box, "id");
  if (id == nullptr) return;
  if (std::find(options_.keys.begin(), options_.keys.end(), *id) == options_.keys.end()) return;
  ++notifications_;
  if (notify_) notify_(*id);
}

void AmpPushClient::Fail(const std::string& reason) {
  bool was_up = state_ == State::kUp;
  CancelTimer();
  CloseFd();
  if (!was_up && recorder_ != nullptr) {
    recorder_->Record("AMP{subscribe}", loop_->UpdateNow() - attempt_start_ns_, false, reason);
  }
  state_ = State::kWaiting;
  // Full-jitter backoff in [d/2, d], d doubling from the initial delay up to the cap.
  double delay = options_.backoff_initial_s * std::pow(2.0, std::min(failures_in_row_, 30));
  delay = std::min(delay, options_.backoff_max_s);
  delay *= 0.5 + 0.5 * rng_.Uniform01();
  ++failures_in_row_;
  timer_ = loop_->AddTimer(loop_->now_ns() + static_cast<int64_t>(delay * 1e9), [this] {
    timer_ = 0;
    Connect();
  });
  if (state_change_) state_change_(false, reason);
}

}  // namespace loadsim
