// The stats socket reader against fake servers written to CalendarServer's two protocols
// (calendarserver-sim.md 7; CalendarServer itself cannot run here).
#include "master/server_stats.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace loadsim {
namespace {

using ::testing::HasSubstr;

// Accepts one connection on 127.0.0.1 and runs `serve(fd)` on it in a thread.
class FakeStatsServer {
 public:
  template <typename F>
  explicit FakeStatsServer(F serve) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(listen_fd_, 4);
    socklen_t len = sizeof(addr);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, serve] {
      int c = accept(listen_fd_, nullptr, nullptr);
      if (c >= 0) {
        serve(c);
        close(c);
      }
    });
  }
  ~FakeStatsServer() {
    shutdown(listen_fd_, SHUT_RDWR);
    close(listen_fd_);
    thread_.join();
  }
  int port() const { return port_; }

 private:
  int listen_fd_;
  int port_;
  std::thread thread_;
};

// Five minutes: 6000 requests, 1.2e6 ms total processing, slots sum 18000, cpu sum 240000.
const char kPeriod[] =
    "{\"requests\": 6000, \"t\": 1200000, \"slots\": 18000, \"cpu\": 240000, \"500\": 0}";

TEST(ServerStatsTest, PushProtocolOfR11831) {
  FakeStatsServer server([](int fd) {
    std::string doc = std::string("{\"System\": {\"cpu count\": 2}, \"Current\": {}, ") +
                      "\"1 Minute\": {}, \"5 Minutes\": " + kPeriod + ", \"1 Hour\": {}}\r\n";
    send(fd, doc.data(), doc.size(), 0);
  });
  absl::StatusOr<ServerStats> s = ReadServerStats("127.0.0.1", server.port(), 5);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->protocol, "push");
  EXPECT_EQ(s->requests, 6000);
  EXPECT_DOUBLE_EQ(s->req_per_s, 20.0);
  EXPECT_DOUBLE_EQ(s->response_ms, 200.0);
  EXPECT_DOUBLE_EQ(s->slots, 3.0);
  EXPECT_DOUBLE_EQ(s->cpu_percent, 40.0);
}

TEST(ServerStatsTest, RequestProtocolOfLaterServers) {
  FakeStatsServer server([](int fd) {
    char buf[64] = {0};
    ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
    if (n > 0 && std::string(buf) == "[\"stats\"]\r\n") {
      std::string doc = std::string("{\"stats\": {\"5m\": ") + kPeriod + "}}\r\n";
      send(fd, doc.data(), doc.size(), 0);
      // Later servers keep the connection open: the reader must stop at the line end.
      std::this_thread::sleep_for(std::chrono::seconds(2));
    }
  });
  absl::StatusOr<ServerStats> s = ReadServerStats("127.0.0.1", server.port(), 5);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->protocol, "request");
  EXPECT_DOUBLE_EQ(s->response_ms, 200.0);
}

TEST(ServerStatsTest, ZeroRequestsDivideSafely) {
  absl::StatusOr<ServerStats> s = ParseServerStats("{\"5 Minutes\": {\"requests\": 0}}");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->response_ms, 0);
}

TEST(ServerStatsTest, SilentServerTimesOutInsteadOfHanging) {
  FakeStatsServer server([](int) { std::this_thread::sleep_for(std::chrono::seconds(3)); });
  auto t0 = std::chrono::steady_clock::now();
  absl::StatusOr<ServerStats> s = ReadServerStats("127.0.0.1", server.port(), 1.0);
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("did not finish"));
  EXPECT_LT(took, 2.5);
}

TEST(ServerStatsTest, InvalidJsonAndRefusedConnectionAreErrorsNamingTheAddress) {
  FakeStatsServer server([](int fd) { send(fd, "not json\r\n", 10, 0); });
  absl::StatusOr<ServerStats> s = ReadServerStats("127.0.0.1", server.port(), 2);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("not a JSON object"));
  EXPECT_THAT(std::string(s.status().message()),
              HasSubstr("127.0.0.1:" + std::to_string(server.port())));
  int closed_port;
  {
    FakeStatsServer gone([](int) {});
    closed_port = gone.port();
  }
  absl::StatusOr<ServerStats> refused = ReadServerStats("127.0.0.1", closed_port, 2);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("connect"));
}

}  // namespace
}  // namespace loadsim
