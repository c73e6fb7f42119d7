#include "master/live_view.h"

#include "absl/strings/str_format.h"
#include "master/verdict.h"

namespace loadsim {
namespace {

std::string Prefix(double elapsed_s) {
  double minutes = std::max(0.0, elapsed_s) / 60.0;
  return absl::StrFormat("%06.2f|", minutes);
}

}  // namespace

LineCounts CountTransactions(const LabelMap& labels) {
  LineCounts c;
  double sum_us = 0;
  for (const auto& [label, s] : labels) {
    if (IsInternalLabel(label) || IsOperationLabel(label)) continue;
    c.ok += s.count() - s.failures();
    c.failed += s.failures();
    sum_us += s.MeanUs() * static_cast<double>(s.count());
  }
  uint64_t n = c.ok + c.failed;
  c.mean_ms = n > 0 ? sum_us / static_cast<double>(n) / 1000.0 : 0;
  return c;
}

std::string IntervalLine(double elapsed_s, const std::string& phase, uint64_t cumulative_ok,
                         const LabelMap& interval, double interval_s, uint64_t users,
                         int workers_alive, int workers) {
  LineCounts c = CountTransactions(interval);
  double rate = interval_s > 0 ? static_cast<double>(c.ok + c.failed) / interval_s : 0;
  return absl::StrFormat("%s i-%s %d %.2f %.0f %d %d w=%d/%d", Prefix(elapsed_s), phase,
                         cumulative_ok, rate, c.mean_ms, c.failed, users, workers_alive, workers);
}

std::string PhaseLine(double elapsed_s, const std::string& phase, uint64_t cumulative_ok,
                      const LabelMap& phase_labels, double phase_s, uint64_t users) {
  LineCounts c = CountTransactions(phase_labels);
  double rate = phase_s > 0 ? static_cast<double>(c.ok + c.failed) / phase_s : 0;
  return absl::StrFormat("%s p-%s %d %.2f %.0f %d %d", Prefix(elapsed_s), phase, cumulative_ok,
                         rate, c.mean_ms, c.failed, users);
}

}  // namespace loadsim
