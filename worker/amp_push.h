// AMP push: the client side of CalendarServer's AMP notification protocol (spec 3.7), so a
// simulated calendar client learns about changes to its home without polling.
//
// Wire format (Twisted AMP): a box is a sequence of key/value pairs, each key a 2-byte
// big-endian length (1-255) and its bytes, each value a 2-byte big-endian length (0-65535) and
// its bytes, ended by an empty key (00 00). EncodeAmpBox / AmpBoxReader handle boxes;
// AmpBoxReader accepts input split anywhere.
//
// AmpPushClient keeps one TCP connection to the push host: it connects, sends
// SubscribeToID(token, id) for every push key (one uuid4 token per connection), and is "up"
// once every subscription is answered. A NotificationForID(id) is answered {status: OK} and,
// when the id is one of the keys, reported through the Notify callback. Other commands get an
// AMP error answer (UNHANDLED). Unlike the original (spec 9.4 item 14), a connection that
// fails, is refused, times out during the handshake or is dropped later is reported through
// the StateChange callback (the calendar client then polls) and retried after a jittered
// exponential backoff, reset by the next successful subscription. Each connection attempt is
// recorded as the request "AMP{subscribe}" (connect to last answer) with its failure reason.
//
// The push host is resolved with getaddrinfo on each connection attempt, which blocks the
// loop (IPv4 literals do not). Not thread-safe: belongs to its loop's thread; destroying it
// closes the connection and cancels its timers; callbacks never run after that.
#ifndef LOADSIM_WORKER_AMP_PUSH_H_
#define LOADSIM_WORKER_AMP_PUSH_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/random.h"
#include "worker/event_loop.h"
#include "worker/recorder.h"

namespace loadsim {

// One AMP box: its key/value pairs in order.
using AmpBox = std::vector<std::pair<std::string, std::string>>;

// The value of `key` in `box`; null if absent.
const std::string* AmpValue(const AmpBox& box, absl::string_view key);

// The wire bytes of `box`; InvalidArgument for an empty or over-long (> 255) key or a value
// longer than 65535 bytes.
absl::StatusOr<std::string> EncodeAmpBox(const AmpBox& box);

// Incremental decoder of a stream of boxes.
class AmpBoxReader {
 public:
  // Appends `data`; complete boxes are appended to `out`. InvalidArgument once the stream is
  // not AMP (a key longer than 255 bytes); the reader is then unusable.
  absl::Status Feed(absl::string_view data, std::vector<AmpBox>* out);
  // Bytes of an unfinished box held.
  size_t buffered() const { return buffer_.size() - pos_; }

 private:
  std::string buffer_;
  size_t pos_ = 0;  // start of the unfinished box in buffer_
  bool broken_ = false;
};

struct AmpPushOptions {
  std::string host;  // push host (name or IPv4/IPv6 literal)
  int port = 62311;
  std::vector<std::string> keys;  // push keys to subscribe to
  double backoff_initial_s = 1;   // first reconnect delay (before jitter)
  double backoff_max_s = 60;      // cap of the doubling delay
  double handshake_timeout_s = 10;  // connect + every subscription answered
  uint64_t seed = 1;                // tokens and backoff jitter
};

class AmpPushClient {
 public:
  using Notify = std::function<void(const std::string& id)>;
  // up: subscribed; !up: the connection failed or dropped (reason says why).
  using StateChange = std::function<void(bool up, const std::string& reason)>;

  // `recorder` may be null (nothing recorded); it must outlive the client.
  AmpPushClient(EventLoop* loop, Recorder* recorder, AmpPushOptions options, Notify notify,
                StateChange state_change);
  ~AmpPushClient();
  AmpPushClient(const AmpPushClient&) = delete;
  AmpPushClient& operator=(const AmpPushClient&) = delete;

  // Connects now (and keeps reconnecting until Stop).
  void Start();
  // Closes the connection; no reconnect.
  void Stop();

  bool up() const { return state_ == State::kUp; }
  // Connection attempts so far, and the ones that ended subscribed.
  int attempts() const { return attempts_; }
  int subscriptions() const { return subscriptions_; }
  int notifications() const { return notifications_; }
  const AmpPushOptions& options() const { return options_; }

 private:
  enum class State { kIdle, kConnecting, kSubscribing, kUp, kWaiting };

  void Connect();
  void OnEvents(uint32_t events);
  void OnConnected();
  void ReadSome();
  void HandleBox(const AmpBox& box);
  bool Send(const AmpBox& box);
  void Flush();
  // The connection attempt or connection ended: record, report, close, plan a reconnect.
  void Fail(const std::string& reason);
  void CloseFd();
  void CancelTimer();

  EventLoop* loop_;
  Recorder* recorder_;
  AmpPushOptions options_;
  Notify notify_;
  StateChange state_change_;
  RandomStream rng_;

  State state_ = State::kIdle;
  int fd_ = -1;
  EventLoop::TimerId timer_ = 0;
  int64_t attempt_start_ns_ = 0;
  int failures_in_row_ = 0;
  int attempts_ = 0;
  int subscriptions_ = 0;
  int notifications_ = 0;
  uint64_t next_ask_ = 1;
  std::vector<std::string> pending_asks_;  // subscriptions not answered yet
  std::string out_;                        // bytes not written yet
  AmpBoxReader reader_;
  std::shared_ptr<bool> alive_;
};

}  // namespace loadsim

#endif  // LOADSIM_WORKER_AMP_PUSH_H_
