#include "master/coordinator.h"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "master/verdict.h"
#include "worker/event_loop.h"
#include "worker/runtime.h"

namespace loadsim {

struct Coordinator::Worker {
  int index = -1;
  v1::Hello hello;
  grpc::ServerReaderWriter<v1::MasterMessage, v1::WorkerMessage>* stream = nullptr;
  grpc::ServerContext* context = nullptr;
  std::mutex write_mu;
  bool assigned = false;  // its Assignment is (being) written: later messages go through Write
  bool ready = false;
  bool finished = false;
  bool lost = false;
  double lost_after_s = 0;
  int64_t last_seen_ns = 0;
  uint64_t users = 0;
  uint64_t requests = 0;
  double cpu_seconds = 0;
  double cpu_user_seconds = 0;
  double cpu_system_seconds = 0;
  int64_t rss_bytes = 0;
  uint64_t failures = 0;
  uint64_t users_alive = 0;
  uint64_t users_active = 0;
  double lag_p99_ms = 0;
  int phase_index = 0;
  std::map<int, PhaseCount> phase_counts;
  std::vector<std::string> client_failures;
  std::string error;
};

namespace {

constexpr size_t kMaxFailureSamples = 100;

void MergeLabel(LabelMap* into, const v1::LabelStats& ls) {
  auto it = into->find(ls.label());
  if (it == into->end()) {
    it = into->emplace(ls.label(),
                       LabelRecorder(ls.label(), std::vector<uint64_t>(ls.limits_us().begin(),
                                                                       ls.limits_us().end())))
             .first;
  }
  absl::Status merged = it->second.MergeProto(ls);
  (void)merged;  // a malformed delta is dropped; the worker's own build made it
}

}  // namespace

Coordinator::Coordinator(const LoadedConfig& config, Options options)
    : config_(config), options_(std::move(options)) {}

bool Coordinator::Write(Worker* w, const v1::MasterMessage& m) {
  std::lock_guard<std::mutex> lock(w->write_mu);
  if (w->stream == nullptr) return false;
  return w->stream->Write(m);
}

v1::Assignment Coordinator::AssignmentFor(int index, int count) const {
  v1::Assignment a;
  *a.mutable_spec() = config_.spec;
  a.set_worker_index(index);
  a.set_worker_count(count);
  a.set_threads(options_.threads_per_worker);
  for (v1::AssignedUser& u : UsersOfWorker(config_.spec, config_.accounts, index, count)) {
    *a.add_users() = std::move(u);
  }
  // Invitees may be anyone; the directory carries no passwords.
  for (const v1::Account& acct : config_.accounts) {
    v1::DirectoryEntry* e = a.add_directory();
    e->set_uid(acct.uid());
    e->set_common_name(acct.common_name());
    e->set_email(acct.email());
  }
  return a;
}

void Coordinator::MarkLost(Worker* w, const std::string& why) {
  // REQUIRES: mu_ held.
  if (w->lost || w->finished) return;
  w->lost = true;
  w->error = why;
  w->lost_after_s = start_ns_ > 0 ? (MonotonicNowNs() - start_ns_) / 1e9 : 0;
  if (w->context != nullptr) w->context->TryCancel();
  cv_.notify_all();
}

grpc::Status Coordinator::Connect(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::MasterMessage, v1::WorkerMessage>* stream) {
  v1::WorkerMessage in;
  if (!stream->Read(&in) || !in.has_hello()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "expected Hello");
  }
  auto reject = [&](const std::string& reason) {
    // Said on both sides: the worker gets the reason, the master's log names the worker.
    std::fprintf(stderr, "loadsim-master: rejected worker %s pid %d (%s): %s\n",
                 in.hello().host().c_str(), in.hello().pid(), context->peer().c_str(),
                 reason.c_str());
    v1::MasterMessage m;
    m.mutable_reject()->set_reason(reason);
    stream->Write(m);
    return grpc::Status::OK;
  };
  const v1::Hello& hello = in.hello();
  if (hello.protocol_version() != v1::PROTOCOL_VERSION_CURRENT) {
    return reject(absl::StrCat("protocol version ", hello.protocol_version(),
                               " is not the master's (", v1::PROTOCOL_VERSION_CURRENT,
                               "); run the same loadsim version on both sides"));
  }
  if (hello.token() != options_.token) return reject("wrong token");
  auto w = std::make_shared<Worker>();
  w->hello = hello;
  w->stream = stream;
  w->context = context;
  w->last_seen_ns = MonotonicNowNs();
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (phase_ != Phase::kGathering) {
      return reject("the run has already been assigned; this worker joined late");
    }
    for (const auto& other : workers_) {
      if (other->hello.host() == hello.host() && other->hello.pid() == hello.pid()) {
        return reject(absl::StrCat("worker ", hello.host(), " pid ", hello.pid(),
                                   " is already connected (as worker ", other->index, ")"));
      }
    }
    if (static_cast<int>(workers_.size()) >= options_.expected_workers) {
      return reject(absl::StrCat("the master expects ", options_.expected_workers,
                                 " workers and has them all"));
    }
    w->index = static_cast<int>(workers_.size());
    workers_.push_back(w);
    if (static_cast<int>(workers_.size()) == options_.expected_workers) {
      phase_ = Phase::kAssigned;
    }
    cv_.notify_all();
    cv_.wait(lock, [&] { return phase_ != Phase::kGathering || context->IsCancelled(); });
    if (phase_ == Phase::kAborted) {
      lock.unlock();
      return reject(abort_reason_);
    }
    w->assigned = true;
  }
  v1::MasterMessage assignment;
  *assignment.mutable_assignment() = AssignmentFor(w->index, options_.expected_workers);
  {
    std::lock_guard<std::mutex> lock(mu_);
    w->users = static_cast<uint64_t>(assignment.assignment().users_size());
  }
  bool ok = Write(w.get(), assignment);
  ok = ok && stream->Read(&in);
  if (ok && in.has_finished()) {  // the worker could not build its run
    std::lock_guard<std::mutex> lock(mu_);
    w->error = in.finished().error();
    MarkLost(w.get(), w->error);
  } else if (ok && in.has_ready()) {
    std::unique_lock<std::mutex> lock(mu_);
    w->ready = true;
    w->last_seen_ns = MonotonicNowNs();
    cv_.notify_all();
    cv_.wait(lock, [&] { return phase_ != Phase::kAssigned || context->IsCancelled(); });
    if (phase_ == Phase::kStarted) {
      v1::MasterMessage start;
      *start.mutable_start() = start_;
      lock.unlock();
      ok = Write(w.get(), start);
    }
    while (ok && stream->Read(&in)) {
      std::lock_guard<std::mutex> g(mu_);
      w->last_seen_ns = MonotonicNowNs();
      if (in.has_delta()) {
        const v1::IntervalDelta& d = in.delta();
        // A delta ending at second k holds (k-1, k]: it belongs to the cycle containing k-.
        int64_t cycle = std::max<int64_t>(
            0, static_cast<int64_t>(std::ceil(d.end_seconds() / options_.stats_cycle_s)) - 1);
        IntervalAgg& agg = intervals_[{cycle, d.phase_index()}];
        agg.cycle = cycle;
        agg.phase = d.phase_index();
        LabelMap& phase_totals = phase_totals_[d.phase_index()];
        PhaseCount& pc = w->phase_counts[d.phase_index()];
        for (const v1::LabelStats& ls : d.labels()) {
          for (LabelMap* into : {&interval_, &phase_totals, &agg.labels}) {
            MergeLabel(into, ls);
          }
          // Transactions: requests, not operations (made of requests) or generator lines.
          if (!IsInternalLabel(ls.label()) && !IsOperationLabel(ls.label())) {
            w->requests += ls.count();
            w->failures += ls.failures();
            pc.xactions += ls.count() - ls.failures();
            pc.errors += ls.failures();
          }
        }
        w->users_alive = d.users_alive();
        agg.users_alive = 0;
        for (const auto& other : workers_) agg.users_alive += other->users_alive;
      } else if (in.has_failure_sample()) {
        if (failure_samples_.size() < kMaxFailureSamples) {
          failure_samples_.push_back(in.failure_sample());
          failure_samples_.back().set_worker_index(w->index);
        }
      } else if (in.has_heartbeat()) {
        const v1::Heartbeat& hb = in.heartbeat();
        w->cpu_seconds = hb.cpu_seconds();
        w->cpu_user_seconds = hb.cpu_user_seconds();
        w->cpu_system_seconds = hb.cpu_system_seconds();
        w->rss_bytes = hb.rss_bytes();
        w->lag_p99_ms = hb.lag_p99_ms();
        w->users_alive = hb.users_alive();
      } else if (in.has_finished()) {
        w->finished = true;
        const v1::Finished& f = in.finished();
        w->cpu_seconds = f.cpu_seconds();
        w->cpu_user_seconds = f.cpu_user_seconds();
        w->cpu_system_seconds = f.cpu_system_seconds();
        w->users_active = f.users_active();
        w->client_failures.assign(f.client_failures().begin(), f.client_failures().end());
        if (!f.error().empty()) w->error = f.error();
        cv_.notify_all();
        break;
      }
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (!w->finished) MarkLost(w.get(), "the stream to the worker broke");
  {
    std::lock_guard<std::mutex> wl(w->write_mu);
    w->stream = nullptr;
    w->context = nullptr;
  }
  cv_.notify_all();
  return grpc::Status::OK;
}

absl::Status Coordinator::WaitForReadyWorkers(double timeout_s) {
  std::unique_lock<std::mutex> lock(mu_);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  auto all_ready = [&] {
    if (static_cast<int>(workers_.size()) < options_.expected_workers) return false;
    for (const auto& w : workers_) {
      if (!w->ready && !w->lost) return false;
    }
    return true;
  };
  if (!cv_.wait_until(lock, deadline, all_ready)) {
    int ready = 0;
    for (const auto& w : workers_) ready += w->ready;
    return absl::DeadlineExceededError(absl::StrCat(workers_.size(), " of ",
                                                    options_.expected_workers, " workers joined (",
                                                    ready, " ready) within ", timeout_s, " s"));
  }
  for (const auto& w : workers_) {
    if (w->lost) {
      return absl::FailedPreconditionError(absl::StrCat("worker ", w->index, " (", w->hello.host(),
                                                        " pid ", w->hello.pid(),
                                                        ") could not start: ", w->error));
    }
  }
  return absl::OkStatus();
}

void Coordinator::StartAll(int64_t start_in_ms, double runtime_s) {
  std::lock_guard<std::mutex> lock(mu_);
  start_.set_start_in_ms(start_in_ms);
  start_.set_runtime_s(runtime_s);
  start_ns_ = MonotonicNowNs() + start_in_ms * 1000000;
  for (auto& w : workers_) w->last_seen_ns = MonotonicNowNs();
  phase_ = Phase::kStarted;
  cv_.notify_all();
}

void Coordinator::StopAll(double drain_grace_s) {
  std::vector<std::shared_ptr<Worker>> workers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (phase_ == Phase::kStarted) phase_ = Phase::kStopping;
    workers = workers_;
  }
  v1::MasterMessage stop;
  stop.mutable_stop()->set_drain_grace_s(drain_grace_s);
  for (auto& w : workers) Write(w.get(), stop);
}

