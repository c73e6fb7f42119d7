#include "worker/cluster_client.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "grpcpp/grpcpp.h"
#include "loadsim/v1/cluster.grpc.pb.h"
#include "worker/event_loop.h"
#include "worker/runtime.h"

namespace loadsim {
namespace {

int64_t RssBytes() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return static_cast<int64_t>(pages_resident) * sysconf(_SC_PAGESIZE);
}

std::string HostName() {
  char buf[256] = {0};
  gethostname(buf, sizeof(buf) - 1);
  return buf;
}

}  // namespace

absl::Status RunUnderMaster(const ClusterClientOptions& options) {
  grpc::ChannelArguments args;
  // Keepalive pings notice a dead master or a cut network within about 3 s.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 1000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 2000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  args.SetInt(GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, 1 << 30);
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!options.tls_ca.empty()) {
    grpc::SslCredentialsOptions ssl;
    for (auto [path, field] : {std::pair{options.tls_ca, &ssl.pem_root_certs},
                               std::pair{options.tls_cert, &ssl.pem_cert_chain},
                               std::pair{options.tls_key, &ssl.pem_private_key}}) {
      if (path.empty()) continue;
      absl::StatusOr<std::string> pem = ReadFile(path);
      if (!pem.ok()) return pem.status();
      *field = *std::move(pem);
    }
    credentials = grpc::SslCredentials(ssl);
  }
  auto channel = grpc::CreateCustomChannel(options.master, credentials, args);
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
    return absl::UnavailableError(absl::StrCat("cannot reach the master at ", options.master));
  }
  auto stub = v1::Coordinator::NewStub(channel);
  grpc::ClientContext ctx;
  std::shared_ptr<grpc::ClientReaderWriter<v1::WorkerMessage, v1::MasterMessage>> stream(
      stub->Connect(&ctx));
  std::mutex write_mu;
  auto write = [&](const v1::WorkerMessage& m) {
    std::lock_guard<std::mutex> lock(write_mu);
    return stream->Write(m);
  };

  v1::WorkerMessage hello;
  v1::Hello* h = hello.mutable_hello();
  h->set_protocol_version(v1::PROTOCOL_VERSION_CURRENT);
  h->set_build_version(LOADSIM_VERSION);
  h->set_host(HostName());
  h->set_pid(getpid());
  h->set_cores(static_cast<int>(std::thread::hardware_concurrency()));
  h->set_memory_bytes(static_cast<int64_t>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE));
  h->set_token(options.token);
  if (!write(hello)) return absl::UnavailableError("the master closed the stream at hello");

  v1::MasterMessage msg;
  if (!stream->Read(&msg)) {
    grpc::Status s = stream->Finish();
    return absl::UnavailableError(absl::StrCat("the master ended the stream: ", s.error_message()));
  }
  if (msg.has_reject()) {
    stream->WritesDone();
    stream->Finish();
    return absl::PermissionDeniedError(
        absl::StrCat("rejected by the master: ", msg.reject().reason()));
  }
  if (!msg.has_assignment()) return absl::InternalError("expected an assignment");
  const v1::Assignment& a = msg.assignment();
  const int worker_index = a.worker_index();  // `msg` is reused below
  const int worker_count = a.worker_count();
  int threads = options.threads > 0 ? options.threads : a.threads();
  if (threads <= 0) threads = static_cast<int>(std::thread::hardware_concurrency());
  if (threads <= 0) threads = 1;
  std::vector<v1::AssignedUser> users(a.users().begin(), a.users().end());
  absl::StatusOr<std::unique_ptr<WorkerRuntime>> runtime =
      WorkerRuntime::Create(a.spec(), std::move(users), threads, 1000000000,
                            {a.directory().begin(), a.directory().end()});
  if (!runtime.ok()) {
    v1::WorkerMessage fin;
    fin.mutable_finished()->set_error(std::string(runtime.status().message()));
    write(fin);
    stream->WritesDone();
    stream->Finish();
    return runtime.status();
  }
  WorkerRuntime* rt = runtime->get();
  v1::WorkerMessage ready;
  ready.mutable_ready();
  if (!write(ready)) return absl::UnavailableError("the master went away before the start");
  // Phase changes may overtake the Start message (the master sends them from another thread).
  bool got = stream->Read(&msg);
  while (got && msg.has_phase_change()) {
    rt->ApplyPhase(msg.phase_change());
    got = stream->Read(&msg);
  }
  if (!got || !msg.has_start()) {
    return absl::UnavailableError("the master went away before the start");
  }
  const int64_t start_ns = MonotonicNowNs() + msg.start().start_in_ms() * 1000000;
  // The master says when to stop; the local deadline (runtime + 60 s) is only a backstop.
  const int64_t stop_ns = start_ns + static_cast<int64_t>((msg.start().runtime_s() + 60) * 1e9);

  std::atomic<bool> master_lost{false};
  std::atomic<bool> done{false};
  std::thread reader([&] {
    v1::MasterMessage m;
    while (stream->Read(&m)) {
      if (m.has_stop()) {
        rt->RequestStop(MonotonicNowNs() + static_cast<int64_t>(m.stop().drain_grace_s() * 1e9));
      } else if (m.has_abort()) {
        rt->Abort();
      } else if (m.has_phase_change()) {
        rt->ApplyPhase(m.phase_change());
      }
    }
    if (!done.load()) {
      master_lost.store(true);
      rt->Abort();  // never generate load without a master
    }
  });
  const CpuTimes cpu_before = ProcessCpuTimes();
  std::thread runner([&] { rt->Run(start_ns, stop_ns, stop_ns + 5000000000LL); });
  // Stream the deltas (one per phase that has samples) and a heartbeat every second.
  int64_t interval = 0;
  uint64_t counted = 0;  // requests this worker recorded (all labels but lag)
  double lag_p99_ms = 0;
  constexpr int kMaxSamplesPerWorker = 10;
  int samples_sent = 0;
  auto send_deltas = [&](bool force) {
    std::map<int, LabelMap> deltas = rt->TakeDeltas();
    if (deltas.empty() && force) deltas[0];
    LabelRecorder lag("lag");
    bool ok = true;
    for (const auto& [phase, delta] : deltas) {
      v1::WorkerMessage m;
      v1::IntervalDelta* d = m.mutable_delta();
      d->set_interval(interval);
      d->set_phase_index(phase);
      d->set_users_alive(rt->users_alive());
      // The threads cut every second on the second: this delta ends at the last cut.
      d->set_end_seconds(std::floor(std::max<int64_t>(0, MonotonicNowNs() - start_ns) / 1e9));
      for (const auto& [label, stats] : delta) {
        if (!IsSchedulingLabel(label)) counted += stats.count();
        if (label.rfind("lag{", 0) == 0) lag.Merge(stats).IgnoreError();
        *d->add_labels() = stats.ToProto();
      }
      ok = write(m) && ok;
    }
    for (v1::FailureSample& sample : rt->TakeFailureSamples()) {
      if (samples_sent >= kMaxSamplesPerWorker) break;
      ++samples_sent;
      sample.set_at_seconds(sample.at_seconds() - start_ns / 1e9);
      v1::WorkerMessage m;
      *m.mutable_failure_sample() = std::move(sample);
      ok = write(m) && ok;
    }
    ++interval;
    lag_p99_ms = lag.count() > 0 ? lag.ValueAtQuantileUs(0.99) / 1000.0 : 0;
    return ok;
  };
  std::atomic<bool> run_over{false};
  std::thread joiner([&] {
    runner.join();
    run_over.store(true);
  });
  while (!run_over.load()) {
    for (int i = 0; i < 20 && !run_over.load(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (master_lost.load()) continue;
    send_deltas(false);
    v1::WorkerMessage hb;
    v1::Heartbeat* beat = hb.mutable_heartbeat();
    CpuTimes cpu = ProcessCpuTimes();
    beat->set_users_alive(rt->users_alive());
    beat->set_in_flight(rt->in_flight());
    beat->set_cpu_seconds(cpu.total() - cpu_before.total());
    beat->set_cpu_user_seconds(cpu.user - cpu_before.user);
    beat->set_cpu_system_seconds(cpu.system - cpu_before.system);
    beat->set_rss_bytes(RssBytes());
    beat->set_lag_p99_ms(lag_p99_ms);
    write(hb);
  }
  joiner.join();
  std::fprintf(stderr, "loadsim-worker %d/%d: counted %llu requests\n", worker_index, worker_count,
               static_cast<unsigned long long>(counted));
  absl::Status result = absl::OkStatus();
  if (master_lost.load()) {
    result = absl::UnavailableError("the master went away; load stopped");
    ctx.TryCancel();
  } else {
    send_deltas(true);
    v1::WorkerMessage fin;
    CpuTimes cpu = ProcessCpuTimes();
    v1::Finished* f = fin.mutable_finished();
    f->set_users(rt->users());
    f->set_users_active(rt->users_started());
    f->set_cpu_seconds(cpu.total() - cpu_before.total());
    f->set_cpu_user_seconds(cpu.user - cpu_before.user);
    f->set_cpu_system_seconds(cpu.system - cpu_before.system);
    write(fin);
    done.store(true);
    std::lock_guard<std::mutex> lock(write_mu);
    stream->WritesDone();
  }
  reader.join();
  stream->Finish();
  return result;
}

}  // namespace loadsim
