#include "master/phase_controller.h"

#include <algorithm>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace loadsim {

PhaseController::PhaseController(std::vector<v1::PhaseSpec> phases, double runtime_s,
                                 std::vector<uint64_t> users_per_worker, bool explicit_phases)
    : phases_(std::move(phases)),
      users_per_worker_(std::move(users_per_worker)),
      explicit_phases_(explicit_phases && !phases_.empty()) {
  if (phases_.empty()) {
    v1::PhaseSpec run;
    run.set_name("run");
    run.mutable_goal()->set_duration_seconds(runtime_s);
    run.set_load_factor_beg(1);
    run.set_load_factor_end(1);
    run.set_populus_factor_beg(1);
    run.set_populus_factor_end(1);
    run.set_log_stats(true);
    run.set_synchronize(true);
    phases_.push_back(run);
  }
  total_users_ = std::accumulate(users_per_worker_.begin(), users_per_worker_.end(), uint64_t{0});
  workers_.resize(users_per_worker_.size());
  records_.resize(phases_.size());
}

v1::PhaseChange PhaseController::ChangeFor(int phase, double progress,
                                           double progress_per_s) const {
  const v1::PhaseSpec& p = phases_[phase];
  v1::PhaseChange c;
  c.set_phase_index(phase);
  c.set_name(p.name());
  double lb = p.load_factor_beg(), le = p.load_factor_end();
  double pb = p.populus_factor_beg(), pe = p.populus_factor_end();
  c.set_load_factor(lb + (le - lb) * progress);
  c.set_load_slope_per_s((le - lb) * progress_per_s);
  c.set_load_lo(std::min(lb, le));
  c.set_load_hi(std::max(lb, le));
  c.set_populus_factor(pb + (pe - pb) * progress);
  c.set_populus_slope_per_s((pe - pb) * progress_per_s);
  c.set_populus_lo(std::min(pb, pe));
  c.set_populus_hi(std::max(pb, pe));
  c.set_total_users(explicit_phases_ ? total_users_ : 0);
  return c;
}

std::vector<PhaseController::Send> PhaseController::Begin(double lead_s) {
  for (size_t w = 0; w < workers_.size(); ++w) Enter(static_cast<int>(w), 0, 0);
  if (!explicit_phases_) return {};  // no phases: workers run everyone at 100%
  const v1::PhaseSpec& p = phases_[0];
  double dur = p.goal().duration_seconds();
  Send s;
  // A duration ramp moves with time from the start: shift it back by the lead.
  s.change = dur > 0 ? ChangeFor(0, -lead_s / dur, 1 / dur) : ChangeFor(0, 0, 0);
  return {s};
}

void PhaseController::Enter(int w, int phase, double now_s) {
  WorkerState& st = workers_[w];
  st.position = phase;
  st.entered_s = now_s;
  st.last_ramp_send_s = now_s;
  st.last_ramp_count = 0;
  if (phase < static_cast<int>(phases_.size()) && records_[phase].start_s < 0) {
    records_[phase].start_s = now_s;
  }
}

void PhaseController::Leave(int phase, double now_s, const std::string& why) {
  for (const WorkerState& st : workers_) {
    if (st.position <= phase) return;  // someone is still in (or before) it
  }
  if (records_[phase].end_s >= 0) return;
  records_[phase].end_s = now_s;
  records_[phase].ended_by = why;
  ended_.push_back(phase);
}

bool PhaseController::ErrorsReached(int phase, const PhaseCount& c, double share) const {
  const v1::GoalSpec& g = phases_[phase].goal();
  if (g.errors() <= 0) return false;
  if (g.errors() >= 1) return static_cast<double>(c.errors) >= g.errors() * share;
  uint64_t n = c.errors + c.xactions;
  if (static_cast<double>(n) < static_cast<double>(g.errors_min_sample()) * share || n == 0) {
    return false;
  }
  return static_cast<double>(c.errors) / static_cast<double>(n) >= g.errors();
}

std::string PhaseController::GoalReached(int phase, double elapsed_s, const PhaseCount& c,
                                         double share) const {
  const v1::GoalSpec& g = phases_[phase].goal();
  if (g.duration_seconds() > 0 && elapsed_s >= g.duration_seconds()) return "duration";
  if (g.xactions() > 0 &&
      static_cast<double>(c.xactions) >= static_cast<double>(g.xactions()) * share) {
    return "xactions";
  }
  return "";
}

