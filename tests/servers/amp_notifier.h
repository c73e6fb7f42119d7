// AmpNotifier: a small CalendarServer-style AMP push notifier for tests (spec 3.7), on
// 127.0.0.1 in the test process.
//
// It accepts connections, answers SubscribeToID(token, id) with {status: OK} (or with an AMP
// error while refusing), remembers which connection subscribed to which id, and on Notify(id)
// sends NotificationForID(id, dataChangedTimestamp) to each of them, counting their answers.
// DropAll() closes the client connections but keeps listening (a notifier restart); Stop()
// closes everything (a notifier that is down). The box codec here is written independently of
// worker/amp_push.* so the two check each other. One background thread serves every socket
// with poll(); the public methods are thread-safe.
#ifndef LOADSIM_TESTS_SERVERS_AMP_NOTIFIER_H_
#define LOADSIM_TESTS_SERVERS_AMP_NOTIFIER_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <ctime>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace loadsim::testing {

class AmpNotifier {
 public:
  using Box = std::vector<std::pair<std::string, std::string>>;

  ~AmpNotifier() { Stop(); }

  // Listens on 127.0.0.1:port (0: any free port). False if it cannot.
  bool Start(int port = 0) {
    Stop();
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        listen(listen_fd_, 64) != 0) {
      close(listen_fd_);
      listen_fd_ = -1;
      return false;
    }
    socklen_t len = sizeof(addr);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    stop_ = false;
    thread_ = std::thread([this] { Serve(); });
    return true;
  }

  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [fd, conn] : conns_) close(fd);
    conns_.clear();
    if (listen_fd_ >= 0) close(listen_fd_);
    listen_fd_ = -1;
  }

  // Closes every client connection; keeps listening.
  void DropAll() {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [fd, conn] : conns_) {
      shutdown(fd, SHUT_RDWR);
      close(fd);
    }
    conns_.clear();
  }

  // While set, SubscribeToID is answered with an AMP error.
  void SetRefuse(bool refuse) { refuse_ = refuse; }

  // Sends NotificationForID(id) to every connection subscribed to `id`; returns how many.
  int Notify(const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    int sent = 0;
    for (auto& [fd, conn] : conns_) {
      bool subscribed = false;
      for (const std::string& s : conn.ids) subscribed = subscribed || s == id;
      if (!subscribed) continue;
      std::string ask = "n" + std::to_string(++asks_);
      SendBox(fd, {{"_command", "NotificationForID"},
                   {"_ask", ask},
                   {"id", id},
                   {"dataChangedTimestamp", std::to_string(std::time(nullptr))}});
      ++sent;
    }
    return sent;
  }

  int port() const { return port_; }
  // SubscribeToID requests received for `id` (all connections, ever).
  int subscriptions(const std::string& id) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = subscribed_.find(id);
    return it == subscribed_.end() ? 0 : it->second;
  }
  int connections() const {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(conns_.size());
  }
  // Answers {status: OK} received for notifications.
  int ok_answers() const { return ok_answers_.load(); }
  // Boxes that were not valid AMP or lacked required keys.
  int protocol_errors() const { return protocol_errors_.load(); }
  // The last token a SubscribeToID carried.
  std::string last_token() const {
    std::lock_guard<std::mutex> lock(mu_);
    return last_token_;
  }

 private:
  struct Conn {
    std::string in;
    std::vector<std::string> ids;
  };

  static void Put16(std::string* out, size_t n) {
    out->push_back(static_cast<char>(n >> 8));
    out->push_back(static_cast<char>(n & 0xFF));
  }
  static void SendBox(int fd, const Box& box) {
    std::string out;
    for (const auto& [k, v] : box) {
      Put16(&out, k.size());
      out += k;
      Put16(&out, v.size());
      out += v;
    }
    Put16(&out, 0);
    size_t off = 0;
    while (off < out.size()) {
      ssize_t n = send(fd, out.data() + off, out.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }
  static const std::string* Get(const Box& box, const std::string& key) {
    for (const auto& [k, v] : box) {
      if (k == key) return &v;
    }
    return nullptr;
  }

  // Takes the complete boxes off the front of `in`.
  bool TakeBoxes(std::string* in, std::vector<Box>* out) {
    size_t pos = 0;
    auto u16 = [in](size_t at) {
      return (static_cast<size_t>(static_cast<unsigned char>((*in)[at])) << 8) |
             static_cast<unsigned char>((*in)[at + 1]);
    };
    while (true) {
      Box box;
      size_t at = pos;
      bool done = false;
      while (at + 2 <= in->size()) {
        size_t klen = u16(at);
        if (klen == 0) {
          at += 2;
          done = true;
          break;
        }
        if (klen > 255) return false;
        if (at + 4 + klen > in->size()) break;
        size_t vlen = u16(at + 2 + klen);
        if (at + 4 + klen + vlen > in->size()) break;
        box.emplace_back(in->substr(at + 2, klen), in->substr(at + 4 + klen, vlen));
        at += 4 + klen + vlen;
      }
      if (!done) break;
      out->push_back(std::move(box));
      pos = at;
    }
    in->erase(0, pos);
    return true;
  }

  void Handle(int fd, Conn& conn, const Box& box) {
    const std::string* command = Get(box, "_command");
    if (command == nullptr) {
      const std::string* status = Get(box, "status");
      if (Get(box, "_answer") != nullptr && status != nullptr && *status == "OK") ++ok_answers_;
      return;
    }
    const std::string* ask = Get(box, "_ask");
    const std::string* id = Get(box, "id");
    const std::string* token = Get(box, "token");
    if (*command != "SubscribeToID" || ask == nullptr || id == nullptr || token == nullptr) {
      ++protocol_errors_;
      return;
    }
    if (refuse_) {
      SendBox(fd, {{"_error", *ask},
                   {"_error_code", "REFUSED"},
                   {"_error_description", "subscriptions are refused"}});
      return;
    }
    conn.ids.push_back(*id);
    ++subscribed_[*id];
    last_token_ = *token;
    SendBox(fd, {{"_answer", *ask}, {"status", "OK"}});
  }

  void Serve() {
    while (!stop_) {
      std::vector<pollfd> fds;
      {
        std::lock_guard<std::mutex> lock(mu_);
        fds.push_back({listen_fd_, POLLIN, 0});
        for (auto& [fd, conn] : conns_) fds.push_back({fd, POLLIN, 0});
      }
      if (poll(fds.data(), fds.size(), 20) <= 0) continue;
      std::lock_guard<std::mutex> lock(mu_);
      if ((fds[0].revents & POLLIN) != 0) {
        int c = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) conns_[c] = Conn{};
      }
      for (size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        auto it = conns_.find(fds[i].fd);
        if (it == conns_.end()) continue;  // dropped meanwhile
        char buf[4096];
        ssize_t n = recv(fds[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n <= 0) {
          close(fds[i].fd);
          conns_.erase(it);
          continue;
        }
        it->second.in.append(buf, static_cast<size_t>(n));
        std::vector<Box> boxes;
        if (!TakeBoxes(&it->second.in, &boxes)) {
          ++protocol_errors_;
          close(fds[i].fd);
          conns_.erase(it);
          continue;
        }
        for (const Box& box : boxes) Handle(fds[i].fd, it->second, box);
      }
    }
  }

  mutable std::mutex mu_;
  std::map<int, Conn> conns_;             // guarded by mu_
  std::map<std::string, int> subscribed_;  // guarded by mu_
  std::string last_token_;                 // guarded by mu_
  int listen_fd_ = -1;
  int port_ = 0;
  int asks_ = 0;  // guarded by mu_
  std::atomic<bool> stop_{false};
  std::atomic<bool> refuse_{false};
  std::atomic<int> ok_answers_{0};
  std::atomic<int> protocol_errors_{0};
  std::thread thread_;
};

}  // namespace loadsim::testing

#endif  // LOADSIM_TESTS_SERVERS_AMP_NOTIFIER_H_