void Coordinator::AbortAll(const std::string& reason) {
  std::vector<std::shared_ptr<Worker>> workers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    phase_ = Phase::kAborted;
    abort_reason_ = reason;
    // Workers still gathering are answered by their own Connect thread (a Reject); writing
    // to their stream from here too would be two concurrent writes on one gRPC stream.
    for (const auto& w : workers_) {
      if (w->assigned) workers.push_back(w);
    }
    cv_.notify_all();
  }
  v1::MasterMessage abort;
  abort.mutable_abort()->set_reason(reason);
  for (auto& w : workers) Write(w.get(), abort);
}

bool Coordinator::WaitForEnd(double timeout_s) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, std::chrono::duration<double>(timeout_s), [&] {
    for (const auto& w : workers_) {
      if (!w->finished && !w->lost) return false;
    }
    return true;
  });
}

LabelMap Coordinator::TakeInterval() {
  std::lock_guard<std::mutex> lock(mu_);
  LabelMap out;
  out.swap(interval_);
  return out;
}

LabelMap Coordinator::Totals() {
  std::lock_guard<std::mutex> lock(mu_);
  // The run's totals are the sum of the phases' (kept once, merged on demand).
  LabelMap out;
  for (const auto& [phase, labels] : phase_totals_) MergeInto(out, labels);
  return out;
}

