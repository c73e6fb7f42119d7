// EventLoop: one thread's reactor: epoll for file descriptors plus a timer heap, with one
// cached "now" per loop pass.
//
// Every worker thread owns exactly one EventLoop and everything that runs on it (curl multi
// handle, simulated clients, their recorders), so the hot path shares no mutable state. The
// loop never busy-polls: it sleeps in epoll_wait until the next timer or I/O. All methods
// must be called on the loop's thread, except Stop() and Post(), which are thread-safe.
#ifndef LOADSIM_WORKER_EVENT_LOOP_H_
#define LOADSIM_WORKER_EVENT_LOOP_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <queue>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"

namespace loadsim {

// Monotonic time in nanoseconds.
int64_t MonotonicNowNs();

class EventLoop {
 public:
  using TimerId = uint64_t;
  // events: EPOLLIN / EPOLLOUT / EPOLLERR / EPOLLHUP bits.
  using FdCallback = std::function<void(uint32_t events)>;

  static absl::StatusOr<std::unique_ptr<EventLoop>> Create();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // The time cached at the start of the current loop pass (updated after every wait).
  int64_t now_ns() const { return now_ns_; }
  // Re-reads the clock (for measurements that must not use the cached pass time).
  int64_t UpdateNow() { return now_ns_ = MonotonicNowNs(); }

  // Runs `fn` at `due_ns` (monotonic) or as soon as possible if that is past. Timers with the
  // same due time run in the order they were added.
  TimerId AddTimer(int64_t due_ns, std::function<void()> fn);
  // Cancelling an id that already ran or was cancelled is a no-op.
  void CancelTimer(TimerId id);
  size_t pending_timers() const { return timers_by_id_.size(); }

  // Watches `fd` for `events` (EPOLLIN/EPOLLOUT); a second call modifies the interest.
  absl::Status WatchFd(int fd, uint32_t events, FdCallback cb);
  void UnwatchFd(int fd);
  // Changes the interest of a watched fd, keeping its callback (no allocation).
  absl::Status SetFdEvents(int fd, uint32_t events);

  // Runs until Stop() is called or `deadline_ns` (monotonic; 0 = none) passes.
  void Run(int64_t deadline_ns = 0);
  // Thread-safe: makes Run() return after the current pass.
  void Stop();
  // Thread-safe: runs `fn` on the loop thread during the next pass.
  void Post(std::function<void()> fn);

  // Number of loop passes (wake-ups) so far.
  uint64_t passes() const { return passes_; }

 private:
  EventLoop(int epoll_fd, int wake_fd, int timer_fd);
  void RunDueTimers();
  void DrainPosted();

  struct Timer {
    int64_t due_ns;
    uint64_t seq;
    TimerId id;
    bool operator>(const Timer& o) const {
      return due_ns != o.due_ns ? due_ns > o.due_ns : seq > o.seq;
    }
  };

  int epoll_fd_;
  int wake_fd_;
  int timer_fd_;
  int64_t armed_ns_ = 0;  // absolute time the timerfd is set for; 0 = not armed
  int64_t now_ns_;
  uint64_t next_id_ = 1;
  uint64_t passes_ = 0;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> heap_;
  std::unordered_map<TimerId, std::function<void()>> timers_by_id_;
  std::unordered_map<int, FdCallback> fds_;
  bool stop_requested_ = false;

  std::mutex posted_mu_;
  std::vector<std::function<void()>> posted_;  // guarded by posted_mu_
  bool stop_posted_ = false;                    // guarded by posted_mu_
};

}  // namespace loadsim

#endif  // LOADSIM_WORKER_EVENT_LOOP_H_
