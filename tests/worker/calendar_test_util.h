// Helpers shared by the calendar-client tests that run clients on one EventLoop against a real
// server: run the loop until a condition holds (bounded in time), read a Recorder's counts,
// format its labels for failure messages, and build simple distributions. Header-only; no
// state of its own, so tests may run in parallel.
#ifndef LOADSIM_TESTS_WORKER_CALENDAR_TEST_UTIL_H_
#define LOADSIM_TESTS_WORKER_CALENDAR_TEST_UTIL_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/strings/str_cat.h"
#include "loadsim/v1/run_spec.pb.h"
#include "worker/event_loop.h"
#include "worker/http_engine.h"
#include "worker/recorder.h"

namespace loadsim {
namespace calendar_test {

// Runs `loop` until `pred` holds (checked every `step_s`) or `seconds` pass; returns pred().
inline bool RunUntil(EventLoop& loop, const std::function<bool()>& pred, double seconds,
                     double step_s = 0.02) {
  int64_t deadline = MonotonicNowNs() + static_cast<int64_t>(seconds * 1e9);
  int64_t step = static_cast<int64_t>(step_s * 1e9);
  while (!pred() && MonotonicNowNs() < deadline) loop.Run(MonotonicNowNs() + step);
  return pred();
}

inline uint64_t Count(const Recorder& recorder, const std::string& label) {
  auto it = recorder.current().find(label);
  return it == recorder.current().end() ? 0 : it->second.count();
}

inline uint64_t Failures(const Recorder& recorder, const std::string& label) {
  auto it = recorder.current().find(label);
  return it == recorder.current().end() ? 0 : it->second.failures();
}

// One line per label with its count and failures, and each failure reason below it.
inline std::string Labels(const Recorder& recorder) {
  std::string out;
  for (const auto& [label, rec] : recorder.current()) {
    absl::StrAppend(&out, label, " n=", rec.count(), " failed=", rec.failures(), "\n");
    for (const auto& [reason, n] : rec.failure_reasons()) {
      absl::StrAppend(&out, "    ", reason, " x", n, "\n");
    }
  }
  return out;
}

inline v1::Distribution Constant(v1::ValueKind kind, double value) {
  v1::Distribution d;
  d.set_kind(kind);
  d.mutable_constant()->set_value(value);
  return d;
}

// Start times about ten days ahead.
inline v1::Distribution NearFuture() {
  v1::Distribution d;
  d.set_kind(v1::VALUE_KIND_DATETIME);
  d.mutable_near_future()->set_mu(10);
  d.mutable_near_future()->set_sigma(1);
  return d;
}

}  // namespace calendar_test
}  // namespace loadsim

#endif  // LOADSIM_TESTS_WORKER_CALENDAR_TEST_UTIL_H_