std::map<int, LabelMap> Coordinator::PhaseTotals() {
  std::lock_guard<std::mutex> lock(mu_);
  return phase_totals_;
}

PhaseCount Coordinator::CountsOf(int phase, int worker) {
  std::lock_guard<std::mutex> lock(mu_);
  PhaseCount out;
  for (const auto& w : workers_) {
    if (worker >= 0 && w->index != worker) continue;
    auto it = w->phase_counts.find(phase);
    if (it == w->phase_counts.end()) continue;
    out.xactions += it->second.xactions;
    out.errors += it->second.errors;
  }
  return out;
}

std::vector<IntervalAgg> Coordinator::Intervals() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<IntervalAgg> out;
  for (const auto& [key, agg] : intervals_) out.push_back(agg);
  return out;
}

std::vector<v1::FailureSample> Coordinator::FailureSamples() {
  std::lock_guard<std::mutex> lock(mu_);
  return failure_samples_;
}

void Coordinator::SendPhaseChange(int worker, const v1::PhaseChange& change) {
  std::vector<std::shared_ptr<Worker>> targets;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& w : workers_) {
      if (worker >= 0 && w->index != worker) continue;
      if (w->lost || w->finished) continue;
      w->phase_index = change.phase_index();
      targets.push_back(w);
    }
  }
  v1::MasterMessage m;
  *m.mutable_phase_change() = change;
  for (auto& w : targets) Write(w.get(), m);
}

