#include "worker/event_loop.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace loadsim {
namespace {

TEST(EventLoopTest, TimersRunInDueOrderAndFifoForTies) {
  auto loop = *EventLoop::Create();
  std::vector<int> order;
  int64_t base = loop->now_ns();
  loop->AddTimer(base + 3000000, [&] { order.push_back(3); });
  loop->AddTimer(base + 1000000, [&] { order.push_back(1); });
  loop->AddTimer(base + 2000000, [&] { order.push_back(21); });
  loop->AddTimer(base + 2000000, [&] { order.push_back(22); });
  loop->AddTimer(base + 4000000, [&] { loop->Stop(); });
  loop->Run(base + 1000000000);
  EXPECT_EQ(order, (std::vector<int>{1, 21, 22, 3}));
}

TEST(EventLoopTest, TimersNeverFireEarly) {
  auto loop = *EventLoop::Create();
  int64_t due = loop->now_ns() + 5000000;
  int64_t fired_at = 0;
  loop->AddTimer(due, [&] {
    fired_at = MonotonicNowNs();
    loop->Stop();
  });
  loop->Run(due + 1000000000);
  EXPECT_GE(fired_at, due);
}

TEST(EventLoopTest, CancelledTimerDoesNotRun) {
  auto loop = *EventLoop::Create();
  bool ran = false;
  EventLoop::TimerId id = loop->AddTimer(loop->now_ns() + 1000000, [&] { ran = true; });
  loop->CancelTimer(id);
  loop->CancelTimer(id);  // twice is harmless
  loop->AddTimer(loop->now_ns() + 2000000, [&] { loop->Stop(); });
  loop->Run(loop->now_ns() + 1000000000);
  EXPECT_FALSE(ran);
  EXPECT_EQ(loop->pending_timers(), 0u);
}

TEST(EventLoopTest, RunReturnsAtDeadline) {
  auto loop = *EventLoop::Create();
  int64_t deadline = loop->now_ns() + 20000000;
  loop->AddTimer(deadline + 5000000000LL, [] {});
  loop->Run(deadline);
  EXPECT_GE(MonotonicNowNs(), deadline);
  EXPECT_EQ(loop->pending_timers(), 1u);
}

TEST(EventLoopTest, ZeroDelayChainDoesNotStarveFdEvents) {
  auto loop = *EventLoop::Create();
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  bool readable_seen = false;
  ASSERT_TRUE(loop->WatchFd(fds[0], EPOLLIN, [&](uint32_t) {
                    readable_seen = true;
                    loop->Stop();
                  })
                  .ok());
  std::function<void()> chain = [&] { loop->AddTimer(loop->now_ns(), chain); };
  loop->AddTimer(loop->now_ns(), chain);
  ASSERT_EQ(write(fds[1], "x", 1), 1);
  loop->Run(loop->now_ns() + 2000000000);
  EXPECT_TRUE(readable_seen);
  loop->UnwatchFd(fds[0]);
  close(fds[0]);
  close(fds[1]);
}

TEST(EventLoopTest, StopAndPostFromAnotherThread) {
  auto loop = *EventLoop::Create();
  bool posted_ran = false;
  std::thread other([&] {
    loop->Post([&] { posted_ran = true; });
    loop->Stop();
  });
  loop->Run(loop->now_ns() + 5000000000LL);
  other.join();
  EXPECT_TRUE(posted_ran);
}

}  // namespace
}  // namespace loadsim