std::vector<PhaseController::Send> PhaseController::Tick(double now_s, const Counts& counts) {
  std::vector<Send> out;
  if (done_) return out;
  const int n = static_cast<int>(phases_.size());
  for (int phase = 0; phase < n && !done_; ++phase) {
    std::vector<int> in;
    for (size_t w = 0; w < workers_.size(); ++w) {
      if (workers_[w].position == phase) in.push_back(static_cast<int>(w));
    }
    if (in.empty()) continue;
    const v1::PhaseSpec& p = phases_[phase];
    // Groups judged together: everyone in a synchronized phase, else each worker alone.
    std::vector<std::vector<int>> groups;
    if (p.synchronize()) {
      groups.push_back(in);
    } else {
      for (int w : in) groups.push_back({w});
    }
    for (const std::vector<int>& group : groups) {
      bool all = p.synchronize();
      int who = all ? -1 : group[0];
      double share = 1;
      if (!all && total_users_ > 0) {
        share = static_cast<double>(users_per_worker_[who]) / static_cast<double>(total_users_);
      }
      double entered = now_s;
      for (int w : group) entered = std::min(entered, workers_[w].entered_s);
      PhaseCount c = counts(phase, who);
      if (ErrorsReached(phase, c, share)) {
        errors_message_ =
            absl::StrFormat("phase '%s' reached its errors goal (%g): %d failed of %d transactions",
                            p.name(), p.goal().errors(), c.errors, c.errors + c.xactions);
        notices_.push_back(errors_message_);
        for (int w : group) workers_[w].position = n;
        records_[phase].end_s = now_s;
        records_[phase].ended_by = "errors";
        ended_.push_back(phase);
        done_ = true;
        return out;
      }
      std::string why = GoalReached(phase, now_s - entered, c, share);
      if (!why.empty()) {
        int next = phase + 1;
        notices_.push_back(absl::StrFormat(
            "phase '%s' reached its %s goal%s after %.1f s (%d transactions)", p.name(), why,
            all ? "" : absl::StrCat(" on worker ", who), now_s - entered, c.xactions));
        for (int w : group) Enter(w, next, now_s);
        if (explicit_phases_) {
          if (next < n) {
            double dur = phases_[next].goal().duration_seconds();
            Send s;
            s.worker = who;
            s.change = dur > 0 ? ChangeFor(next, 0, 1 / dur) : ChangeFor(next, 0, 0);
            out.push_back(s);
          } else if (!all) {
            // This worker has met every goal; it idles until the others finish.
            Send s;
            s.worker = who;
            s.change = ChangeFor(n - 1, 1, 0);
            s.change.set_phase_index(n);
            s.change.set_name("done");
            s.change.set_load_factor(0);
            s.change.set_load_lo(0);
            s.change.set_load_hi(0);
            s.change.set_populus_factor(0);
            s.change.set_populus_lo(0);
            s.change.set_populus_hi(0);
            out.push_back(s);
          }
        }
        Leave(phase, now_s, why);
        continue;
      }
      // An xactions ramp: re-send the factors every second with the measured slope.
      uint64_t goal = p.goal().xactions();
      bool ramp = p.load_factor_beg() != p.load_factor_end() ||
                  p.populus_factor_beg() != p.populus_factor_end();
      WorkerState& lead = workers_[group[0]];
      if (explicit_phases_ && ramp && p.goal().duration_seconds() <= 0 && goal > 0 &&
          now_s - lead.last_ramp_send_s >= 1.0) {
        double target = static_cast<double>(goal) * share;
        double progress = std::min(1.0, static_cast<double>(c.xactions) / target);
        double rate = static_cast<double>(c.xactions - std::min(c.xactions, lead.last_ramp_count)) /
                      (now_s - lead.last_ramp_send_s);
        lead.last_ramp_send_s = now_s;
        lead.last_ramp_count = c.xactions;
        Send s;
        s.worker = who;
        s.change = ChangeFor(phase, progress, rate / target);
        out.push_back(s);
      }
    }
  }
  bool finished = true;
  for (const WorkerState& st : workers_) finished = finished && st.position >= n;
  if (finished) {
    done_ = true;
    notices_.push_back(absl::StrFormat("all %d phases met their goals", n));
  }
  return out;
}

void PhaseController::StopAt(double now_s, const std::string& why) {
  for (size_t i = 0; i < phases_.size(); ++i) {
    if (records_[i].start_s >= 0 && records_[i].end_s < 0) {
      records_[i].end_s = now_s;
      records_[i].ended_by = why;
      ended_.push_back(static_cast<int>(i));
    }
  }
  done_ = true;
}

std::vector<std::string> PhaseController::TakeNotices() {
  std::vector<std::string> out;
  out.swap(notices_);
  return out;
}

std::vector<int> PhaseController::TakeEndedPhases() {
  std::vector<int> out;
  out.swap(ended_);
  return out;
}

}  // namespace loadsim
