#include "worker/robot.h"

#include <cmath>
#include <deque>
#include <memory>
#include <vector>

#include "common/plist.h"
#include "gtest/gtest.h"

namespace loadsim {
namespace {

// A transport with `capacity` concurrent requests, each served in `service_ns`, queueing the
// rest like a connection pool. It records when each request was submitted.
class FakeTransport : public HttpTransport {
 public:
  FakeTransport(EventLoop* loop, int capacity, int64_t service_ns)
      : loop_(loop), capacity_(capacity), service_ns_(service_ns) {}

  void Submit(HttpRequest req, HttpDone done) override {
    submits_.push_back(loop_->now_ns());
    methods_.push_back(req.method);
    waiting_.push_back({std::move(done), loop_->now_ns()});
    Pump();
  }
  int in_flight() const override { return in_flight_; }
  size_t queued() const override { return waiting_.size(); }

  std::vector<int64_t> submits_;
  std::vector<std::string> methods_;
  int max_in_flight_ = 0;

 private:
  struct Waiting {
    HttpDone done;
    int64_t queued_ns;
  };
  void Pump() {
    while (in_flight_ < capacity_ && !waiting_.empty()) {
      auto w = std::make_shared<Waiting>(std::move(waiting_.front()));
      waiting_.pop_front();
      ++in_flight_;
      max_in_flight_ = std::max(max_in_flight_, in_flight_);
      int64_t sent = loop_->now_ns();
      loop_->AddTimer(sent + service_ns_, [this, w, sent] {
        --in_flight_;
        HttpResponse r;
        r.status = 200;
        r.queued_ns = w->queued_ns;
        r.sent_ns = sent;
        r.done_ns = loop_->UpdateNow();
        Pump();
        w->done(r);
      });
    }
  }
  EventLoop* loop_;
  int capacity_;
  int64_t service_ns_;
  int in_flight_ = 0;
  std::deque<Waiting> waiting_;
};

v1::RobotParams Params() {
  v1::RobotParams p;
  v1::Selector::Item* origin = p.mutable_origins()->add_items();
  origin->set_value("http://127.0.0.1:1/x");
  origin->set_probability(1);
  v1::Selector::Item* get = p.mutable_req_methods()->add_items();
  get->set_value("GET");
  get->set_probability(0.75);
  v1::Selector::Item* head = p.mutable_req_methods()->add_items();
  head->set_value("HEAD");
  head->set_probability(0.25);
  return p;
}

struct RobotRun {
  std::unique_ptr<EventLoop> loop = *EventLoop::Create();
  Recorder recorder;
  FakeTransport* transport = nullptr;
  std::unique_ptr<Robot> robot;

  RobotRun(const v1::RobotParams& params, int capacity, int64_t service_ns) {
    auto t = std::make_unique<FakeTransport>(loop.get(), capacity, service_ns);
    transport = t.get();
    robot = *Robot::Create(params, loop.get(), std::move(t), &recorder, 42, 3, 0);
  }
  void For(double seconds) {
    int64_t stop = loop->now_ns() + static_cast<int64_t>(seconds * 1e9);
    robot->Start(stop);
    loop->Run(stop);
    robot->Stop();
  }
};

// The gap distribution itself is tested without clocks in pacer_test; here the robot must
// issue what its schedule says, whatever the timer slippage on a busy machine.
TEST(RobotTest, PoissonRateIssuesTheScheduledCount) {
  v1::RobotParams p = Params();
  p.set_req_rate(1000);
  RobotRun run(p, 100, 1000000);
  run.For(2.0);
  // Count: Poisson with mean 2000, sd ~45; allow 5 sd.
  EXPECT_NEAR(static_cast<double>(run.transport->submits_.size()), 2000, 5 * std::sqrt(2000.0));
}

TEST(RobotTest, InterArrivalDistributionPacesRequests) {
  v1::RobotParams p = Params();
  v1::Distribution* d = p.mutable_req_inter_arrival();
  d->set_kind(v1::VALUE_KIND_TIME);
  d->mutable_constant()->set_value(0.01);
  RobotRun run(p, 100, 1000000);
  run.For(1.0);
  const std::vector<int64_t>& t = run.transport->submits_;
  // First request one gap after start, then every 10 ms: 99 or 100 in one second.
  EXPECT_GE(t.size(), 98u);
  EXPECT_LE(t.size(), 100u);
  // Due times are anchored to the schedule, not to when the previous timer fired, so timer
  // slippage does not accumulate: the span is (n - 1) gaps give or take one late firing.
  ASSERT_GE(t.size(), 2u);
  EXPECT_NEAR((t.back() - t.front()) / 1e6, 10.0 * (t.size() - 1), 8.0);
}

TEST(RobotTest, BestEffortKeepsOpenConnLimitOutstanding) {
  v1::RobotParams p = Params();
  p.set_open_conn_lmt(3);
  RobotRun run(p, 100, 5000000);  // 5 ms per request
  run.For(1.0);
  EXPECT_EQ(run.transport->max_in_flight_, 3);
  // 3 outstanding, 5 ms each: about 600 in one second.
  EXPECT_NEAR(static_cast<double>(run.transport->submits_.size()), 600, 60);
  // The method selector: 75% GET.
  size_t gets = 0;
  for (const std::string& m : run.transport->methods_) gets += m == "GET";
  double share = static_cast<double>(gets) / run.transport->methods_.size();
  EXPECT_NEAR(share, 0.75, 0.06);
  EXPECT_GT(run.recorder.current().at("GET{robot}").count(), 0u);
  EXPECT_GT(run.recorder.current().at("HEAD{robot}").count(), 0u);
}

// Coordinated omission: a server that serves one request per 50 ms while requests are due
// every 10 ms falls behind. Latency counted from the due time grows with the backlog; counted
// from when the request was sent it would stay at 50 ms and hide the overload.
TEST(RobotTest, LatencyIsMeasuredFromTheDueTime) {
  v1::RobotParams p = Params();
  p.set_req_rate(100);
  RobotRun run(p, 1, 50000000);
  run.For(1.0);
  const LabelRecorder& get = run.recorder.current().at("GET{robot}");
  const LabelRecorder& lag = run.recorder.current().at("lag{robot}");
  EXPECT_GT(get.MeanUs(), 200000);  // far above the 50 ms service time
  EXPECT_GT(lag.MeanUs(), 150000);  // the wait for the connection is lag
  EXPECT_GE(get.min_us(), 50000u);
  // Requests that found no free connection count their wait as blocked time.
  const LabelRecorder& blocked = run.recorder.current().at("blocked{robot}");
  EXPECT_GT(blocked.count(), 0u);
  EXPECT_GT(blocked.MeanUs(), 100000);
}

TEST(RobotTest, StopsSubmittingAtTheStopTime) {
  v1::RobotParams p = Params();
  p.set_req_rate(500);
  RobotRun run(p, 100, 1000000);
  run.For(0.5);
  size_t at_stop = run.transport->submits_.size();
  run.loop->Run(run.loop->now_ns() + 200000000);
  EXPECT_EQ(run.transport->submits_.size(), at_stop);
}

}  // namespace
}  // namespace loadsim
