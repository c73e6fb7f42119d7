#include "worker/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace loadsim {

int64_t MonotonicNowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

absl::StatusOr<std::unique_ptr<EventLoop>> EventLoop::Create() {
  int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) return absl::InternalError(absl::StrCat("epoll_create1: ", strerror(errno)));
  int wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) {
    close(epoll_fd);
    return absl::InternalError(absl::StrCat("eventfd: ", strerror(errno)));
  }
  struct epoll_event ev = {};
  ev.events = EPOLLIN;
  ev.data.fd = wake_fd;
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd, &ev) != 0) {
    close(wake_fd);
    close(epoll_fd);
    return absl::InternalError(absl::StrCat("epoll_ctl: ", strerror(errno)));
  }
  int timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  ev.data.fd = timer_fd;
  if (timer_fd < 0 || epoll_ctl(epoll_fd, EPOLL_CTL_ADD, timer_fd, &ev) != 0) {
    if (timer_fd >= 0) close(timer_fd);
    close(wake_fd);
    close(epoll_fd);
    return absl::InternalError(absl::StrCat("timerfd: ", strerror(errno)));
  }
  return std::unique_ptr<EventLoop>(new EventLoop(epoll_fd, wake_fd, timer_fd));
}

EventLoop::EventLoop(int epoll_fd, int wake_fd, int timer_fd)
    : epoll_fd_(epoll_fd), wake_fd_(wake_fd), timer_fd_(timer_fd), now_ns_(MonotonicNowNs()) {}

EventLoop::~EventLoop() {
  close(timer_fd_);
  close(wake_fd_);
  close(epoll_fd_);
}

EventLoop::TimerId EventLoop::AddTimer(int64_t due_ns, std::function<void()> fn) {
  TimerId id = next_id_++;
  heap_.push(Timer{due_ns, id, id});
  timers_by_id_.emplace(id, std::move(fn));
  return id;
}

void EventLoop::CancelTimer(TimerId id) { timers_by_id_.erase(id); }

absl::Status EventLoop::WatchFd(int fd, uint32_t events, FdCallback cb) {
  struct epoll_event ev = {};
  ev.events = events;
  ev.data.fd = fd;
  bool known = fds_.count(fd) > 0;
  if (epoll_ctl(epoll_fd_, known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) != 0) {
    return absl::InternalError(absl::StrCat("epoll_ctl(", fd, "): ", strerror(errno)));
  }
  fds_[fd] = std::move(cb);
  return absl::OkStatus();
}

absl::Status EventLoop::SetFdEvents(int fd, uint32_t events) {
  struct epoll_event ev = {};
  ev.events = events;
  ev.data.fd = fd;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) != 0) {
    return absl::InternalError(absl::StrCat("epoll_ctl(", fd, "): ", strerror(errno)));
  }
  return absl::OkStatus();
}

void EventLoop::UnwatchFd(int fd) {
  if (fds_.erase(fd) == 0) return;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);  // fails harmlessly if already closed
}

void EventLoop::Stop() {
  {
    std::lock_guard<std::mutex> lock(posted_mu_);
    stop_posted_ = true;
  }
  uint64_t one = 1;
  ssize_t n = write(wake_fd_, &one, sizeof(one));
  (void)n;  // a full eventfd counter still wakes the loop
}

void EventLoop::Post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(posted_mu_);
    posted_.push_back(std::move(fn));
  }
  uint64_t one = 1;
  ssize_t n = write(wake_fd_, &one, sizeof(one));
  (void)n;
}

void EventLoop::DrainPosted() {
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> lock(posted_mu_);
    batch.swap(posted_);
    if (stop_posted_) {
      stop_requested_ = true;
      stop_posted_ = false;
    }
  }
  for (auto& fn : batch) fn();
}

void EventLoop::RunDueTimers() {
  // Timers added while running (due now) wait for the next pass, so a zero-delay timer
  // chain cannot starve I/O.
  const int64_t now = now_ns_;
  size_t budget = heap_.size();
  while (budget-- > 0 && !heap_.empty() && heap_.top().due_ns <= now) {
    Timer t = heap_.top();
    heap_.pop();
    auto it = timers_by_id_.find(t.id);
    if (it == timers_by_id_.end()) continue;  // cancelled
    std::function<void()> fn = std::move(it->second);
    timers_by_id_.erase(it);
    fn();
  }
}

void EventLoop::Run(int64_t deadline_ns) {
  constexpr int kMaxEvents = 256;
  struct epoll_event events[kMaxEvents];
  stop_requested_ = false;
  while (!stop_requested_) {
    now_ns_ = MonotonicNowNs();
    if (deadline_ns > 0 && now_ns_ >= deadline_ns) break;
    // Drop cancelled timers from the top so the wait is computed from a live one.
    while (!heap_.empty() && timers_by_id_.count(heap_.top().id) == 0) heap_.pop();
    int64_t wake_at = deadline_ns > 0 ? deadline_ns : INT64_MAX;
    if (!heap_.empty()) wake_at = std::min(wake_at, heap_.top().due_ns);
    // A timerfd gives nanosecond wake-ups (epoll_wait's own timeout is in milliseconds,
    // which would bunch a 20k/s Poisson schedule into 1 ms clumps).
    int timeout_ms = -1;
    if (wake_at <= now_ns_) {
      timeout_ms = 0;
    } else if (wake_at == INT64_MAX) {
      timeout_ms = 1000;
    } else if (wake_at != armed_ns_) {
      struct itimerspec its = {};
      its.it_value.tv_sec = wake_at / 1000000000;
      its.it_value.tv_nsec = wake_at % 1000000000;
      timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &its, nullptr);
      armed_ns_ = wake_at;
    }
    int n = epoll_wait(epoll_fd_, events, kMaxEvents, timeout_ms);
    ++passes_;
    now_ns_ = MonotonicNowNs();
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == timer_fd_) {
        uint64_t expirations;
        ssize_t r = read(timer_fd_, &expirations, sizeof(expirations));
        (void)r;
        armed_ns_ = 0;
        continue;
      }
      if (fd == wake_fd_) {
        uint64_t counter;
        ssize_t r = read(wake_fd_, &counter, sizeof(counter));
        (void)r;
        DrainPosted();
        continue;
      }
      auto it = fds_.find(fd);
      if (it == fds_.end()) continue;
      FdCallback cb = it->second;  // the callback may unwatch its own fd
      cb(events[i].events);
    }
    RunDueTimers();
  }
}

}  // namespace loadsim