std::vector<WorkerStatus> Coordinator::Workers() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<WorkerStatus> out;
  for (const auto& w : workers_) {
    WorkerStatus s;
    s.index = w->index;
    s.host = w->hello.host();
    s.pid = w->hello.pid();
    s.users = w->users;
    s.ready = w->ready;
    s.finished = w->finished;
    s.lost = w->lost;
    s.lost_after_s = w->lost_after_s;
    s.error = w->error;
    s.cpu_seconds = w->cpu_seconds;
    s.cpu_user_seconds = w->cpu_user_seconds;
    s.cpu_system_seconds = w->cpu_system_seconds;
    s.rss_bytes = w->rss_bytes;
    s.requests = w->requests;
    s.failures = w->failures;
    s.users_alive = w->users_alive;
    s.users_active = w->users_active;
    s.lag_p99_ms = w->lag_p99_ms;
    s.phase_index = w->phase_index;
    s.client_failures = w->client_failures;
    out.push_back(s);
  }
  return out;
}

int Coordinator::LostCount() {
  std::lock_guard<std::mutex> lock(mu_);
  int n = 0;
  for (const auto& w : workers_) n += w->lost;
  return n;
}

int Coordinator::CheckLiveness(double silence_s) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t now = MonotonicNowNs();
  int n = 0;
  for (auto& w : workers_) {
    if (!w->lost && !w->finished && phase_ >= Phase::kStarted &&
        now - w->last_seen_ns > static_cast<int64_t>(silence_s * 1e9)) {
      MarkLost(w.get(), absl::StrCat("no heartbeat for ", silence_s, " s"));
    }
    n += w->lost;
  }
  return n;
}

}  // namespace loadsim
